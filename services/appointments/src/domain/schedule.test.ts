import { FailedPreconditionError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import { assertCanCheckIn, planSlot } from './schedule.js';
import type { Appointment, Doctor } from './types.js';

const doctor: Doctor = {
  id: 'd1',
  tenantId: 't1',
  departmentId: 'dep1',
  fullName: 'Dr. Test',
  consultationFeeMinor: 50_000,
  hospitalFeeMinor: 10_000,
  currency: 'INR',
  timeZone: 'Asia/Kolkata',
  slotMinutes: 15,
  dayStartMinute: 9 * 60,
  dayEndMinute: 17 * 60,
  workingDays: [1, 2, 3, 4, 5, 6],
  active: true,
};
const policy = { maxDaysAhead: 30, checkInOpensMinutesBefore: 240 };
// Monday 2030-01-07 08:00 IST = 02:30 UTC.
const mondayMorning = new Date('2030-01-07T02:30:00Z');

function violationsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FailedPreconditionError);
    return (error as FailedPreconditionError).violations.map((v) => v.message);
  }
  throw new Error('expected a FailedPreconditionError');
}

describe('planSlot', () => {
  it('plans a slot inside the hours, with the local service date', () => {
    // 10:30 IST on Monday.
    const slot = planSlot(doctor, new Date('2030-01-07T05:00:00Z'), mondayMorning, policy);
    expect(slot.endsAt.toISOString()).toBe('2030-01-07T05:15:00.000Z');
    expect(slot.serviceDate).toBe('2030-01-07');
  });

  it('uses the local day, not the UTC one, for an early local slot', () => {
    // 09:00 IST Tuesday = 03:30 UTC Tuesday; 00:15 IST would be the previous UTC day.
    const slot = planSlot({ ...doctor, dayStartMinute: 0 }, new Date('2030-01-07T18:45:00Z'), mondayMorning, policy);
    expect(slot.serviceDate).toBe('2030-01-08');
  });

  it('refuses the past, misaligned starts, closed days and hours', () => {
    expect(violationsOf(() => planSlot(doctor, new Date('2030-01-07T02:00:00Z'), mondayMorning, policy))).toContain(
      'must be in the future',
    );
    expect(violationsOf(() => planSlot(doctor, new Date('2030-01-07T05:07:00Z'), mondayMorning, policy))[0]).toMatch(
      /15-minute slot boundary/,
    );
    // Sunday 2030-01-13, 10:30 IST.
    expect(violationsOf(() => planSlot(doctor, new Date('2030-01-13T05:00:00Z'), mondayMorning, policy))).toContain(
      'the doctor does not work that day',
    );
    // 16:50 IST: the slot would end after 17:00.
    expect(violationsOf(() => planSlot(doctor, new Date('2030-01-07T11:30:00Z'), mondayMorning, policy))[0]).toMatch(
      /doctor's hours/,
    );
    expect(violationsOf(() => planSlot(doctor, new Date('2030-03-04T05:00:00Z'), mondayMorning, policy))).toContain(
      'must be within 30 days',
    );
  });

  it('refuses an inactive doctor', () => {
    expect(() =>
      planSlot({ ...doctor, active: false }, new Date('2030-01-07T05:00:00Z'), mondayMorning, policy),
    ).toThrow('not taking appointments');
  });
});

describe('assertCanCheckIn', () => {
  const appointment: Appointment = {
    id: 'a1',
    tenantId: 't1',
    patientId: 'p1',
    doctorId: 'd1',
    departmentId: 'dep1',
    startsAt: new Date('2030-01-07T05:00:00Z'),
    endsAt: new Date('2030-01-07T05:15:00Z'),
    serviceDate: '2030-01-07',
    status: 'BOOKED',
    reason: '',
    consultationFeeMinor: 1,
    hospitalFeeMinor: 1,
    currency: 'INR',
    idempotencyKey: null,
    traceId: '',
    createdAt: new Date('2030-01-01T00:00:00Z'),
    checkedInAt: null,
  };

  it('opens the configured time before the slot and closes with the local day', () => {
    expect(() => assertCanCheckIn(appointment, 'Asia/Kolkata', new Date('2030-01-07T00:59:00Z'), policy)).toThrow(
      /check-in opens/,
    );
    expect(() => assertCanCheckIn(appointment, 'Asia/Kolkata', new Date('2030-01-07T01:00:00Z'), policy)).not.toThrow();
    // 23:59 IST the same day is still fine; 00:01 IST the next day is not.
    expect(() => assertCanCheckIn(appointment, 'Asia/Kolkata', new Date('2030-01-07T18:29:00Z'), policy)).not.toThrow();
    expect(() => assertCanCheckIn(appointment, 'Asia/Kolkata', new Date('2030-01-07T18:31:00Z'), policy)).toThrow(
      /is over/,
    );
  });

  it('lets a checked-in appointment through again and refuses cancelled ones', () => {
    expect(() =>
      assertCanCheckIn({ ...appointment, status: 'CHECKED_IN' }, 'UTC', new Date('2030-01-07T05:00:00Z'), policy),
    ).not.toThrow();
    expect(() =>
      assertCanCheckIn({ ...appointment, status: 'CANCELLED' }, 'UTC', new Date('2030-01-07T05:00:00Z'), policy),
    ).toThrow(/cancelled cannot be checked in/);
  });
});
