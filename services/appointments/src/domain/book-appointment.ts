/**
 * Booking a slot: the doctor (with fees and calendar, read through the cache)
 * decides whether the slot can be had; the appointment, its claim on the
 * doctor's and patient's time, its first history row, its reminders and
 * appointment.booked are saved in one transaction. The database refuses a
 * claim overlapping another (exclusion constraints), so no two bookings of a
 * time ever both succeed. With a hold, the hold becomes the appointment's
 * claim. With an idempotency key, a retry of the same request gets the first
 * booking back (replayed) and the key reused for another request is refused.
 *
 * The cached doctor is checked against the row's version in the same
 * statement: a booking planned on a doctor that has just changed (fees,
 * calendar) is planned again on the fresh row, never saved on the old one.
 */
import { ConflictError, FailedPreconditionError, NotFoundError, type IdempotencyClaim } from '@hms/platform/domain';
import { appointmentBooked } from './events.js';
import { assertWithinQuota } from './quotas.js';
import { planReminders } from './reminders.js';
import type { RecentlyTaken } from './recently-taken.js';
import { SlotTakenError, type ReferenceData, type SchedulingStore } from './scheduling-store.js';
import { assertBookable, planSlot, type BookingPolicy } from './schedule.js';
import type { Appointment, ConsultationMode, DoctorRecord } from './types.js';

export interface BookAppointment {
  tenantId: string;
  actorId: string;
  patientId: string;
  doctorId: string;
  startsAt: Date;
  reason: string;
  mode?: ConsultationMode | undefined;
  holdId?: string | undefined;
  idempotency?: IdempotencyClaim | undefined;
  traceId: string;
  /** The plan's appointments per calendar month (UTC); undefined: no limit. */
  monthlyQuota?: number | undefined;
}

export interface SchedulingDeps {
  store: SchedulingStore;
  reference: ReferenceData;
  now: () => Date;
  newId: () => string;
  policy: BookingPolicy;
  /** Refusals of a moment ago (recently-taken.ts); none: every request asks the database. */
  recentlyTaken?: RecentlyTaken | undefined;
}

export async function bookAppointment(
  deps: SchedulingDeps,
  command: BookAppointment,
): Promise<{ appointment: Appointment; replayed: boolean }> {
  const rush = !command.idempotency && !command.holdId ? deps.recentlyTaken : undefined;
  if (rush?.has(command.tenantId, command.doctorId, command.startsAt)) throw new SlotTakenError();
  // Someone here is booking this very slot: their answer first (it is most likely ours too).
  const turn = rush?.attempt(command.tenantId, command.doctorId, command.startsAt);
  if (turn && 'ahead' in turn && (await turn.ahead) !== 'other') throw new SlotTakenError();
  const finish = turn && 'finish' in turn ? turn.finish : undefined;
  try {
    const booked = await book(deps, command, rush);
    finish?.('booked');
    return booked;
  } catch (error) {
    finish?.(error instanceof SlotTakenError ? 'taken' : 'other');
    throw error;
  }
}

async function book(
  deps: SchedulingDeps,
  command: BookAppointment,
  rush: RecentlyTaken | undefined,
): Promise<{ appointment: Appointment; replayed: boolean }> {
  const settings = await deps.reference.settings(command.tenantId);
  let record = await deps.reference.doctor(command.tenantId, command.doctorId);
  const result = await deps.store
    .change(command.tenantId, async (tx) => {
      if (command.idempotency) {
        const earlier = await tx.replayOf(command.idempotency);
        if (earlier !== undefined) return { appointment: appointmentFromJson(earlier), replayed: true };
      }
      await assertWithinQuota(tx, 'appointmentsPerMonth', command.monthlyQuota, deps.now());
      // Twice at most: the second time on the doctor as the database has it now.
      for (let attempt = 1; ; attempt += 1) {
        assertBookable(record);
        const appointment = plan(deps, command, record, settings.reminderOffsetsMinutes);
        const now = deps.now();
        const outcome = await tx.insertBooking({
          appointment: appointment.appointment,
          history: {
            id: deps.newId(),
            appointmentId: appointment.appointment.id,
            from: null,
            to: 'BOOKED',
            actorId: command.actorId,
            reason: '',
            movedFrom: null,
            movedTo: null,
            at: now,
          },
          events: [appointmentBooked(appointment.appointment)],
          reminders: appointment.reminders,
          doctorVersion: record.doctor.version,
          holdId: command.holdId,
          idempotency: command.idempotency,
          now,
        });
        if (outcome.inserted) return { appointment: appointment.appointment, replayed: false, stale: attempt > 1 };
        switch (outcome.reason) {
          case 'doctor-changed':
            if (attempt > 1) throw new ConflictError('the doctor changed while booking; retry');
            record = await tx.doctorRecord(command.doctorId);
            continue;
          case 'unknown-patient':
            throw new FailedPreconditionError('unknown patient', [{ field: 'patientId', message: 'no such patient' }]);
          case 'inactive-patient':
            throw new FailedPreconditionError('the patient is deactivated', [
              { field: 'patientId', message: 'patient is inactive' },
            ]);
          case 'hold-not-usable':
            throw holdNotUsable(await tx.hold(command.holdId!), command);
        }
      }
    })
    .catch((error: unknown) => {
      if (error instanceof SlotTakenError) rush?.remember(command.tenantId, command.doctorId, command.startsAt);
      throw error;
    });
  // The cache was behind the database: nobody should plan on that entry again.
  if ('stale' in result && result.stale) {
    await deps.reference.changed('doctor', command.tenantId, command.doctorId);
  }
  return { appointment: result.appointment, replayed: result.replayed };
}

function plan(
  deps: SchedulingDeps,
  command: BookAppointment,
  record: DoctorRecord,
  reminderOffsets: number[],
): { appointment: Appointment; reminders: ReturnType<typeof planReminders> } {
  const { doctor, calendar } = record;
  const now = deps.now();
  const slot = planSlot(doctor, calendar, command.startsAt, now, deps.policy);
  const mode = command.mode ?? 'IN_PERSON';
  if (!doctor.consultationModes.includes(mode)) {
    throw new FailedPreconditionError('the doctor does not consult that way', [
      { field: 'mode', message: `must be one of ${doctor.consultationModes.join(', ').toLowerCase()}` },
    ]);
  }
  const appointment: Appointment = {
    id: deps.newId(),
    tenantId: command.tenantId,
    patientId: command.patientId,
    doctorId: doctor.id,
    departmentId: doctor.departmentId,
    startsAt: slot.startsAt,
    endsAt: slot.endsAt,
    serviceDate: slot.serviceDate,
    status: 'BOOKED',
    mode,
    reason: command.reason,
    statusReason: '',
    cancelledBy: null,
    consultationFeeMinor: doctor.consultationFeeMinor,
    hospitalFeeMinor: doctor.hospitalFeeMinor,
    currency: doctor.currency,
    idempotencyKey: command.idempotency?.key ?? null,
    traceId: command.traceId,
    createdAt: now,
    checkedInAt: null,
    cancelledAt: null,
    consultationStartedAt: null,
    completedAt: null,
  };
  return { appointment, reminders: planReminders(appointment, reminderOffsets, now) };
}

/** Why a hold cannot become this booking: gone, expired, or another patient's or slot's. */
export function holdNotUsable(
  hold: { patientId: string; doctorId: string; startsAt: Date; expiresAt: Date } | undefined,
  command: { patientId: string; doctorId: string; startsAt: Date },
  field = 'holdId',
): Error {
  if (!hold)
    return new NotFoundError('no such hold (released, used, or never made)', [{ field, message: 'no such hold' }]);
  if (hold.patientId !== command.patientId) {
    return new FailedPreconditionError('the hold is another patient’s', [
      { field, message: 'held for another patient' },
    ]);
  }
  if (hold.doctorId !== command.doctorId || hold.startsAt.getTime() !== command.startsAt.getTime()) {
    return new FailedPreconditionError('the hold is for another slot', [
      { field, message: `holds ${hold.startsAt.toISOString()} with doctor ${hold.doctorId}` },
    ]);
  }
  return new FailedPreconditionError('the hold has expired', [
    { field, message: `expired at ${hold.expiresAt.toISOString()}` },
  ]);
}

/** An appointment stored as an idempotent result (JSON: instants as ISO strings). */
export function appointmentFromJson(value: unknown): Appointment {
  const a = value as Record<string, unknown> & Appointment;
  const instant = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  return {
    ...a,
    mode: a.mode ?? 'IN_PERSON',
    statusReason: a.statusReason ?? '',
    cancelledBy: a.cancelledBy ?? null,
    startsAt: new Date(a.startsAt as unknown as string),
    endsAt: new Date(a.endsAt as unknown as string),
    createdAt: new Date(a.createdAt as unknown as string),
    checkedInAt: instant(a.checkedInAt),
    cancelledAt: instant(a.cancelledAt),
    consultationStartedAt: instant(a.consultationStartedAt),
    completedAt: instant(a.completedAt),
  };
}
