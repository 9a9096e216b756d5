import { describe, expect, it } from 'vitest';
import { consultationMs, DEFAULT_PAUSE_MS, estimateCallTimes, PRIOR_WEIGHT, withConsultation } from './estimate.js';
import type { QueueEntry } from './types.js';

const T0 = Date.UTC(2030, 0, 7, 4);
const min = 60_000;
const rules = { defaultConsultationSeconds: 600 };

function done(n: number, minutes: number): QueueEntry {
  return {
    id: `d${n}`,
    status: 'DONE',
    calledAt: new Date(T0 + n * 60 * min),
    completedAt: new Date(T0 + n * 60 * min + minutes * min),
  } as QueueEntry;
}

describe('consultationMs', () => {
  it("starts from the tenant's default, then the doctor's history, and moves towards today's pace", () => {
    expect(consultationMs({ entries: [], stats: undefined, rules })).toBe(10 * min);
    const history = { meanSeconds: 900, samples: 20, day: '2030-01-06', daySeconds: 0, dayCount: 0 };
    expect(consultationMs({ entries: [], stats: history, rules, serviceDate: '2030-01-07' })).toBe(15 * min);
    const today = [done(0, 20), done(1, 20), done(2, 20), done(3, 20)];
    // Four consultations of 20 minutes against a prior of 10 worth four: halfway.
    expect(PRIOR_WEIGHT).toBe(4);
    expect(consultationMs({ entries: today, stats: undefined, rules })).toBe(15 * min);
  });

  it('caps a consultation nobody completed for hours', () => {
    expect(consultationMs({ entries: [done(0, 600)], stats: undefined, rules })).toBe(((4 + 4) * 10 * min) / 5);
  });
});

describe('estimateCallTimes', () => {
  const line = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
  const now = new Date(T0);
  const noPause = { pausedAt: undefined, resumeExpectedAt: undefined };

  it('puts each patient one consultation after the one before', () => {
    const times = estimateCallTimes(line, { entries: [], stats: undefined, rules, pause: noPause, now });
    expect([...times.values()].map((d) => (d.getTime() - T0) / min)).toEqual([0, 10, 20]);
  });

  it('waits for the rest of the consultation in progress, at least a fifth of one', () => {
    const inRoom = { id: 'x', status: 'CALLED', calledAt: new Date(T0 - 4 * min) } as QueueEntry;
    const times = estimateCallTimes(line, { entries: [inRoom], stats: undefined, rules, pause: noPause, now });
    expect((times.get('a')!.getTime() - T0) / min).toBe(6);
    const overrun = { ...inRoom, calledAt: new Date(T0 - 30 * min) };
    const later = estimateCallTimes(line, { entries: [overrun], stats: undefined, rules, pause: noPause, now });
    expect((later.get('a')!.getTime() - T0) / min).toBe(2);
  });

  it('starts a paused queue when staff expect to resume, or after the default pause', () => {
    const announced = { pausedAt: new Date(T0 - min), resumeExpectedAt: new Date(T0 + 30 * min) };
    const times = estimateCallTimes(line, { entries: [], stats: undefined, rules, pause: announced, now });
    expect((times.get('a')!.getTime() - T0) / min).toBe(30);
    const open = { pausedAt: new Date(T0 - min), resumeExpectedAt: undefined };
    const other = estimateCallTimes(line, { entries: [], stats: undefined, rules, pause: open, now });
    expect(other.get('a')!.getTime() - T0).toBe(DEFAULT_PAUSE_MS - min);
  });
});

describe('withConsultation', () => {
  it("keeps today's consultations apart until a later day begins, so they are never counted twice", () => {
    let stats = withConsultation(undefined, 600, '2030-01-07');
    stats = withConsultation(stats, 1200, '2030-01-07');
    expect(stats).toEqual({ meanSeconds: 0, samples: 0, day: '2030-01-07', daySeconds: 1800, dayCount: 2 });
    // Today the history is still empty: the default is the prior.
    expect(consultationMs({ entries: [], stats, rules, serviceDate: '2030-01-07' })).toBe(10 * min);
    // The next day, the 7th is history.
    expect(consultationMs({ entries: [], stats, rules, serviceDate: '2030-01-08' })).toBe(15 * min);
    stats = withConsultation(stats, 300, '2030-01-08');
    expect(stats).toMatchObject({ meanSeconds: 900, samples: 2, day: '2030-01-08', dayCount: 1 });
  });

  it('never stops learning: each later day moves the history by a fifth at least', () => {
    let stats = withConsultation(undefined, 600, '2030-01-01');
    for (let d = 2; d <= 30; d += 1) stats = withConsultation(stats, 300, `2030-01-${String(d).padStart(2, '0')}`);
    expect(stats.meanSeconds).toBeLessThan(310);
  });
});
