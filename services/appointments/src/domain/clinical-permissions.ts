/**
 * The permissions the clinical record's rules need, checked in the use cases
 * whoever calls them (the gateway checks each route's too). Names as the
 * identity catalogue would have them.
 */
import { PermissionDeniedError } from '@hms/platform/domain';

export const CLINICAL_PERMISSIONS = {
  /** Vitals, consultations, prescriptions and the history of a patient. */
  read: 'clinical.read',
  recordVitals: 'clinical.vitals.record',
  writeConsultation: 'clinical.consultation.write',
  prescribe: 'clinical.prescriptions.write',
  /** Prescriptions only (the pharmacy). */
  readPrescriptions: 'clinical.prescriptions.read',
  dispense: 'clinical.prescriptions.dispense',
  recordAllergies: 'clinical.allergies.record',
  manageFormulary: 'clinical.formulary.manage',
  manageSettings: 'clinical.settings.manage',
} as const;

export type ClinicalPermission = (typeof CLINICAL_PERMISSIONS)[keyof typeof CLINICAL_PERMISSIONS];

/** Who acts: their id and what they may do. */
export interface ClinicalActor {
  id: string;
  permissions: ReadonlySet<string>;
}

export function requireClinical(actor: ClinicalActor, ...anyOf: ClinicalPermission[]): void {
  if (!anyOf.some((p) => actor.permissions.has(p))) {
    throw new PermissionDeniedError(`the clinical record needs the permission ${anyOf.join(' or ')}`);
  }
}
