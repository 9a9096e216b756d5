/** A visit ready for the clinical record's unit tests: a checked-in appointment, codes, a formulary, a clock. */
import type { Appointment } from '../domain/types.js';
import { CLINICAL_PERMISSIONS, type ClinicalActor } from '../domain/clinical-permissions.js';
import type { ClinicalDeps } from '../domain/vitals.js';
import { clinicianOf } from '../grpc/clinician.js';
import { fakeClinicalStore } from './fake-clinical-store.js';

export const tenantId = '0192f0a0-0000-7000-8000-000000000001';
export const patientId = '0192f0a0-0000-7000-8000-0000000000a1';

export const CODES = [
  { code: 'I10', title: 'Essential (primary) hypertension' },
  { code: 'J45', title: 'Asthma' },
  { code: 'J45.2', title: 'Mild intermittent asthma' },
  { code: 'J45.9', title: 'Other and unspecified asthma' },
  { code: 'R50', title: 'Fever of other and unknown origin' },
  { code: 'R50.9', title: 'Fever, unspecified' },
];

/**
 * Callers as the gateway vouches for them: the clinical permissions their roles
 * grant (services/gateway/src/domain/roles.ts), never the roles themselves.
 */
const P = CLINICAL_PERMISSIONS;
export const doctor: ClinicalActor = clinicianOf({
  userId: 'dr-rao',
  permissions: [P.read, P.recordVitals, P.writeConsultation, P.prescribe, P.readPrescriptions, P.recordAllergies],
});
export const nurse: ClinicalActor = clinicianOf({
  userId: 'nurse-asha',
  permissions: [P.read, P.recordVitals, P.readPrescriptions, P.recordAllergies],
});
export const pharmacist: ClinicalActor = clinicianOf({
  userId: 'pharm-joy',
  permissions: [P.readPrescriptions, P.dispense, P.manageFormulary],
});
export const admin: ClinicalActor = clinicianOf({
  userId: 'admin-li',
  permissions: [P.manageFormulary, P.manageSettings],
});
export const clerk: ClinicalActor = clinicianOf({ userId: 'clerk-sam', permissions: ['bills.read'] });

let sequence = 0;
/** Time-ordered enough for a test: a counter in the last digits. */
export const nextId = () => `0192f0a0-0000-7000-8000-${String(++sequence).padStart(12, '0')}`;

export function visitAt(startsAt: Date, status: Appointment['status'], id = nextId()): Appointment {
  return {
    id,
    tenantId,
    patientId,
    doctorId: '0192f0a0-0000-7000-8000-00000000000d',
    departmentId: '0192f0a0-0000-7000-8000-0000000000de',
    startsAt,
    endsAt: new Date(startsAt.getTime() + 15 * 60_000),
    serviceDate: startsAt.toISOString().slice(0, 10),
    status,
    mode: 'IN_PERSON',
    reason: '',
    statusReason: '',
    cancelledBy: null,
    consultationFeeMinor: 50_000,
    hospitalFeeMinor: 10_000,
    currency: 'INR',
    idempotencyKey: null,
    traceId: '',
    createdAt: new Date(startsAt.getTime() - 86_400_000),
    checkedInAt: null,
    cancelledAt: null,
    consultationStartedAt: null,
    completedAt: null,
  };
}

/** A checked-in visit at 10:30 UTC on 7 January 2030, the clock at 10:35. */
export function clinicalClinic() {
  const fake = fakeClinicalStore(CODES);
  const clock = { now: new Date('2030-01-07T10:35:00Z') };
  const deps: ClinicalDeps = { store: fake.store, now: () => clock.now, newId: nextId };
  const visit = visitAt(new Date('2030-01-07T10:30:00Z'), 'CHECKED_IN');
  fake.seedVisit(visit);
  return { ...fake, deps, clock, visit };
}

/** The error a promise rejected with (fails when it resolved). */
export async function refusal(promise: Promise<unknown>): Promise<Error & { violations?: { field: string }[] }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { violations?: { field: string }[] };
  }
  throw new Error('expected a refusal');
}
