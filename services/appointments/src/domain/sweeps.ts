/**
 * The recurring jobs' work (run by pg-boss, once per tick whatever the number
 * of replicas; each is also safe if two runs overlap):
 * - no-shows: BOOKED or CHECKED_IN appointments past the tenant's grace period
 *   after their slot become NO_SHOW, each through the same use case as by hand;
 * - reminders: due reminders are emitted once each, marked sent in the same
 *   transaction as their event (rows another run holds are skipped);
 * - holds: expired hold rows are deleted (they stopped counting when they
 *   expired; this only keeps the table small).
 */
import type { SchedulingDeps } from './book-appointment.js';
import { reminderDue } from './events.js';
import { markNoShow } from './lifecycle-actions.js';
import type { SweepStore } from './scheduling-store.js';

const BATCH = 200;
export const SYSTEM_ACTOR = 'system:scheduler';

export async function sweepNoShows(
  deps: SchedulingDeps & { sweeps: SweepStore; defaultGraceMinutes: number },
  signal?: AbortSignal,
): Promise<number> {
  let marked = 0;
  for (;;) {
    const due = await deps.sweeps.overdueAppointments(deps.now(), deps.defaultGraceMinutes, BATCH);
    for (const { tenantId, appointmentId } of due) {
      if (signal?.aborted) return marked;
      const before = await markNoShow(deps, {
        tenantId,
        appointmentId,
        actorId: SYSTEM_ACTOR,
        reason: 'did not attend (marked after the grace period)',
        automatic: true,
      }).catch((error: unknown) => {
        // Changed meanwhile (checked in and seen, cancelled, marked by hand): nothing to do.
        if ((error as { kind?: string }).kind === 'conflict') return undefined;
        throw error;
      });
      if (before?.status === 'NO_SHOW') marked += 1;
    }
    if (due.length < BATCH) return marked;
  }
}

export async function sendDueReminders(
  deps: Pick<SchedulingDeps, 'store' | 'now'> & { sweeps: SweepStore },
  signal?: AbortSignal,
): Promise<number> {
  let sent = 0;
  for (const tenantId of await deps.sweeps.tenantsWithDueReminders(deps.now(), 1_000)) {
    for (;;) {
      if (signal?.aborted) return sent;
      const taken = await deps.store.change(tenantId, async (tx) => {
        const due = await tx.takeDueReminders(deps.now(), BATCH);
        tx.emit(due.map((d) => reminderDue(d.appointment, d.reminder, d.timeZone)));
        return due;
      });
      sent += taken.length;
      if (taken.length < BATCH) break;
    }
  }
  return sent;
}

export async function cleanUpHolds(deps: Pick<SchedulingDeps, 'now'> & { sweeps: SweepStore }): Promise<number> {
  // An hour of slack: a hold that just expired may still be read back by its holder's client.
  return deps.sweeps.deleteExpiredHolds(new Date(deps.now().getTime() - 3_600_000), 10_000);
}
