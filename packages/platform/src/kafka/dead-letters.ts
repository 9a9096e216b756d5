/**
 * The operator's side of dead letters (`scripts/hms dlq`): read a group's
 * dead-letter topic, re-deliver its letters after a fix, or mark them handled
 * without re-delivering.
 *
 * A replay copies each dead letter to the group's retry topic, which only that
 * group reads, so no other group sees the event again. What has been replayed
 * is the committed offset of the group `<group>.dlq-replay` on the dead-letter
 * topic: a second replay starts where the first stopped and sends nothing
 * twice. Should a replay die between sending and committing, the letter goes
 * out again, and the consumer's processed-event record makes that harmless,
 * as it does for a replayed event that had been applied by other means.
 */
import { decodeEnvelope } from '@hms/proto';
import type { Admin, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { newId } from '../ids.js';
import { groupOfDeadLetterTopic, replayGroupId, retryTopic } from './kafka.js';
import { CE, LEGACY_CE } from './cloud-events.js';

export interface DeadLetter {
  /** Where the letter is on the dead-letter topic. */
  partition: number;
  offset: string;
  key: string;
  eventId?: string;
  eventType?: string;
  tenantId?: string;
  reason: string;
  attempts?: number;
  consumerGroup?: string;
  originalTopic?: string;
  originalPartition?: number;
  originalOffset?: string;
  failedAt?: string;
  /** How often it was replayed before it came back here. */
  replays: number;
  /** Behind the replay group's offset: already replayed (or skipped). */
  handled: boolean;
}

export interface DeadLetterTopicSummary {
  topic: string;
  total: number;
  pending: number;
}

interface Range {
  partition: number;
  from: number;
  to: number;
}

/** Throws unless `topic` is a dead-letter topic; returns its consumer group. */
export function groupOf(topic: string): string {
  const group = groupOfDeadLetterTopic(topic);
  if (!group) throw new Error(`${topic} is not a dead-letter topic (expected <consumer group>.dlq)`);
  return group;
}

/** Every dead-letter topic on the broker, with how many letters it holds and how many await a replay. */
export async function summariseDeadLetterTopics(admin: Admin): Promise<DeadLetterTopicSummary[]> {
  const topics = (await admin.listTopics()).filter((t) => groupOfDeadLetterTopic(t)).sort();
  return Promise.all(
    topics.map(async (topic) => {
      const ranges = await pendingRanges(admin, topic);
      const ends = await admin.fetchTopicOffsets(topic);
      return {
        topic,
        total: ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0),
        pending: ranges.reduce((n, r) => n + r.to - r.from, 0),
      };
    }),
  );
}

/** Every letter on a dead-letter topic, oldest first, each marked handled or not. */
export async function listDeadLetters(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  options: { timeoutMs?: number } = {},
): Promise<DeadLetter[]> {
  const group = groupOf(topic);
  const handledUpTo = await committedOffsets(admin, replayGroupId(group), topic);
  const ranges = (await admin.fetchTopicOffsets(topic)).map((e) => ({
    partition: e.partition,
    from: Number(e.low),
    to: Number(e.high),
  }));
  const letters: DeadLetter[] = [];
  // A throwaway group that commits nothing, deleted afterwards.
  const readerGroup = `hms.dlq-reader.${newId()}`;
  await readRanges(kafka, readerGroup, topic, ranges, options.timeoutMs ?? 60_000, async (partition, message) => {
    letters.push(describeLetter(partition, message, Number(message.offset) < (handledUpTo.get(partition) ?? -1)));
  });
  await admin.deleteGroups([readerGroup]).catch(() => undefined);
  return letters.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

/**
 * Re-delivers every letter not yet replayed to the group's retry topic, in
 * order, committing each one's offset on the replay group after it is sent.
 * Letters that arrive while it runs wait for the next replay.
 */
export async function replayDeadLetters(
  kafka: Kafka,
  admin: Admin,
  producer: Producer,
  topic: string,
  options: { timeoutMs?: number } = {},
): Promise<{ replayed: number; retryTopic: string }> {
  const group = groupOf(topic);
  const target = retryTopic(group);
  const ranges = await pendingRanges(admin, topic);
  let replayed = 0;
  await readRanges(
    kafka,
    replayGroupId(group),
    topic,
    ranges,
    options.timeoutMs ?? 60_000,
    async (partition, message, commit) => {
      const headers: IHeaders = {
        ...message.headers,
        'x-dlq-replays': String(headerNumber(message.headers, 'x-dlq-replays') + 1),
        'x-dlq-replayed-from': `${topic}/${partition}/${message.offset}`,
        'x-dlq-replayed-at': new Date().toISOString(),
      };
      await producer.send({ topic: target, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
      await commit();
      replayed += 1;
    },
  );
  return { replayed, retryTopic: target };
}

/** Marks every letter handled without re-delivering it (the decision that it must never be applied). */
export async function skipDeadLetters(admin: Admin, topic: string): Promise<{ skipped: number }> {
  const group = groupOf(topic);
  const ranges = await pendingRanges(admin, topic);
  const skipped = ranges.reduce((n, r) => n + r.to - r.from, 0);
  if (skipped === 0) return { skipped };
  await admin.setOffsets({
    groupId: replayGroupId(group),
    topic,
    partitions: ranges.map((r) => ({ partition: r.partition, offset: String(r.to) })),
  });
  return { skipped };
}

/** Per partition, the letters past the replay group's committed offset, up to the end as of now. */
async function pendingRanges(admin: Admin, topic: string): Promise<Range[]> {
  const done = await committedOffsets(admin, replayGroupId(groupOf(topic)), topic);
  return (await admin.fetchTopicOffsets(topic))
    .map((e) => ({
      partition: e.partition,
      from: Math.max(Number(e.low), done.get(e.partition) ?? -1),
      to: Number(e.high),
    }))
    .filter((r) => r.to > r.from);
}

async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((offsets?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

/**
 * Reads [from, to) of each partition with a consumer of `groupId`, calling
 * `each` in offset order; `commit` (for the replay) commits past the message.
 * Resolves once every range is read; fails after `timeoutMs` (another member
 * of the group, e.g. a concurrent replay, may hold the partition).
 */
async function readRanges(
  kafka: Kafka,
  groupId: string,
  topic: string,
  ranges: Range[],
  timeoutMs: number,
  each: (partition: number, message: KafkaMessage, commit: () => Promise<void>) => Promise<void>,
): Promise<void> {
  const todo = new Map(ranges.filter((r) => r.to > r.from).map((r) => [r.partition, r]));
  if (todo.size === 0) return;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, retry: { retries: 3 } });
  let finish: (error?: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error ? reject(error) : resolve());
  });
  const timer = setTimeout(
    () => finish(new Error(`reading ${topic} did not finish within ${timeoutMs} ms (is another replay running?)`)),
    timeoutMs,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const range = todo.get(partition);
        const offset = Number(message.offset);
        if (!range || offset < range.from) return;
        if (offset < range.to) {
          await each(partition, message, () =>
            consumer.commitOffsets([{ topic, partition, offset: String(offset + 1) }]),
          );
        }
        if (offset + 1 >= range.to) {
          todo.delete(partition);
          consumer.pause([{ topic, partitions: [partition] }]);
          if (todo.size === 0) finish();
        }
      },
    });
    // Start each partition where its range starts, whatever the group committed.
    for (const range of todo.values()) consumer.seek({ topic, partition: range.partition, offset: String(range.from) });
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

function headerNumber(headers: IHeaders | undefined, name: string): number {
  const value = Number(header(headers, name));
  return Number.isFinite(value) ? value : 0;
}

function describeLetter(partition: number, message: KafkaMessage, handled: boolean): DeadLetter {
  const h = message.headers;
  let envelope: { id: string; type: string; tenantId: string } | undefined;
  try {
    envelope = decodeEnvelope(message.value ?? Buffer.alloc(0));
  } catch {
    // An undecodable record is dead-lettered too; its headers are all there is.
  }
  const attempts = header(h, 'x-dlq-attempts');
  const originalPartition = header(h, 'x-dlq-original-partition');
  const letter: DeadLetter = {
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? '',
    reason: header(h, 'x-dlq-reason') ?? '',
    replays: headerNumber(h, 'x-dlq-replays'),
    handled,
  };
  const optional: Partial<DeadLetter> = {
    eventId: envelope?.id ?? header(h, CE.id) ?? header(h, LEGACY_CE.id),
    eventType: envelope?.type ?? header(h, CE.type) ?? header(h, LEGACY_CE.type) ?? 'undecodable',
    tenantId: envelope?.tenantId ?? header(h, CE.tenant) ?? header(h, LEGACY_CE.tenant),
    attempts: attempts === undefined ? undefined : Number(attempts),
    consumerGroup: header(h, 'x-dlq-consumer-group'),
    originalTopic: header(h, 'x-dlq-original-topic'),
    originalPartition: originalPartition === undefined ? undefined : Number(originalPartition),
    originalOffset: header(h, 'x-dlq-original-offset'),
    failedAt: header(h, 'x-dlq-failed-at'),
  };
  for (const [k, v] of Object.entries(optional))
    if (v !== undefined) (letter as unknown as Record<string, unknown>)[k] = v;
  return letter;
}
