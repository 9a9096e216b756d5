/**
 * Slot holds: a patient's claim on a doctor's slot for the tenant's hold time
 * (5 minutes by default), while they decide. A held slot cannot be held or
 * booked by anyone else: the hold is a row in the same table as appointments'
 * claims, under the same exclusion constraints. An expired hold simply stops
 * counting: whoever wants the time next deletes it in their own transaction,
 * so correctness never waits for a sweeper (a clean-up job only tidies up).
 */
import { FailedPreconditionError, NotFoundError, type IdempotencyClaim } from '@hms/platform/domain';
import type { SchedulingDeps } from './book-appointment.js';
import { currentDoctor } from './reschedule-appointment.js';
import { assertBookable, planSlot } from './schedule.js';
import type { SlotHold } from './types.js';

const MINUTE = 60_000;

export interface HoldSlot {
  tenantId: string;
  doctorId: string;
  patientId: string;
  startsAt: Date;
  idempotency?: IdempotencyClaim | undefined;
}

export async function holdSlot(
  deps: SchedulingDeps,
  command: HoldSlot,
): Promise<{ hold: SlotHold; replayed: boolean }> {
  const settings = await deps.reference.settings(command.tenantId);
  let stale = false;
  const result = await deps.store.change(command.tenantId, async (tx) => {
    if (command.idempotency) {
      const earlier = await tx.replayOf(command.idempotency);
      if (earlier !== undefined) return { hold: holdFromJson(earlier), replayed: true };
    }
    const doctor = await currentDoctor(deps, tx, command.tenantId, command.doctorId);
    stale = doctor.stale;
    assertBookable(doctor.record);
    const now = deps.now();
    const slot = planSlot(doctor.record.doctor, doctor.record.calendar, command.startsAt, now, deps.policy);
    const patient = await tx.patientForBooking(command.patientId);
    if (!patient)
      throw new FailedPreconditionError('unknown patient', [{ field: 'patientId', message: 'no such patient' }]);
    if (!patient.active) {
      throw new FailedPreconditionError('the patient is deactivated', [
        { field: 'patientId', message: 'patient is inactive' },
      ]);
    }
    await tx.clearExpiredHolds({ ...command, startsAt: slot.startsAt, endsAt: slot.endsAt, now });
    const hold: SlotHold = {
      id: deps.newId(),
      tenantId: command.tenantId,
      doctorId: command.doctorId,
      patientId: command.patientId,
      startsAt: slot.startsAt,
      endsAt: slot.endsAt,
      serviceDate: slot.serviceDate,
      expiresAt: new Date(now.getTime() + settings.holdMinutes * MINUTE),
    };
    await tx.insertHold(hold);
    if (command.idempotency) await tx.remember(command.idempotency, hold);
    return { hold, replayed: false };
  });
  if (stale) await deps.reference.changed('doctor', command.tenantId, command.doctorId);
  return result;
}

/** A hold that still counts; an expired one is gone as far as anyone can tell. */
export async function getHold(
  deps: Pick<SchedulingDeps, 'store' | 'now'>,
  query: { tenantId: string; holdId: string },
): Promise<SlotHold> {
  const hold = await deps.store.read(query.tenantId, (r) => r.hold(query.holdId));
  if (!hold || hold.expiresAt.getTime() <= deps.now().getTime()) {
    throw new NotFoundError(`hold ${query.holdId} not found (released, used, expired, or never made)`);
  }
  return hold;
}

/** Gives the slot back before the hold expires. */
export async function releaseHold(
  deps: Pick<SchedulingDeps, 'store' | 'now' | 'recentlyTaken'>,
  command: { tenantId: string; holdId: string },
): Promise<void> {
  const doctorId = await deps.store.change(command.tenantId, async (tx) => {
    const hold = await tx.lockHold(command.holdId);
    if (!hold || hold.expiresAt.getTime() <= deps.now().getTime()) {
      throw new NotFoundError(`hold ${command.holdId} not found (released, used, expired, or never made)`);
    }
    await tx.deleteHold(command.holdId);
    return hold.doctorId;
  });
  deps.recentlyTaken?.forgetDoctor(command.tenantId, doctorId);
}

function holdFromJson(value: unknown): SlotHold {
  const h = value as Record<string, string> & SlotHold;
  return {
    ...h,
    startsAt: new Date(h.startsAt as unknown as string),
    endsAt: new Date(h.endsAt as unknown as string),
    expiresAt: new Date(h.expiresAt as unknown as string),
  };
}
