import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from 'kafkajs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import {
  consumerGroupTopicSpecs,
  createKafka,
  deadLetterTopic,
  groupOfDeadLetterTopic,
  isRecordRejected,
  replayGroupId,
  retryTopic,
  slowIdleRequestQueueTimers,
} from './kafka.js';
import { RETENTION } from './retention.js';

/** A protocol error as kafkajs builds it from the broker's error code (protocol/error.js). */
function brokerError(type: string, code: number, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError({ type, code, retriable, message: `broker says ${type}` } as unknown as Error);
}

describe('isRecordRejected', () => {
  it('blames the record for a message too large or a topic that does not exist', () => {
    expect(isRecordRejected(brokerError('MESSAGE_TOO_LARGE', 10, false))).toBe(true);
    // What a send to a missing topic ends with: the metadata retries exhausted.
    const missing = new KafkaJSNumberOfRetriesExceeded(brokerError('UNKNOWN_TOPIC_OR_PARTITION', 3, true), {
      retryCount: 5,
      retryTime: 3_000,
    });
    expect(isRecordRejected(missing)).toBe(true);
    expect(isRecordRejected(brokerError('TOPIC_AUTHORIZATION_FAILED', 29, false))).toBe(true);
  });

  it('blames the record when the client cannot even take it', () => {
    expect(isRecordRejected(new TypeError('The "string" argument must be of type string'))).toBe(true);
    expect(isRecordRejected(new KafkaJSNonRetriableError('Invalid topic'))).toBe(true);
  });

  it('never blames the record for a broker that is away or slow', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1', {
      broker: '127.0.0.1:1',
      code: 'ECONNREFUSED',
    });
    expect(isRecordRejected(refused)).toBe(false);
    expect(isRecordRejected(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 3_000 }))).toBe(
      false,
    );
    expect(isRecordRejected(new KafkaJSRequestTimeoutError('Request Produce timed out'))).toBe(false);
    expect(isRecordRejected(brokerError('NOT_LEADER_FOR_PARTITION', 6, true))).toBe(false);
    expect(isRecordRejected(brokerError('NOT_ENOUGH_REPLICAS', 19, true))).toBe(false);
    expect(isRecordRejected(new KafkaJSError('The producer is disconnected'))).toBe(false);
    expect(isRecordRejected(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(false);
  });
});

describe('consumer group topics', () => {
  it('names the dead-letter, retry and replay-tracking parts of a group, and reads the group back', () => {
    expect(deadLetterTopic('hms.audit')).toBe('hms.audit.dlq');
    expect(retryTopic('hms.audit')).toBe('hms.audit.retry');
    expect(replayGroupId('hms.audit')).toBe('hms.audit.dlq-replay');
    expect(groupOfDeadLetterTopic('hms.audit.dlq')).toBe('hms.audit');
    expect(groupOfDeadLetterTopic('hms.appointments.v1')).toBeUndefined();
    expect(groupOfDeadLetterTopic('.dlq')).toBeUndefined();
  });

  it('gives both topics an explicit retention, dead letters the longer one', () => {
    const [dlq, retry] = consumerGroupTopicSpecs('hms.billing');
    expect(dlq).toMatchObject({ topic: 'hms.billing.dlq', partitions: 1 });
    expect(retry).toMatchObject({ topic: 'hms.billing.retry', partitions: 1 });
    expect(Number(dlq!.configs!['retention.ms'])).toBe(RETENTION.deadLetterTopicMs);
    expect(Number(retry!.configs!['retention.ms'])).toBe(RETENTION.eventTopicMs);
    expect(RETENTION.deadLetterTopicMs).toBeGreaterThan(RETENTION.eventTopicMs);
  });
});

describe("kafkajs's request queue timers", () => {
  interface Queue {
    pending: unknown[];
    throttledUntil: number;
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    checkPendingRequests(): void;
    scheduleCheckPendingRequests(): void;
    destroy(): void;
  }
  /** A real kafkajs request queue (the class each broker connection holds), its checks counted. */
  function requestQueue(): Queue & { checks: number } {
    createKafka({
      clientId: 'test',
      brokers: ['127.0.0.1:1'],
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    const load = createRequire(import.meta.url);
    const RequestQueue = load('kafkajs/src/network/requestQueue/index.js') as new (options: object) => Queue;
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const queue = new RequestQueue({
      maxInFlightRequests: 1,
      requestTimeout: 30_000,
      enforceRequestTimeout: false,
      clientId: 'test',
      broker: '127.0.0.1:1',
      logger: silent,
      isConnected: () => true,
    }) as Queue & { checks: number };
    queue.checks = 0;
    const check = queue.checkPendingRequests.bind(queue);
    queue.checkPendingRequests = () => {
      queue.checks += 1;
      check();
    };
    return queue;
  }

  /** The queue's next check comes exactly `ms` from now (fake timers). */
  function expectCheckAfter(queue: { checks: number }, ms: number) {
    const before = queue.checks;
    vi.advanceTimersByTime(ms - 1);
    expect(queue.checks).toBe(before);
    vi.advanceTimersByTime(1);
    expect(queue.checks).toBe(before + 1);
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it('checks an idle connection once a second, not every millisecond (the kafkajs in node_modules)', () => {
    vi.useFakeTimers();
    const queue = requestQueue();
    queue.scheduleCheckPendingRequests();
    expectCheckAfter(queue, 1_000);
    // The loop goes on at that pace, as kafkajs's own does at 1 ms.
    vi.advanceTimersByTime(10_000);
    expect(queue.checks).toBe(11);
    queue.destroy();
    vi.advanceTimersByTime(10_000);
    expect(queue.checks).toBe(11);
  });

  it("replaces the idle check with kafkajs's own (10 ms) as soon as a request has to wait", () => {
    vi.useFakeTimers();
    const queue = requestQueue();
    queue.scheduleCheckPendingRequests();
    queue.pending.push({ send() {}, expectResponse: true, correlationId: 1 });
    queue.scheduleCheckPendingRequests();
    expectCheckAfter(queue, 10);
    queue.destroy();
  });

  it("keeps kafkajs's schedule while throttled: one check at the throttle's end", () => {
    vi.useFakeTimers();
    const queue = requestQueue();
    queue.throttledUntil = Date.now() + 300;
    queue.scheduleCheckPendingRequests();
    expectCheckAfter(queue, 300);
    queue.destroy();
  });

  it('wraps the method once however many clients a process makes', () => {
    let calls = 0;
    const prototype = {
      pending: [] as unknown[],
      throttledUntil: -1,
      throttleCheckTimeoutId: null as NodeJS.Timeout | null,
      checkPendingRequests() {},
      scheduleCheckPendingRequests() {
        calls += 1;
      },
    };
    slowIdleRequestQueueTimers(prototype);
    slowIdleRequestQueueTimers(prototype);
    prototype.pending.push({});
    prototype.scheduleCheckPendingRequests();
    expect(calls).toBe(1);
  });
});
