import { randomUUID } from 'node:crypto';
import { decodeEnvelope, type Envelope } from '@hms/proto';
import type { KafkaMessage } from 'kafkajs';
import { createKafka } from '../kafka/kafka.js';
import { createLogger } from '../logger.js';
import { eventually } from './eventually.js';
import { testEnv } from './env.js';

export interface ReceivedEvent {
  topic: string;
  partition: number;
  key: string;
  headers: Record<string, string>;
  envelope: Envelope;
}

export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export interface EventTap {
  received: ReceivedEvent[];
  /** Records that are not HMS envelopes (poison-message tests put some on the topics, and dead-letter topics keep them). */
  undecodable: RawRecord[];
  /** Waits for the first undecodable record matching `match`. */
  waitForUndecodable(match: (r: RawRecord) => boolean, timeoutMs?: number): Promise<RawRecord>;
  /** Waits for the first event matching `match`. */
  waitFor(match: (e: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  stop(): Promise<void>;
}

/**
 * Reads topics of the test Kafka from the beginning with a fresh consumer
 * group, decoding every envelope: what a test observes is what any consumer
 * would get.
 */
export async function tapEvents(topics: string[]): Promise<EventTap> {
  const kafka = createKafka({
    clientId: 'hms-test-tap',
    brokers: testEnv().HMS_KAFKA_BROKERS.split(','),
    logger: createLogger({ service: 'test-tap', level: 'error' }),
  });
  const consumer = kafka.consumer({ groupId: `hms-test-tap-${randomUUID()}` });
  const received: ReceivedEvent[] = [];
  const undecodable: EventTap['undecodable'] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      let envelope: Envelope;
      try {
        envelope = decodeEnvelope(message.value ?? Buffer.alloc(0));
      } catch {
        // Throwing here would stall the partition behind the bad record.
        undecodable.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value: message.value ?? Buffer.alloc(0),
          headers: headersOf(message),
        });
        return;
      }
      received.push({ topic, partition, key: message.key?.toString() ?? '', headers: headersOf(message), envelope });
    },
  });
  return {
    received,
    undecodable,
    waitFor: (match, timeoutMs = 30_000) =>
      eventually(async () => received.find(match), { timeoutMs, what: 'a matching Kafka event' }),
    waitForUndecodable: (match, timeoutMs = 30_000) =>
      eventually(async () => undecodable.find(match), { timeoutMs, what: 'a matching undecodable record' }),
    stop: () => consumer.disconnect(),
  };
}

function headersOf(message: KafkaMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(message.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v ?? '')]),
  );
}
