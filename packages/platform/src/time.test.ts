import { describe, expect, it } from 'vitest';
import { dateOnly, isCalendarDate, isoDateOf, isValidTimeZone, localParts } from './time.js';

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
