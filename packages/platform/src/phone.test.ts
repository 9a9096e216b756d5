import { describe, expect, it } from 'vitest';
import { isPhoneRegion, normalizePhoneNumber } from './phone.js';

describe('normalizePhoneNumber', () => {
  it('writes every valid spelling of a number as E.164', () => {
    expect(normalizePhoneNumber('98765 43210', 'IN')).toBe('+919876543210');
    expect(normalizePhoneNumber('+91-98765-43210', 'IN')).toBe('+919876543210');
    expect(normalizePhoneNumber('098765 43210', 'IN')).toBe('+919876543210');
    expect(normalizePhoneNumber('(212) 555-0199', 'US')).toBe('+12125550199');
    // An international number keeps its own country whatever the default.
    expect(normalizePhoneNumber('+44 20 7946 0958', 'IN')).toBe('+442079460958');
  });

  it('refuses what is not a phone number, and unknown regions', () => {
    expect(normalizePhoneNumber('12345', 'IN')).toBeUndefined();
    expect(normalizePhoneNumber('not a number', 'IN')).toBeUndefined();
    expect(normalizePhoneNumber('98765 43210', 'XX')).toBeUndefined();
    expect(isPhoneRegion('IN')).toBe(true);
    expect(isPhoneRegion('in')).toBe(false);
  });
});
