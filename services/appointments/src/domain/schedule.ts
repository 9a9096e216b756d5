/**
 * Slot rules: when a doctor can be booked and when a patient can check in.
 * Pure functions of the doctor's schedule and the clock.
 */
import { FailedPreconditionError, localParts, type FieldViolation } from '@hms/platform/domain';
import type { Appointment, Doctor } from './types.js';

export interface BookingPolicy {
  /** How far ahead a slot may be booked. */
  maxDaysAhead: number;
  /** How long before its slot an appointment may be checked in. */
  checkInOpensMinutesBefore: number;
}

export interface PlannedSlot {
  startsAt: Date;
  endsAt: Date;
  serviceDate: string;
}

const MINUTE = 60_000;

/** The slot starting at `startsAt`, or the reasons the doctor cannot be booked then. */
export function planSlot(doctor: Doctor, startsAt: Date, now: Date, policy: BookingPolicy): PlannedSlot {
  const violations: FieldViolation[] = [];
  const violate = (message: string) => violations.push({ field: 'startsAt', message });
  if (!doctor.active) {
    throw new FailedPreconditionError('the doctor is not taking appointments', [
      { field: 'doctorId', message: 'doctor is inactive' },
    ]);
  }
  if (startsAt.getTime() <= now.getTime()) violate('must be in the future');
  if (startsAt.getTime() > now.getTime() + policy.maxDaysAhead * 24 * 60 * MINUTE) {
    violate(`must be within ${policy.maxDaysAhead} days`);
  }
  const local = localParts(startsAt, doctor.timeZone);
  if (local.second !== 0 || startsAt.getUTCMilliseconds() !== 0 || local.minuteOfDay % doctor.slotMinutes !== 0) {
    violate(`must start on a ${doctor.slotMinutes}-minute slot boundary in ${doctor.timeZone}`);
  }
  if (!doctor.workingDays.includes(local.isoWeekday)) violate('the doctor does not work that day');
  if (local.minuteOfDay < doctor.dayStartMinute || local.minuteOfDay + doctor.slotMinutes > doctor.dayEndMinute) {
    violate(
      `must be within the doctor's hours (${clock(doctor.dayStartMinute)}-${clock(doctor.dayEndMinute)} ${doctor.timeZone})`,
    );
  }
  if (violations.length > 0) {
    throw new FailedPreconditionError('the doctor cannot be booked at that time', violations);
  }
  return {
    startsAt,
    endsAt: new Date(startsAt.getTime() + doctor.slotMinutes * MINUTE),
    serviceDate: local.date,
  };
}

/** Whether an appointment may be checked in now; already checked in is allowed (a retry). */
export function assertCanCheckIn(appointment: Appointment, timeZone: string, now: Date, policy: BookingPolicy): void {
  if (appointment.status === 'CHECKED_IN') return;
  if (appointment.status !== 'BOOKED') {
    throw new FailedPreconditionError(
      `an appointment that is ${appointment.status.toLowerCase()} cannot be checked in`,
    );
  }
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

function clock(minuteOfDay: number): string {
  const h = String(Math.floor(minuteOfDay / 60)).padStart(2, '0');
  const m = String(minuteOfDay % 60).padStart(2, '0');
  return `${h}:${m}`;
}
