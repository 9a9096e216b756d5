import { FailedPreconditionError, InvalidArgumentError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import {
  assertNoClash,
  coversWorkingTime,
  exceptionViolations,
  findSlot,
  scheduleViolations,
  slotsBetween,
  slotsOfDay,
} from './calendar.js';
import type { Calendar, ScheduleException } from './types.js';

const week = (
  sessions: { startMinute: number; endMinute: number }[],
  slotMinutes = 15,
  days = [1, 2, 3, 4, 5, 6, 7],
) => ({
  id: 's1',
  doctorId: 'd1',
  validFrom: '2000-01-01',
  validTo: null,
  slotMinutes,
  sessions: days.flatMap((weekday) => sessions.map((s) => ({ weekday, ...s }))),
  createdAt: '',
  updatedAt: '',
});
const exception = (e: Partial<ScheduleException>): ScheduleException => ({
  id: `e-${Math.random()}`,
  doctorId: 'd1',
  date: '2030-01-07',
  kind: 'LEAVE',
  startMinute: null,
  endMinute: null,
  slotMinutes: null,
  reason: '',
  createdAt: '',
  ...e,
});
const kolkata = { timeZone: 'Asia/Kolkata' };
const iso = (slots: { startsAt: Date }[]) => slots.map((s) => s.startsAt.toISOString());

describe('slots of a calendar', () => {
  const twoSessions: Calendar = {
    schedules: [
      week(
        [
          { startMinute: 540, endMinute: 600 },
          { startMinute: 1020, endMinute: 1050 },
        ],
        20,
        [1, 2, 3, 4, 5, 6],
      ),
    ],
    exceptions: [],
  };

  it('cuts every session of the local day into slots of the template length', () => {
    // Monday 2030-01-07 in Kolkata (UTC+05:30): 09:00-10:00 and 17:00-17:30 with 20-minute slots.
    const day = slotsOfDay(kolkata, twoSessions, '2030-01-07');
    expect(iso(day)).toEqual([
      '2030-01-07T03:30:00.000Z',
      '2030-01-07T03:50:00.000Z',
      '2030-01-07T04:10:00.000Z',
      '2030-01-07T11:30:00.000Z',
    ]);
    expect(
      day.every((s) => s.serviceDate === '2030-01-07' && s.endsAt.getTime() - s.startsAt.getTime() === 20 * 60_000),
    ).toBe(true);
    // Sunday is not a working day.
    expect(slotsOfDay(kolkata, twoSessions, '2030-01-13')).toEqual([]);
  });

  it('honours validity, leave days, extra sessions and blocked hours', () => {
    const calendar: Calendar = {
      schedules: [{ ...twoSessions.schedules[0]!, validFrom: '2030-01-08' }],
      exceptions: [
        exception({ date: '2030-01-09', kind: 'LEAVE' }),
        exception({ date: '2030-01-10', kind: 'BLOCKED', startMinute: 560, endMinute: 600 }),
        exception({ date: '2030-01-13', kind: 'EXTRA', startMinute: 600, endMinute: 630, slotMinutes: 10 }),
      ],
    };
    expect(slotsOfDay(kolkata, calendar, '2030-01-07')).toEqual([]);
    expect(slotsOfDay(kolkata, calendar, '2030-01-08')).toHaveLength(4);
    expect(slotsOfDay(kolkata, calendar, '2030-01-09')).toEqual([]);
    // 09:20-10:00 blocked: the 09:20 and 09:40 slots go, 09:00 stays.
    expect(iso(slotsOfDay(kolkata, calendar, '2030-01-10'))).toEqual([
      '2030-01-10T03:30:00.000Z',
      '2030-01-10T11:30:00.000Z',
    ]);
    // An extra Sunday session 10:00-10:30 with 10-minute slots.
    expect(iso(slotsOfDay(kolkata, calendar, '2030-01-13'))).toEqual([
      '2030-01-13T04:30:00.000Z',
      '2030-01-13T04:40:00.000Z',
      '2030-01-13T04:50:00.000Z',
    ]);
  });

  it('keeps slots whole and non-overlapping across daylight saving changes', () => {
    const newYork = { timeZone: 'America/New_York' };
    const night: Calendar = { schedules: [week([{ startMinute: 0, endMinute: 360 }], 30)], exceptions: [] };
    // 2030-03-10: clocks jump from 02:00 to 03:00, so 00:00-06:00 is five real hours: 10 slots.
    const spring = slotsOfDay(newYork, night, '2030-03-10');
    expect(spring).toHaveLength(10);
    expect(spring[4]!.startsAt.toISOString()).toBe('2030-03-10T07:00:00.000Z'); // 03:00 EDT
    // 2030-11-03: 01:00-02:00 happens twice, so the session is seven real hours: 14 slots.
    expect(slotsOfDay(newYork, night, '2030-11-03')).toHaveLength(14);
    for (const day of [spring, slotsOfDay(newYork, night, '2030-11-03')]) {
      for (let i = 1; i < day.length; i += 1) expect(day[i]!.startsAt >= day[i - 1]!.endsAt).toBe(true);
    }
  });

  it('lists slots in a window, across local days, and finds one by its start', () => {
    const from = new Date('2030-01-07T04:00:00Z');
    const to = new Date('2030-01-08T04:00:00Z');
    expect(iso(slotsBetween(kolkata, twoSessions, from, to))).toEqual([
      '2030-01-07T04:10:00.000Z',
      '2030-01-07T11:30:00.000Z',
      '2030-01-08T03:30:00.000Z',
      '2030-01-08T03:50:00.000Z',
    ]);
    expect(findSlot(kolkata, twoSessions, new Date('2030-01-07T03:50:00Z'))?.serviceDate).toBe('2030-01-07');
    expect(findSlot(kolkata, twoSessions, new Date('2030-01-07T03:45:00Z'))).toBeUndefined();
  });
});

describe('working time', () => {
  it('says whether a span lies in working time, joining sessions that touch, across midnight', () => {
    const allDay: Calendar = { schedules: [week([{ startMinute: 0, endMinute: 1440 }])], exceptions: [] };
    const utc = { timeZone: 'UTC' };
    expect(coversWorkingTime(utc, allDay, new Date('2030-01-07T23:50:00Z'), new Date('2030-01-08T00:05:00Z'))).toBe(
      true,
    );
    const withLeave: Calendar = { ...allDay, exceptions: [exception({ date: '2030-01-08', kind: 'LEAVE' })] };
    expect(coversWorkingTime(utc, withLeave, new Date('2030-01-07T23:50:00Z'), new Date('2030-01-08T00:05:00Z'))).toBe(
      false,
    );
    const blocked: Calendar = {
      ...allDay,
      exceptions: [exception({ date: '2030-01-07', kind: 'BLOCKED', startMinute: 600, endMinute: 660 })],
    };
    expect(coversWorkingTime(utc, blocked, new Date('2030-01-07T10:30:00Z'), new Date('2030-01-07T10:45:00Z'))).toBe(
      false,
    );
    // Off the grid but in working time is not stranded: a 20-minute grid under a 15-minute appointment.
    const grid20: Calendar = { schedules: [week([{ startMinute: 540, endMinute: 600 }], 20)], exceptions: [] };
    expect(coversWorkingTime(utc, grid20, new Date('2030-01-07T09:15:00Z'), new Date('2030-01-07T09:30:00Z'))).toBe(
      true,
    );
  });
});

describe('calendar input', () => {
  it('refuses malformed templates, naming each field', () => {
    expect(
      scheduleViolations({
        validFrom: '2030-01-10',
        validTo: '2030-01-01',
        slotMinutes: 3,
        sessions: [
          { weekday: 8, startMinute: 0, endMinute: 60 },
          { weekday: 1, startMinute: 600, endMinute: 540 },
          { weekday: 2, startMinute: 540, endMinute: 720 },
          { weekday: 2, startMinute: 700, endMinute: 800 },
        ],
      }).map((v) => v.field),
    ).toEqual(['slotMinutes', 'validTo', 'sessions.0.weekday', 'sessions.1', 'sessions.3']);
    expect(
      scheduleViolations({
        validFrom: '2030-01-01',
        validTo: null,
        slotMinutes: 30,
        sessions: [{ weekday: 1, startMinute: 0, endMinute: 20 }],
      }),
    ).toEqual([{ field: 'sessions.0', message: 'must be at least one slot (30 minutes) long' }]);
  });

  it('refuses malformed exceptions and extra sessions over working hours', () => {
    const calendar: Calendar = { schedules: [week([{ startMinute: 540, endMinute: 780 }])], exceptions: [] };
    expect(
      exceptionViolations(calendar, {
        date: '2030-01-07',
        kind: 'LEAVE',
        startMinute: 60,
        endMinute: null,
        slotMinutes: null,
      })[0]?.field,
    ).toBe('kind');
    expect(
      exceptionViolations(calendar, {
        date: '2030-01-07',
        kind: 'EXTRA',
        startMinute: 900,
        endMinute: 905,
        slotMinutes: null,
      })[0]?.field,
    ).toBe('endMinute');
    expect(() =>
      assertNoClash(calendar, { date: '2030-01-07', kind: 'EXTRA', startMinute: 700, endMinute: 800 }),
    ).toThrow(FailedPreconditionError);
    expect(() =>
      assertNoClash(calendar, { date: '2030-01-07', kind: 'EXTRA', startMinute: 780, endMinute: 840 }),
    ).not.toThrow();
    expect(InvalidArgumentError).toBeDefined();
  });
});
