import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from 'kafkajs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import {
  consumerGroupTopicSpecs,
  createKafka,
  deadLetterTopic,
  groupOfDeadLetterTopic,
  isRecordRejected,
  replayGroupId,
  retryTopic,
  stopIdleRequestQueueTimers,
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
  /** A request queue's state as the method reads it: not throttled, nothing armed yet. */
  const queue = (pending: unknown[]) => ({
    pending,
    throttledUntil: -1,
    throttleCheckTimeoutId: null as NodeJS.Timeout | null,
    checks: 0,
    checkPendingRequests() {
      this.checks += 1;
    },
  });

  it('arms no check on an idle connection, and one while requests wait (the kafkajs in node_modules)', async () => {
    createKafka({
      clientId: 'test',
      brokers: ['127.0.0.1:1'],
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    const load = createRequire(import.meta.url);
    const { prototype } = load('kafkajs/src/network/requestQueue/index.js') as {
      prototype: { scheduleCheckPendingRequests(this: ReturnType<typeof queue>): void };
    };
    const idle = queue([]);
    prototype.scheduleCheckPendingRequests.call(idle);
    expect(idle.throttleCheckTimeoutId).toBeNull();
    const waiting = queue([{}]);
    prototype.scheduleCheckPendingRequests.call(waiting);
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(waiting.checks).toBe(1);
  });

  it('wraps the method once however many clients a process makes', () => {
    let calls = 0;
    const prototype = {
      pending: [] as unknown[],
      scheduleCheckPendingRequests() {
        calls += 1;
      },
    };
    stopIdleRequestQueueTimers(prototype);
    stopIdleRequestQueueTimers(prototype);
    prototype.scheduleCheckPendingRequests();
    prototype.pending.push({});
    prototype.scheduleCheckPendingRequests();
    expect(calls).toBe(1);
  });
});
