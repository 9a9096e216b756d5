/**
 * How long each part of messaging keeps what it keeps, and why the numbers fit
 * together (docs/operations.md, "Retention windows", tells the same story):
 *
 * - Kafka keeps domain and retry topics 7 days and dead letters 14 days; a
 *   segment rolls every day, so a record is gone at most a day after its
 *   retention ends.
 * - A consumer can see an event again for as long as some topic it reads can
 *   hand it over again: at worst a dead letter replayed on its last day (14 d
 *   + 1 d) whose copy on the retry topic is then redelivered on that topic's
 *   last day (7 d + 1 d): 23 days. processed_event rows are kept 30 days, so a
 *   redelivery is always recognised.
 * - Published outbox rows are not needed once Kafka holds the event (the relay
 *   publishes with acks=all); a day is kept for investigations.
 * - Idempotency keys are kept a day: clients retry within seconds or minutes.
 * - Consumer groups' committed offsets are kept 14 days, longer than the
 *   records they point into, so a group that was away resumes where it stopped.
 *
 * A consumer away for longer than its topics' retention would silently miss
 * events: the KafkaConsumerStalled alerts fire after 5 minutes and, as a last
 * warning, after a day without progress, days before retention runs out.
 */
import type { Admin, ConfigResourceTypes } from 'kafkajs';

/** kafkajs' ConfigResourceTypes.TOPIC: the CommonJS package does not give its enums as ESM named exports. */
export const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const RETENTION = {
  /** Domain topics (hms.<service>.v1) and the consumer groups' retry topics. */
  eventTopicMs: 7 * DAY_MS,
  /** Dead-letter topics: time for an operator to fix the cause and replay. */
  deadLetterTopicMs: 14 * DAY_MS,
  /** Segment roll of every topic: the delay between retention ending and deletion. */
  segmentMs: DAY_MS,
  /** processed_event rows; must exceed redeliveryHorizonMs() of the topics read. */
  processedEventMs: 30 * DAY_MS,
  /** Outbox rows after they are published. */
  publishedOutboxMs: DAY_MS,
  /**
   * Idempotency keys of create requests (db/idempotency.ts): a client's retry
   * of the same request within a day gets the first result; after that the key
   * is forgotten and a retry is a new request.
   */
  idempotencyKeyMs: DAY_MS,
} as const;

/** Kafka topic configs that make a topic's retention explicit. */
export function retentionConfigs(kind: 'event' | 'dead-letter'): Record<string, string> {
  return {
    'retention.ms': String(kind === 'event' ? RETENTION.eventTopicMs : RETENTION.deadLetterTopicMs),
    'segment.ms': String(RETENTION.segmentMs),
    'cleanup.policy': 'delete',
  };
}

export interface TopicRetention {
  topic: string;
  retentionMs: number;
  segmentMs: number;
}

/** The longest a record may live on a topic: its retention plus one segment. */
function lifetime(t: TopicRetention): number {
  return t.retentionMs < 0 ? Number.POSITIVE_INFINITY : t.retentionMs + t.segmentMs;
}

/**
 * How long after an event was first handled the same event can reach the
 * group again: a dead letter replayed at the end of its life, and the replayed
 * copy redelivered at the end of the retry topic's life; or simply a
 * redelivery from a domain topic.
 */
export function redeliveryHorizonMs(topics: {
  deadLetter: TopicRetention;
  retry: TopicRetention;
  events: TopicRetention[];
}): number {
  const domain = Math.max(0, ...topics.events.map(lifetime));
  return Math.max(domain, lifetime(topics.deadLetter) + lifetime(topics.retry));
}

/** Reads the effective retention.ms and segment.ms of topics from the broker. */
export async function describeRetention(admin: Admin, topics: string[]): Promise<TopicRetention[]> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({
      type: TOPIC_RESOURCE,
      name,
      configNames: ['retention.ms', 'segment.ms'],
    })),
  });
  return resources.map((r) => {
    const value = (name: string) => Number(r.configEntries.find((e) => e.configName === name)?.configValue);
    return { topic: r.resourceName, retentionMs: value('retention.ms'), segmentMs: value('segment.ms') };
  });
}
