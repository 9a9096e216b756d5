/**
 * Slot rules: when a doctor can be booked or held, when a patient can check
 * in and cancel. Pure functions of the doctor, the calendar and the clock.
 */
import { FailedPreconditionError, localParts, type FieldViolation } from '@hms/platform/domain';
import { findSlot, hoursOf, slotsOfDay } from './calendar.js';
import type { Appointment, Calendar, Doctor, DoctorRecord, SchedulingSettings, Slot } from './types.js';

export interface BookingPolicy {
  /** How far ahead a slot may be booked. */
  maxDaysAhead: number;
  /** How long before its slot an appointment may be checked in. */
  checkInOpensMinutesBefore: number;
}

const MINUTE = 60_000;

/** The doctor must exist and take appointments. */
export function assertBookable(record: DoctorRecord | undefined, field = 'doctorId'): asserts record is DoctorRecord {
  if (!record) throw new FailedPreconditionError('unknown doctor', [{ field, message: 'no such doctor' }]);
  if (!record.doctor.active) {
    throw new FailedPreconditionError('the doctor is not taking appointments', [
      { field, message: 'doctor is inactive' },
    ]);
  }
}

/**
 * The slot of the doctor's calendar starting at `startsAt`, or the reasons it
 * cannot be had: in the past, too far ahead, not a working day, out of hours,
 * or off the slot grid (naming the nearest slots).
 */
export function planSlot(
  doctor: Doctor,
  calendar: Calendar,
  startsAt: Date,
  now: Date,
  policy: Pick<BookingPolicy, 'maxDaysAhead'>,
  field = 'startsAt',
): Slot {
  if (!doctor.active) {
    throw new FailedPreconditionError('the doctor is not taking appointments', [
      { field: 'doctorId', message: 'doctor is inactive' },
    ]);
  }
  const violations: FieldViolation[] = [];
  if (startsAt.getTime() <= now.getTime()) violations.push({ field, message: 'must be in the future' });
  if (startsAt.getTime() > now.getTime() + policy.maxDaysAhead * 24 * 60 * MINUTE) {
    violations.push({ field, message: `must be within ${policy.maxDaysAhead} days` });
  }
  const slot = findSlot(doctor, calendar, startsAt);
  if (!slot) violations.push({ field, message: whyNoSlot(doctor, calendar, startsAt) });
  if (violations.length > 0 || !slot) {
    throw new FailedPreconditionError('the doctor cannot be booked at that time', violations);
  }
  return slot;
}

function whyNoSlot(doctor: Doctor, calendar: Calendar, startsAt: Date): string {
  const date = localParts(startsAt, doctor.timeZone).date;
  const day = slotsOfDay(doctor, calendar, date);
  if (day.length === 0) return `the doctor does not work on ${date} (${doctor.timeZone})`;
  const t = startsAt.getTime();
  const first = day[0]!;
  const last = day.at(-1)!;
  if (t < first.startsAt.getTime() || t >= last.endsAt.getTime()) {
    return `must be within the doctor's hours (${hoursOf(doctor, calendar, date)})`;
  }
  const before = [...day].reverse().find((s) => s.startsAt.getTime() < t);
  const after = day.find((s) => s.startsAt.getTime() > t);
  const near = [before, after].filter((s): s is Slot => s !== undefined).map((s) => s.startsAt.toISOString());
  return `must start on a slot of the doctor's calendar; the nearest start at ${near.join(' and ')}`;
}

/** Whether an appointment may be checked in now (its status is checked by the lifecycle). */
export function assertCheckInWindow(
  appointment: Appointment,
  timeZone: string,
  now: Date,
  policy: BookingPolicy,
): void {
  const opens = appointment.startsAt.getTime() - policy.checkInOpensMinutesBefore * MINUTE;
  if (now.getTime() < opens) {
    throw new FailedPreconditionError(
      `check-in opens ${policy.checkInOpensMinutesBefore} minutes before the slot, at ${new Date(opens).toISOString()}`,
    );
  }
  if (localParts(now, timeZone).date > appointment.serviceDate) {
    throw new FailedPreconditionError('the day of this appointment is over');
  }
}

/**
 * A patient may cancel up to the tenant's window before the slot; staff may
 * cancel until the slot starts (later, it is a no-show, not a cancellation).
 */
export function assertCanCancel(
  appointment: Appointment,
  by: 'PATIENT' | 'STAFF',
  now: Date,
  settings: Pick<SchedulingSettings, 'cancellationWindowMinutes'>,
): void {
  const starts = appointment.startsAt.getTime();
  if (now.getTime() >= starts) {
    throw new FailedPreconditionError('the slot has started: mark the appointment a no-show instead', [
      { field: 'startsAt', message: 'is in the past' },
    ]);
  }
  const window = settings.cancellationWindowMinutes * MINUTE;
  if (by === 'PATIENT' && now.getTime() > starts - window) {
    throw new FailedPreconditionError(
      `a patient may cancel up to ${settings.cancellationWindowMinutes} minutes before the slot; ask the front desk`,
      [
        {
          field: 'cancelledBy',
          message: `the cancellation window closed at ${new Date(starts - window).toISOString()}`,
        },
      ],
    );
  }
}
