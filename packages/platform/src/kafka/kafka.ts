import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import type { Logger } from '../logger.js';
import type { HealthCheck } from '../ops-server.js';

export type { Kafka, Admin, Producer } from 'kafkajs';

/** A kafkajs client whose own logging goes through pino. */
export function createKafka(options: { clientId: string; brokers: string[]; logger: Logger }): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 8 },
    // kafkajs is chatty at INFO during reconnects; warnings and errors are what an SRE needs.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(rest, message);
        else log.debug(rest, message);
      },
  });
}

/**
 * The idempotent producer: the broker drops duplicates of a retried send, and
 * with one request in flight the order of sends per partition is kept.
 * Sends give up after a bounded time so that callers (the outbox relay) can
 * back off and try again instead of hanging while the broker is away.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Murmur2, as the Java clients, so every client puts a key on the same partition.
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { initialRetryTime: 200, maxRetryTime: 3_000, retries: 5 },
  });
}

/** Kafka is reported in readiness, but never takes an instance out of service: the outbox and consumer offsets absorb an outage. */
export function kafkaCheck(admin: Admin): HealthCheck {
  return {
    name: 'kafka',
    critical: false,
    check: async () => {
      await admin.describeCluster();
    },
  };
}

export interface TopicSpec {
  topic: string;
  partitions: number;
}

/** Creates the missing topics (replication follows the broker's default). */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((s) => ({ topic: s.topic, numPartitions: s.partitions, replicationFactor: -1 })),
  });
  return missing.map((s) => s.topic);
}

/** The dead-letter topic of a consumer group. */
export function deadLetterTopic(groupId: string): string {
  return `${groupId}.dlq`;
}
