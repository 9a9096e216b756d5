/**
 * Calls the next patient of a doctor's day to a room or counter. Under the
 * day's lock, so two desks calling at once call two different patients (or
 * the second finds nobody left). Refused while the queue is paused.
 */
import { FailedPreconditionError } from '@hms/platform/domain';
import { commitChange, openDay } from './day-change.js';
import { queueCalled } from './events.js';
import { passesOf, pickNext } from './queue-order.js';
import type { QueueStore } from './queue-store.js';
import { IN_LINE, type PlacedEntry, type QueueEntry } from './types.js';

export async function callNext(
  deps: { store: QueueStore; now: () => Date },
  cmd: { tenantId: string; doctorId: string; serviceDate: string; room: string },
): Promise<PlacedEntry> {
  return deps.store.change(cmd.tenantId, async (tx) => {
    const day = await tx.lockExistingDay(cmd.doctorId, cmd.serviceDate);
    if (!day) throw new NobodyWaitingError();
    if (day.pausedAt) {
      throw new FailedPreconditionError('the queue is paused; resume it before calling the next patient');
    }
    const open = await openDay(tx, day);
    const line = open.entries.filter((e) => IN_LINE.has(e.status));
    const called = open.entries.filter((e) => e.callNumber !== undefined && !IN_LINE.has(e.status));
    const passes = new Map(line.map((e) => [e.id, passesOf(e, called)]));
    const next = pickNext(line, day.calls, passes, open.rules);
    if (!next) throw new NobodyWaitingError();
    const now = deps.now();
    const callNumber = day.calls + 1;
    const entry: QueueEntry = { ...next, status: 'CALLED', room: cmd.room, calledAt: now, callNumber };
    const { placed } = await commitChange(tx, open, {
      type: 'queue.called',
      at: now,
      touched: [entry],
      day: { ...day, calls: callNumber },
      events: (_place, seq) => [queueCalled(entry, seq)],
    });
    return placed(entry.id);
  });
}

export class NobodyWaitingError extends FailedPreconditionError {
  override readonly name = 'NobodyWaitingError';
  constructor() {
    super('nobody is waiting in this queue');
  }
}
