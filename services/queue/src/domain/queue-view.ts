/** A day as screens and the desk see it: calling order, positions and estimated call times, at `now`. */
import { consultationMs, estimateCallTimes } from './estimate.js';
import { orderQueue } from './queue-order.js';
import {
  IN_LINE,
  type DoctorQueue,
  type DoctorStats,
  type LinePlace,
  type PlacedEntry,
  type QueueDay,
  type QueueEntry,
  type QueuePause,
  type QueueRules,
} from './types.js';

export interface ViewInput {
  doctorId: string;
  serviceDate: string;
  day: QueueDay | undefined;
  entries: readonly QueueEntry[];
  rules: QueueRules;
  stats: DoctorStats | undefined;
  now: Date;
}

export function pauseOf(day: QueueDay | undefined): QueuePause {
  return {
    paused: day?.pausedAt !== undefined,
    pausedAt: day?.pausedAt,
    resumeExpectedAt: day?.resumeExpectedAt,
    reason: day?.pauseReason ?? '',
  };
}

export function viewOf(input: ViewInput): DoctorQueue {
  const ordered = orderQueue(input.entries, input.day?.calls ?? 0, input.rules);
  const line = ordered.filter((e) => IN_LINE.has(e.status));
  const estimates = estimateCallTimes(line, {
    entries: input.entries,
    stats: input.stats,
    rules: input.rules,
    serviceDate: input.serviceDate,
    pause: { pausedAt: input.day?.pausedAt, resumeExpectedAt: input.day?.resumeExpectedAt },
    now: input.now,
  });
  const entries: PlacedEntry[] = ordered.map((e) => ({ ...e, estimatedCallAt: estimates.get(e.id) }));
  return {
    doctorId: input.doctorId,
    serviceDate: input.serviceDate,
    timeZone: input.day?.timeZone ?? 'UTC',
    seq: input.day?.seq ?? 0,
    pause: pauseOf(input.day),
    consultationSeconds: Math.round(consultationMs(input) / 1000),
    entries,
  };
}

export function lineOf(queue: DoctorQueue): LinePlace[] {
  return queue.entries
    .filter((e) => e.position > 0)
    .map((e) => ({ entryId: e.id, tokenNumber: e.tokenNumber, estimatedCallAt: e.estimatedCallAt }));
}
