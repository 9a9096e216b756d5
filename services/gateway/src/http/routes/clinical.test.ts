import { describe, expect, it } from 'vitest';
import type { Permission } from '@hms/proto';
import { permissionsOf } from '../../domain/roles.js';
import type { HttpProblem } from '../problem.js';
import { issuePrescriptionRequest, recordVitalsRequest } from './clinical.js';
import { parseInput } from './validation.js';

const id = '01900000-0000-7000-8000-0000000000aa';

/** Whether holders of these built-in roles have the permission a clinical route requires. */
const may = (permission: Permission, roles: string[]) => permissionsOf(roles, new Map()).has(permission);

describe('the clinical routes', () => {
  it('are for the clinical roles only, each to what the role does', () => {
    expect(may('clinical.read', ['NURSE'])).toBe(true);
    expect(may('clinical.read', ['DOCTOR', 'ADMIN'])).toBe(true);
    // Who runs the hospital manages the formulary, not patients' records.
    expect(may('clinical.read', ['ADMIN'])).toBe(false);
    expect(may('clinical.formulary.manage', ['ADMIN'])).toBe(true);
    expect(may('clinical.read', ['PHARMACIST'])).toBe(false);
    expect(may('clinical.read', ['RECEPTIONIST', 'BILLING_CLERK'])).toBe(false);
    expect(may('clinical.read', [])).toBe(false);
    expect(may('clinical.prescriptions.write', ['NURSE'])).toBe(false);
    expect(may('clinical.prescriptions.dispense', ['PHARMACIST'])).toBe(true);
    expect(may('clinical.settings.manage', ['DOCTOR'])).toBe(false);
  });

  it('name every bad field of a request at once', () => {
    const req = (body: unknown) => ({ params: { id }, query: {}, headers: {}, body }) as never;
    try {
      parseInput(req({ pulseBpm: 'fast', takenAt: 'now', bloodSugar: 5 }), recordVitalsRequest);
      throw new Error('expected a refusal');
    } catch (error) {
      const problem = error as HttpProblem;
      expect(problem.status).toBe(400);
      expect(problem.errors.map((e) => e.field).sort()).toEqual(['bloodSugar', 'pulseBpm', 'takenAt']);
    }
    const parsed = parseInput(
      req({
        items: [{ medicineCode: 'PARA-500', dose: '1', route: 'oral', frequency: 'od', durationDays: 3, quantity: 3 }],
      }),
      issuePrescriptionRequest,
    );
    expect(parsed.body.items[0]!.medicineCode).toBe('PARA-500');
  });
});
