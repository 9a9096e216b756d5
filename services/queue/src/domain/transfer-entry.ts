/**
 * Moves a patient to another doctor's queue of the same day: the entry left
 * behind is TRANSFERRED, the new one gets the next token there and keeps the
 * patient's arrival time (so they are not sent to the back of the line) and
 * priority. Both days are locked in one order (by doctor id), so two
 * transfers in opposite directions cannot deadlock.
 */
import { FailedPreconditionError } from '@hms/platform/domain';
import { commitChange, openDay } from './day-change.js';
import { EntryNotFoundError } from './entry-actions.js';
import { queueTokenIssued, queueTransferred } from './events.js';
import { newEntry } from './join-queue.js';
import type { QueueStore } from './queue-store.js';
import { IN_LINE, SERVING, type PlacedEntry, type QueueEntry } from './types.js';

export async function transferEntry(
  deps: { store: QueueStore; now: () => Date; newId: () => string },
  cmd: { tenantId: string; entryId: string; toDoctorId: string; toTimeZone: string },
): Promise<{ from: PlacedEntry; to: PlacedEntry }> {
  return deps.store.change(cmd.tenantId, async (tx) => {
    const found = await tx.entry(cmd.entryId);
    if (!found) throw new EntryNotFoundError(cmd.entryId);
    if (found.doctorId === cmd.toDoctorId) {
      throw new FailedPreconditionError('the patient is already in this doctor’s queue', [
        { field: 'doctorId', message: 'is the doctor of the entry' },
      ]);
    }
    const target = { doctorId: cmd.toDoctorId, serviceDate: found.serviceDate, timeZone: cmd.toTimeZone };
    const lockSource = () => tx.lockExistingDay(found.doctorId, found.serviceDate);
    let sourceDay;
    let targetDay;
    if (found.doctorId < cmd.toDoctorId) {
      sourceDay = await lockSource();
      targetDay = await tx.lockDay(target);
    } else {
      targetDay = await tx.lockDay(target);
      sourceDay = await lockSource();
    }
    if (!sourceDay) throw new EntryNotFoundError(cmd.entryId);
    const source = await openDay(tx, sourceDay);
    const entry = source.entries.find((e) => e.id === cmd.entryId)!;
    if (!IN_LINE.has(entry.status) && !SERVING.has(entry.status)) {
      throw new FailedPreconditionError(`cannot transfer an entry that is ${entry.status.toLowerCase()}`, [
        { field: 'status', message: `is ${entry.status.toLowerCase()}` },
      ]);
    }
    const now = deps.now();
    const destination = await openDay(tx, targetDay);
    const moved: QueueEntry = newEntry(
      {
        id: deps.newId(),
        tenantId: cmd.tenantId,
        doctorId: cmd.toDoctorId,
        serviceDate: found.serviceDate,
        appointmentId: entry.appointmentId,
        patientId: entry.patientId,
        priority: entry.priority,
        joinedAt: entry.joinedAt,
        traceId: entry.traceId,
        transferredFromEntryId: entry.id,
      },
      targetDay.lastToken + 1,
    );
    const left: QueueEntry = { ...entry, status: 'TRANSFERRED', transferredToDoctorId: cmd.toDoctorId };
    // The source first: the appointment's one live entry moves out before it moves in.
    const from = await commitChange(tx, source, {
      type: 'queue.transferred',
      at: now,
      touched: [left],
      events: (_place, seq) => [queueTransferred(left, moved, seq)],
    });
    const to = await commitChange(tx, destination, {
      type: 'queue.token_issued',
      at: now,
      touched: [moved],
      day: { ...targetDay, lastToken: moved.tokenNumber },
      events: (place, seq) => [queueTokenIssued(place(moved.id), seq)],
    });
    return { from: from.placed(left.id), to: to.placed(moved.id) };
  });
}
