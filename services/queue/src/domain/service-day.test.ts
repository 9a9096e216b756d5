import { describe, expect, it } from 'vitest';
import { serviceDayOf } from './service-day.js';

describe('serviceDayOf', () => {
  // 2030-01-07 20:00 UTC: already Tuesday in Kolkata and Kiritimati, still Monday in UTC and Pago Pago.
  const evening = new Date('2030-01-07T20:00:00Z');

  it('is the local calendar date of the clinic, not the UTC one', () => {
    expect(serviceDayOf(evening, 'UTC')).toBe('2030-01-07');
    expect(serviceDayOf(evening, 'Asia/Kolkata')).toBe('2030-01-08');
    expect(serviceDayOf(evening, 'Pacific/Kiritimati')).toBe('2030-01-08');
    expect(serviceDayOf(new Date('2030-01-07T10:59:00Z'), 'Pacific/Pago_Pago')).toBe('2030-01-06');
  });

  it('turns at local midnight', () => {
    // Midnight in Kolkata is 18:30 UTC.
    expect(serviceDayOf(new Date('2030-01-07T18:29:59Z'), 'Asia/Kolkata')).toBe('2030-01-07');
    expect(serviceDayOf(new Date('2030-01-07T18:30:00Z'), 'Asia/Kolkata')).toBe('2030-01-08');
  });
});
