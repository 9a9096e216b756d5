import { describe, expect, it } from 'vitest';
import { redeliveryHorizonMs, RETENTION, retentionConfigs } from './retention.js';

const DAY = 86_400_000;
const topic = (name: string, retentionDays: number, segmentDays = 1) => ({
  topic: name,
  retentionMs: retentionDays * DAY,
  segmentMs: segmentDays * DAY,
});

describe('retention windows', () => {
  it('keep processed-event records longer than any topic can redeliver an event', () => {
    const horizon = redeliveryHorizonMs({
      events: [topic('hms.appointments.v1', 7)],
      deadLetter: topic('hms.audit.dlq', RETENTION.deadLetterTopicMs / DAY),
      retry: topic('hms.audit.retry', RETENTION.eventTopicMs / DAY),
    });
    // 14 d + 1 d for a dead letter replayed on its last day, 7 d + 1 d for the replayed copy.
    expect(horizon).toBe(23 * DAY);
    expect(RETENTION.processedEventMs).toBeGreaterThan(horizon);
  });

  it('count a topic kept forever (retention.ms -1) as never safe to prune', () => {
    const horizon = redeliveryHorizonMs({
      events: [{ topic: 'forever', retentionMs: -1, segmentMs: DAY }],
      deadLetter: topic('d', 14),
      retry: topic('r', 7),
    });
    expect(horizon).toBe(Number.POSITIVE_INFINITY);
  });

  it('count a long segment roll, which keeps records past their retention', () => {
    const weeklySegments = redeliveryHorizonMs({
      events: [topic('e', 7, 7)],
      deadLetter: topic('d', 14, 7),
      retry: topic('r', 7, 7),
    });
    expect(weeklySegments).toBe(35 * DAY);
    expect(RETENTION.processedEventMs).toBeLessThan(weeklySegments);
  });

  it('write retention and segment roll as explicit topic configs', () => {
    expect(retentionConfigs('event')).toEqual({
      'retention.ms': String(7 * DAY),
      'segment.ms': String(DAY),
      'cleanup.policy': 'delete',
    });
    expect(retentionConfigs('dead-letter')['retention.ms']).toBe(String(14 * DAY));
  });
});
