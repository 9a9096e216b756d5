/**
 * Dead letters of the consumer groups, for operators (`scripts/hms dlq`):
 *
 *   scripts/hms dlq list                  every dead-letter topic: letters held, letters pending
 *   scripts/hms dlq list <topic> [--json] each letter: event id, type, tenant, reason, attempts,
 *                                         where it came from, when it failed, replayed or pending
 *   scripts/hms dlq replay <topic>        re-deliver the pending letters to the group that failed
 *                                         them (its retry topic), after the cause is fixed
 *   scripts/hms dlq skip <topic>          mark the pending letters handled without re-delivering
 *
 * <topic> is a dead-letter topic such as hms.billing.dlq. Replaying is idempotent: what was
 * replayed is remembered (consumer group <group>.dlq-replay), and a replayed event the group
 * had already applied changes nothing.
 */
import {
  configTypes,
  createKafka,
  createLogger,
  createProducer,
  listDeadLetters,
  loadConfigOrExit,
  replayDeadLetters,
  skipDeadLetters,
  summariseDeadLetterTopics,
  type DeadLetter,
} from '@hms/platform';
import { z } from 'zod';

const USAGE = 'usage: scripts/hms dlq list [<topic>] [--json] | replay <topic> | skip <topic>';

const config = loadConfigOrExit(
  z.object({ HMS_KAFKA_BROKERS: configTypes.list().describe('Kafka bootstrap brokers') }),
  process.env,
);
const argv = process.argv.slice(2);
const json = argv.includes('--json');
const [command, topic, ...rest] = argv.filter((a) => a !== '--json');
if (!command || rest.length > 0 || (command !== 'list' && !topic)) fail(USAGE);

// Errors go to standard error: standard output is the answer (JSON with --json).
const logger = createLogger({ service: 'dlq', level: 'error', destination: process.stderr });
const kafka = createKafka({ clientId: 'hms-dlq', brokers: config.HMS_KAFKA_BROKERS, logger });
const admin = kafka.admin();
await admin.connect();
try {
  if (topic && !(await admin.listTopics()).includes(topic))
    fail(`no topic ${topic} on ${config.HMS_KAFKA_BROKERS.join(',')}`);
  switch (command) {
    case 'list':
      if (!topic) {
        const summary = await summariseDeadLetterTopics(admin);
        if (json) print(summary);
        else
          for (const s of summary) console.log(`${s.topic.padEnd(24)} ${s.total} dead letters, ${s.pending} pending`);
        break;
      }
      {
        const letters = await listDeadLetters(kafka, admin, topic);
        if (json) print(letters);
        else printLetters(topic, letters);
      }
      break;
    case 'replay': {
      const producer = createProducer(kafka);
      await producer.connect();
      try {
        const { replayed, retryTopic } = await replayDeadLetters(kafka, admin, producer, topic!);
        if (json) print({ replayed, retryTopic });
        else console.log(`${replayed} dead letters of ${topic} re-delivered on ${retryTopic}`);
      } finally {
        await producer.disconnect();
      }
      break;
    }
    case 'skip': {
      const { skipped } = await skipDeadLetters(admin, topic!);
      if (json) print({ skipped });
      else console.log(`${skipped} dead letters of ${topic} marked handled without re-delivery`);
      break;
    }
    default:
      fail(USAGE);
  }
} catch (error) {
  fail((error as Error).message);
} finally {
  await admin.disconnect();
}

function printLetters(topic: string, letters: DeadLetter[]): void {
  const pending = letters.filter((l) => !l.handled).length;
  console.log(`${topic}: ${letters.length} dead letters, ${pending} pending (not yet replayed or skipped)`);
  for (const l of letters) {
    const origin =
      l.originalTopic === undefined
        ? 'unknown origin'
        : `${l.originalTopic}/${l.originalPartition}@${l.originalOffset}`;
    console.log(
      [
        '',
        `${l.partition}@${l.offset}  ${l.handled ? 'replayed' : 'PENDING '}  ${l.failedAt ?? '?'}  ${l.eventType ?? '?'}`,
        `  event ${l.eventId ?? '?'}  tenant ${l.tenantId ?? '?'}  key ${l.key}`,
        `  from ${origin}, ${l.attempts ?? '?'} attempts, replayed ${l.replays} times before, group ${l.consumerGroup ?? '?'}`,
        `  reason: ${l.reason}`,
      ].join('\n'),
    );
  }
}

function print(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

function fail(message: string): never {
  process.stderr.write(`dlq: ${message}\n`);
  process.exit(2);
}
