import { createRequire } from 'node:module';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import type { Logger } from '../logger.js';
import type { HealthCheck } from '../ops-server.js';
import { retentionConfigs, TOPIC_RESOURCE } from './retention.js';

export type { Kafka, Admin, Producer } from 'kafkajs';

interface RequestQueuePrototype {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(this: RequestQueuePrototype): void;
  scheduleCheckPendingRequests(this: RequestQueuePrototype): void;
  [SLOWS_WHEN_IDLE]?: true;
  [IDLE_CHECK]?: boolean;
}
const SLOWS_WHEN_IDLE = Symbol('hms: slows when idle');
/** Set on a queue while its armed check is the idle one. */
const IDLE_CHECK = Symbol('hms: idle check armed');

/** How often an idle connection's request queue still looks at its pending requests. */
export const IDLE_REQUEST_QUEUE_CHECK_MS = 1_000;

/**
 * kafkajs 2.2.4's request queue (one per broker connection) re-arms a timer
 * after every check, pending requests or not, with a negative delay when not
 * throttled: an endless 1 ms loop on every idle connection (kafkajs issue
 * 1556, unfixed in the release). An idle consumer and producer cost 32 CPU-ms a
 * second; a stack runs dozens of connections. Here the loop stays as kafkajs
 * runs it (armed after every check, cleared with the connection, at the
 * throttle's end while throttled, every 10 ms while requests wait) but comes
 * round once a second while nothing waits: a request that has to wait arms the
 * 10 ms check itself, and one completing or timing out checks again at once.
 * Applied once per process, on the first client.
 */
export function slowIdleRequestQueueTimers(prototype: RequestQueuePrototype = requestQueuePrototype()): void {
  if (prototype[SLOWS_WHEN_IDLE]) return;
  const schedule = prototype.scheduleCheckPendingRequests;
  if (typeof schedule !== 'function' || typeof prototype.checkPendingRequests !== 'function')
    throw new Error('kafkajs request queue changed: review slowIdleRequestQueueTimers');
  prototype.scheduleCheckPendingRequests = function scheduleSlowlyWhenIdle(this: RequestQueuePrototype) {
    if (this.pending.length > 0 || this.throttledUntil > Date.now()) {
      // Requests wait (or will, throttled): kafkajs's own schedule, in place of an idle check.
      if (this[IDLE_CHECK] && this.throttleCheckTimeoutId) {
        clearTimeout(this.throttleCheckTimeoutId);
        this.throttleCheckTimeoutId = null;
      }
      this[IDLE_CHECK] = false;
      schedule.call(this);
      return;
    }
    if (this.throttleCheckTimeoutId) return;
    this[IDLE_CHECK] = true;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this[IDLE_CHECK] = false;
      this.checkPendingRequests();
    }, IDLE_REQUEST_QUEUE_CHECK_MS);
  };
  prototype[SLOWS_WHEN_IDLE] = true;
}

function requestQueuePrototype(): RequestQueuePrototype {
  const load = createRequire(import.meta.url);
  const RequestQueue = load('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueuePrototype };
  return RequestQueue.prototype;
}

/** A kafkajs client whose own logging goes through pino. */
export function createKafka(options: { clientId: string; brokers: string[]; logger: Logger }): Kafka {
  slowIdleRequestQueueTimers();
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
  /** Topic-level configs (e.g. retention.ms); applied at creation and converged on existing topics. */
  configs?: Record<string, string>;
}

/**
 * Creates the missing topics (replication follows the broker's default) and
 * brings the configs of existing ones to what their spec says, so retention is
 * what the code and docs claim on every stack, old or new. Another process
 * creating the same topic at the same moment is not an error.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor: -1,
          configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (error) {
      const nowExisting = new Set(await admin.listTopics());
      if (!missing.every((s) => nowExisting.has(s.topic))) throw error;
    }
  }
  await convergeConfigs(
    admin,
    specs.filter((s) => existing.has(s.topic) && s.configs && Object.keys(s.configs).length > 0),
  );
  return missing.map((s) => s.topic);
}

async function convergeConfigs(admin: Admin, specs: TopicSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({
      type: TOPIC_RESOURCE,
      name: s.topic,
      configNames: Object.keys(s.configs ?? {}),
    })),
  });
  const differing = specs.filter((s) => {
    const actual = resources.find((r) => r.resourceName === s.topic)?.configEntries ?? [];
    return Object.entries(s.configs ?? {}).some(
      ([name, value]) => actual.find((e) => e.configName === name)?.configValue !== value,
    );
  });
  if (differing.length === 0) return;
  await admin.alterConfigs({
    validateOnly: false,
    resources: differing.map((s) => ({
      type: TOPIC_RESOURCE,
      name: s.topic,
      configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
}

/** A domain topic (hms.<service>.v1) with its explicit retention. */
export function eventTopicSpec(topic: string, partitions: number): TopicSpec {
  return { topic, partitions, configs: retentionConfigs('event') };
}

/**
 * The topics a consumer group owns besides what it consumes: its dead-letter
 * topic, and its retry topic, which only this group reads, so that replayed
 * dead letters reach the group that failed them and no other.
 */
export function consumerGroupTopicSpecs(groupId: string): TopicSpec[] {
  return [
    { topic: deadLetterTopic(groupId), partitions: 1, configs: retentionConfigs('dead-letter') },
    { topic: retryTopic(groupId), partitions: 1, configs: retentionConfigs('event') },
  ];
}

const DEAD_LETTER_SUFFIX = '.dlq';

/** The dead-letter topic of a consumer group. */
export function deadLetterTopic(groupId: string): string {
  return `${groupId}${DEAD_LETTER_SUFFIX}`;
}

/** The consumer group a dead-letter topic belongs to, or undefined for any other topic. */
export function groupOfDeadLetterTopic(topic: string): string | undefined {
  return topic.endsWith(DEAD_LETTER_SUFFIX) && topic.length > DEAD_LETTER_SUFFIX.length
    ? topic.slice(0, -DEAD_LETTER_SUFFIX.length)
    : undefined;
}

/** The topic replayed dead letters are re-delivered on; only the group itself subscribes to it. */
export function retryTopic(groupId: string): string {
  return `${groupId}.retry`;
}

/** The consumer group whose committed offsets on the dead-letter topic mark what was replayed (or skipped). */
export function replayGroupId(groupId: string): string {
  return `${groupId}.dlq-replay`;
}

// Kafka error types about the record or its topic: sending the same record
// again fails the same way, while other records go through.
const RECORD_REJECTIONS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
  'POLICY_VIOLATION',
]);

/**
 * True when a send failed because of what was sent (too large, to a topic
 * that does not exist, not encodable), not because the broker is away: the
 * outbox relay counts an attempt against such a record instead of waiting for
 * the whole broker.
 */
export function isRecordRejected(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const e = error as { name?: unknown; type?: unknown; cause?: unknown; originalError?: unknown; code?: unknown };
  if (typeof e.type === 'string' && RECORD_REJECTIONS.has(e.type)) return true;
  const name = typeof e.name === 'string' ? e.name : '';
  // kafkajs' own validation of what it was given; these carry no type or code.
  const message = (error as { message?: unknown }).message;
  if (name === 'KafkaJSNonRetriableError' && typeof message === 'string' && /^Invalid (topic|message)/.test(message)) {
    return true;
  }
  // Not from kafkajs nor the network: the client could not even encode the record.
  if (depth === 0 && !name.startsWith('KafkaJS') && typeof e.code !== 'string') return true;
  return isRecordRejected(e.cause ?? e.originalError, depth + 1);
}
