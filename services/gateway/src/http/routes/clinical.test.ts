import { runWithContext } from '@hms/platform';
import { describe, expect, it } from 'vitest';
import type { HttpProblem } from '../problem.js';
import { clinical, issuePrescriptionRequest, recordVitalsRequest } from './clinical.js';
import { parseInput } from './validation.js';

const id = '01900000-0000-7000-8000-0000000000aa';

/** Runs a route's gate as a caller with these roles: 'next' when it lets them through, else the problem's status. */
function gate(permission: Parameters<typeof clinical>[0], roles: string[]): string | number {
  let outcome: string | number = 'not called';
  const res = { locals: {} as Record<string, unknown> };
  runWithContext({ requestId: 'r', tenantId: id, userId: 'u', roles }, () => {
    try {
      clinical(permission)({} as never, res as never, () => (outcome = 'next'));
    } catch (error) {
      outcome = (error as HttpProblem).status;
    }
  });
  expect(res.locals.permission).toBe(permission);
  return outcome;
}

describe('the clinical routes', () => {
  it('let only the clinical roles through, each to what the role does', () => {
    expect(gate('clinical.read', ['NURSE'])).toBe('next');
    expect(gate('clinical.read', ['DOCTOR', 'ADMIN'])).toBe('next');
    expect(gate('clinical.read', ['ADMIN'])).toBe(403);
    expect(gate('clinical.read', ['PHARMACIST'])).toBe(403);
    expect(gate('clinical.read', [])).toBe(403);
    expect(gate('clinical.prescriptions.write', ['NURSE'])).toBe(403);
    expect(gate('clinical.prescriptions.dispense', ['PHARMACIST'])).toBe('next');
    expect(gate('clinical.settings.manage', ['DOCTOR'])).toBe(403);
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
