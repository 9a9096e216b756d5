/**
 * What the desk does to one entry: recall, skip, complete, reprioritise, and
 * what a cancelled appointment does to its entry. Each locks the entry's day
 * first and decides on the entry as it is under that lock.
 */
import { FailedPreconditionError, NotFoundError, type PendingEvent } from '@hms/platform/domain';
import { commitChange, openDay, type OpenDay } from './day-change.js';
import { withConsultation } from './estimate.js';
import { queueCompleted, queuePriorityChanged, queueRecalled, queueRemoved, queueSkipped } from './events.js';
import type { QueueChanges, QueueStore } from './queue-store.js';
import {
  IN_LINE,
  SERVING,
  type DoctorStats,
  type PlacedEntry,
  type PriorityClass,
  type QueueDay,
  type QueueEntry,
  type QueueEntryStatus,
} from './types.js';

export interface EntryDeps {
  store: QueueStore;
  now: () => Date;
}

interface EntryDecision {
  type: string;
  entry: QueueEntry;
  day?: QueueDay;
  stats?: DoctorStats;
  events(entry: QueueEntry, seq: number): PendingEvent[];
}

export class EntryNotFoundError extends NotFoundError {
  override readonly name = 'EntryNotFoundError';
  constructor(id: string) {
    super(`queue entry ${id} does not exist`);
  }
}

function refuseUnless(entry: QueueEntry, allowed: ReadonlySet<QueueEntryStatus>, what: string): void {
  if (!allowed.has(entry.status)) {
    throw new FailedPreconditionError(`cannot ${what} an entry that is ${entry.status.toLowerCase()}`, [
      { field: 'status', message: `is ${entry.status.toLowerCase()}` },
    ]);
  }
}

/** Runs `decide` on the entry under its day's lock; undefined from decide changes nothing. */
export async function changeEntry(
  tx: QueueChanges,
  entryId: string,
  now: Date,
  decide: (entry: QueueEntry, open: OpenDay) => EntryDecision | undefined,
): Promise<PlacedEntry | undefined> {
  const found = await tx.entry(entryId);
  if (!found) throw new EntryNotFoundError(entryId);
  const day = await tx.lockExistingDay(found.doctorId, found.serviceDate);
  if (!day) throw new EntryNotFoundError(entryId);
  const open = await openDay(tx, day);
  const entry = open.entries.find((e) => e.id === entryId);
  if (!entry) throw new EntryNotFoundError(entryId);
  const decision = decide(entry, open);
  if (!decision) return undefined;
  const { placed } = await commitChange(tx, open, {
    type: decision.type,
    at: now,
    touched: [decision.entry],
    ...(decision.day ? { day: decision.day } : {}),
    ...(decision.stats ? { stats: decision.stats } : {}),
    events: (_place, seq) => decision.events(decision.entry, seq),
  });
  return placed(entryId);
}

const run = (
  deps: EntryDeps,
  tenantId: string,
  entryId: string,
  decide: (entry: QueueEntry, open: OpenDay, now: Date) => EntryDecision,
) =>
  deps.store.change(tenantId, async (tx) => {
    const now = deps.now();
    return (await changeEntry(tx, entryId, now, (entry, open) => decide(entry, open, now)))!;
  });

/** Announces a called patient again (the screens show and read it out once more). */
export function recallEntry(deps: EntryDeps, cmd: { tenantId: string; entryId: string }): Promise<PlacedEntry> {
  return run(deps, cmd.tenantId, cmd.entryId, (entry) => {
    refuseUnless(entry, SERVING, 'recall');
    const recalled = { ...entry, recallCount: entry.recallCount + 1 };
    return { type: 'queue.recalled', entry: recalled, events: (e, seq) => [queueRecalled(e, seq)] };
  });
}

/** Skips a patient who is not there: back in line after the tenant's offset, a no-show the second time. */
export function skipEntry(deps: EntryDeps, cmd: { tenantId: string; entryId: string }): Promise<PlacedEntry> {
  return run(deps, cmd.tenantId, cmd.entryId, (entry, open) => {
    refuseUnless(entry, new Set([...SERVING, ...IN_LINE]), 'skip');
    const skipCount = entry.skipCount + 1;
    const skipped: QueueEntry =
      skipCount >= 2
        ? { ...entry, skipCount, status: 'NO_SHOW' }
        : {
            ...entry,
            skipCount,
            status: 'SKIPPED',
            room: '',
            heldUntilCall: open.day.calls + open.rules.skipReturnAfter,
          };
    return { type: 'queue.skipped', entry: skipped, events: (e, seq) => [queueSkipped(e, seq)] };
  });
}

/** Ends a called patient's consultation; its length teaches the doctor's pace to the estimates. */
export function completeEntry(deps: EntryDeps, cmd: { tenantId: string; entryId: string }): Promise<PlacedEntry> {
  return run(deps, cmd.tenantId, cmd.entryId, (entry, open, now) => {
    refuseUnless(entry, SERVING, 'complete');
    const done: QueueEntry = { ...entry, status: 'DONE', completedAt: now };
    const seconds = entry.calledAt ? (now.getTime() - entry.calledAt.getTime()) / 1000 : undefined;
    return {
      type: 'queue.completed',
      entry: done,
      ...(seconds !== undefined && seconds > 0
        ? { stats: withConsultation(open.stats, seconds, entry.serviceDate) }
        : {}),
      events: (e, seq) => [queueCompleted(e, seq)],
    };
  });
}

export function setEntryPriority(
  deps: EntryDeps,
  cmd: { tenantId: string; entryId: string; priority: PriorityClass },
): Promise<PlacedEntry> {
  return run(deps, cmd.tenantId, cmd.entryId, (entry) => {
    refuseUnless(entry, IN_LINE, 'reprioritise');
    const changed = { ...entry, priority: cmd.priority };
    return { type: 'queue.priority_changed', entry: changed, events: (e, seq) => [queuePriorityChanged(e, seq)] };
  });
}

/**
 * A cancelled appointment leaves the queue. Nothing to do when it never
 * joined or has already left (a redelivery, or cancelled after the visit).
 */
export async function removeAppointmentEntry(
  deps: EntryDeps,
  cmd: { tenantId: string; appointmentId: string; reason: string },
): Promise<PlacedEntry | undefined> {
  return deps.store.change(cmd.tenantId, async (tx) => {
    const found = await tx.entryOfAppointment(cmd.appointmentId);
    if (!found) return undefined;
    return changeEntry(tx, found.id, deps.now(), (entry) => {
      if (!IN_LINE.has(entry.status) && !SERVING.has(entry.status)) return undefined;
      const removed = { ...entry, status: 'REMOVED' as const };
      return { type: 'queue.removed', entry: removed, events: (e, seq) => [queueRemoved(e, seq, cmd.reason)] };
    });
  });
}
