import { describe, expect, it } from 'vitest';
import { clinicianOf } from './clinician.js';

describe('clinicianOf', () => {
  it('takes what the caller may do from the permissions the gateway vouched for, a custom role alike', () => {
    // A tenant's own role ("ward sister") granted the clinical read: nothing here knows its name.
    const sister = clinicianOf({ userId: 'u-1', permissions: ['clinical.read', 'clinical.vitals.record'] });
    expect(sister).toEqual({ id: 'u-1', permissions: new Set(['clinical.read', 'clinical.vitals.record']) });
  });

  it('grants nothing by a role name alone', () => {
    const ctx = { userId: 'u-2', roles: ['DOCTOR'], permissions: [] as string[] };
    expect(clinicianOf(ctx).permissions.size).toBe(0);
    expect(clinicianOf({ userId: 'u-3' }).permissions.size).toBe(0);
  });

  it('refuses a call that names no user', () => {
    expect(() => clinicianOf({ userId: '', permissions: ['clinical.read'] })).toThrow(/known user/);
  });
});
