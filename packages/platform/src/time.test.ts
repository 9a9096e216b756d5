import { describe, expect, it } from 'vitest';
import {
  addDays,
  dateOnly,
  isCalendarDate,
  isoDateOf,
  isoWeekdayOf,
  isValidTimeZone,
  localParts,
  zonedInstant,
  zoneOffsetMinutes,
} from './time.js';

describe('localParts', () => {
  it('gives the local day, minute and weekday of an instant', () => {
    // 2030-01-06 20:00 UTC is Monday 2030-01-07 01:30 in Kolkata (UTC+05:30).
    expect(localParts(new Date('2030-01-06T20:00:00Z'), 'Asia/Kolkata')).toEqual({
      date: '2030-01-07',
      minuteOfDay: 90,
      isoWeekday: 1,
      second: 0,
    });
    expect(localParts(new Date('2030-01-06T20:00:00Z'), 'UTC').isoWeekday).toBe(7);
  });

  it('follows daylight saving time', () => {
    // New York: EST (UTC-5) in January, EDT (UTC-4) in July.
    expect(localParts(new Date('2030-01-15T14:00:00Z'), 'America/New_York').minuteOfDay).toBe(9 * 60);
    expect(localParts(new Date('2030-07-15T13:00:00Z'), 'America/New_York').minuteOfDay).toBe(9 * 60);
  });

  it('rejects unknown zones and round-trips dates', () => {
    expect(isValidTimeZone('Asia/Kolkata')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isoDateOf(dateOnly('2030-02-28'))).toBe('2030-02-28');
    expect(isCalendarDate('2028-02-29')).toBe(true);
    expect(isCalendarDate('2030-02-29')).toBe(false);
    expect(isCalendarDate('2030-13-01')).toBe(false);
    expect(isCalendarDate('30-01-01')).toBe(false);
  });
});

describe('zonedInstant', () => {
  it('turns a local wall time into its instant', () => {
    expect(zonedInstant('2030-01-07', 9 * 60, 'Asia/Kolkata').toISOString()).toBe('2030-01-07T03:30:00.000Z');
    expect(zonedInstant('2030-01-07', 24 * 60, 'UTC').toISOString()).toBe('2030-01-08T00:00:00.000Z');
    expect(zonedInstant('2030-07-15', 9 * 60, 'America/New_York').toISOString()).toBe('2030-07-15T13:00:00.000Z');
  });

  it('moves a wall time skipped by daylight saving forward, and takes the earlier of a repeated one', () => {
    // New York springs forward at 02:00 on 2030-03-10: 02:30 does not exist and becomes 03:30 EDT.
    expect(zonedInstant('2030-03-10', 2 * 60 + 30, 'America/New_York').toISOString()).toBe('2030-03-10T07:30:00.000Z');
    expect(zonedInstant('2030-03-10', 3 * 60, 'America/New_York').toISOString()).toBe('2030-03-10T07:00:00.000Z');
    // ...and falls back at 02:00 on 2030-11-03: 01:30 happens twice; the first is EDT.
    expect(zonedInstant('2030-11-03', 90, 'America/New_York').toISOString()).toBe('2030-11-03T05:30:00.000Z');
    expect(zonedInstant('2030-11-03', 3 * 60, 'America/New_York').toISOString()).toBe('2030-11-03T08:00:00.000Z');
  });

  it('knows calendar arithmetic and offsets', () => {
    expect(addDays('2030-02-27', 2)).toBe('2030-03-01');
    expect(addDays('2030-01-01', -1)).toBe('2029-12-31');
    expect(isoWeekdayOf('2030-01-07')).toBe(1);
    expect(isoWeekdayOf('2030-01-13')).toBe(7);
    expect(zoneOffsetMinutes(new Date('2030-01-07T00:00:00Z'), 'Asia/Kolkata')).toBe(330);
    expect(zoneOffsetMinutes(new Date('2030-07-07T00:00:00Z'), 'America/New_York')).toBe(-240);
  });
});
