/**
 * Pausing and resuming a doctor's queue of today. While paused nobody is
 * called; the estimates move to when staff expect to resume.
 */
import { commitChange, openDay } from './day-change.js';
import { queuePausedChanged } from './events.js';
import type { QueueStore } from './queue-store.js';
import { pauseOf } from './queue-view.js';
import { serviceDayOf } from './service-day.js';
import type { QueuePause } from './types.js';

export interface PauseCommand {
  tenantId: string;
  doctorId: string;
  timeZone: string;
  /** Pause: true; resume: false. */
  paused: boolean;
  resumeExpectedAt?: Date | undefined;
  reason?: string;
}

/** Pauses (again: new expected end) or resumes; resuming a running queue changes nothing. */
export async function setQueuePaused(
  deps: { store: QueueStore; now: () => Date },
  cmd: PauseCommand,
): Promise<{ serviceDate: string; pause: QueuePause }> {
  return deps.store.change(cmd.tenantId, async (tx) => {
    const now = deps.now();
    const day = await tx.lockDay({
      doctorId: cmd.doctorId,
      serviceDate: serviceDayOf(now, cmd.timeZone),
      timeZone: cmd.timeZone,
    });
    if (!cmd.paused && !day.pausedAt) return { serviceDate: day.serviceDate, pause: pauseOf(day) };
    const next = cmd.paused
      ? {
          ...day,
          pausedAt: day.pausedAt ?? now,
          resumeExpectedAt: cmd.resumeExpectedAt,
          pauseReason: cmd.reason ?? '',
        }
      : { ...day, pausedAt: undefined, resumeExpectedAt: undefined, pauseReason: '' };
    const open = await openDay(tx, day);
    const { open: after } = await commitChange(tx, open, {
      type: cmd.paused ? 'queue.paused' : 'queue.resumed',
      at: now,
      touched: [],
      day: next,
      events: (_place, seq) => [queuePausedChanged(next, seq)],
    });
    return { serviceDate: day.serviceDate, pause: pauseOf(after.day) };
  });
}
