import { FailedPreconditionError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import { doctor, schedules } from '../testing/fixtures.js';
import { assertCanCancel, assertCheckInWindow, planSlot } from './schedule.js';
import type { Appointment, Calendar } from './types.js';

const calendar: Calendar = { schedules: schedules.filter((s) => s.doctorId === doctor.id), exceptions: [] };
const policy = { maxDaysAhead: 30, checkInOpensMinutesBefore: 240 };
// Monday 2030-01-07 08:00 IST = 02:30 UTC.
const mondayMorning = new Date('2030-01-07T02:30:00Z');

function messagesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FailedPreconditionError);
    return (error as FailedPreconditionError).violations.map((v) => v.message);
  }
  throw new Error('expected a FailedPreconditionError');
}

describe('planSlot', () => {
  it('plans a slot of the calendar, with the local service date', () => {
    // 10:30 IST on Monday.
    const slot = planSlot(doctor, calendar, new Date('2030-01-07T05:00:00Z'), mondayMorning, policy);
    expect(slot.endsAt.toISOString()).toBe('2030-01-07T05:15:00.000Z');
    expect(slot.serviceDate).toBe('2030-01-07');
  });

  it('refuses the past, off-grid starts, closed days, out-of-hours and too far ahead, saying why', () => {
    expect(
      messagesOf(() => planSlot(doctor, calendar, new Date('2030-01-07T02:00:00Z'), mondayMorning, policy)),
    ).toContain('must be in the future');
    expect(
      messagesOf(() => planSlot(doctor, calendar, new Date('2030-01-07T05:07:00Z'), mondayMorning, policy))[0],
    ).toBe(
      "must start on a slot of the doctor's calendar; the nearest start at 2030-01-07T05:00:00.000Z and 2030-01-07T05:15:00.000Z",
    );
    // Sunday 2030-01-13, 10:30 IST.
    expect(
      messagesOf(() => planSlot(doctor, calendar, new Date('2030-01-13T05:00:00Z'), mondayMorning, policy)),
    ).toEqual(['the doctor does not work on 2030-01-13 (Asia/Kolkata)']);
    // 18:00 IST: after hours.
    expect(
      messagesOf(() => planSlot(doctor, calendar, new Date('2030-01-07T12:30:00Z'), mondayMorning, policy))[0],
    ).toBe("must be within the doctor's hours (09:00-13:00, 14:00-17:00 Asia/Kolkata)");
    expect(
      messagesOf(() => planSlot(doctor, calendar, new Date('2030-03-04T05:00:00Z'), mondayMorning, policy)),
    ).toContain('must be within 30 days');
  });

  it('refuses an inactive doctor', () => {
    expect(() =>
      planSlot({ ...doctor, active: false }, calendar, new Date('2030-01-07T05:00:00Z'), mondayMorning, policy),
    ).toThrow('not taking appointments');
  });
});

const appointment = {
  startsAt: new Date('2030-01-07T05:00:00Z'),
  serviceDate: '2030-01-07',
} as Appointment;

describe('check-in and cancellation windows', () => {
  it('opens check-in the configured time before the slot and closes it with the local day', () => {
    expect(() => assertCheckInWindow(appointment, 'Asia/Kolkata', new Date('2030-01-07T00:59:00Z'), policy)).toThrow(
      /check-in opens/,
    );
    expect(() =>
      assertCheckInWindow(appointment, 'Asia/Kolkata', new Date('2030-01-07T01:00:00Z'), policy),
    ).not.toThrow();
    expect(() =>
      assertCheckInWindow(appointment, 'Asia/Kolkata', new Date('2030-01-07T18:29:00Z'), policy),
    ).not.toThrow();
    expect(() => assertCheckInWindow(appointment, 'Asia/Kolkata', new Date('2030-01-07T18:31:00Z'), policy)).toThrow(
      /is over/,
    );
  });

  it("lets patients cancel up to the tenant's window and staff until the slot starts", () => {
    const settings = { cancellationWindowMinutes: 120 };
    expect(() => assertCanCancel(appointment, 'PATIENT', new Date('2030-01-07T02:59:00Z'), settings)).not.toThrow();
    expect(() => assertCanCancel(appointment, 'PATIENT', new Date('2030-01-07T03:01:00Z'), settings)).toThrow(
      /up to 120 minutes/,
    );
    expect(() => assertCanCancel(appointment, 'STAFF', new Date('2030-01-07T04:59:00Z'), settings)).not.toThrow();
    expect(() => assertCanCancel(appointment, 'STAFF', new Date('2030-01-07T05:00:00Z'), settings)).toThrow(
      /no-show instead/,
    );
  });
});
