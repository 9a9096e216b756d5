/**
 * Who calls the clinical record, and what they may do, as the use cases take it:
 * the permissions the gateway vouched for in the internal token, plus those the
 * built-in clinical roles named in it hold (ROLE_PERMISSIONS, the same grants as
 * the gateway's built-in roles), so a caller the gateway knows only by role is
 * judged the same way.
 */
import { PermissionDeniedError, type CallContext } from '@hms/platform';
import { CLINICAL_PERMISSIONS as P, type ClinicalActor } from '../domain/clinical-permissions.js';

export const ROLE_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  DOCTOR: [P.read, P.recordVitals, P.writeConsultation, P.prescribe, P.readPrescriptions, P.recordAllergies],
  NURSE: [P.read, P.recordVitals, P.readPrescriptions, P.recordAllergies],
  PHARMACIST: [P.readPrescriptions, P.dispense, P.manageFormulary],
  // Administrators run the hospital, not its patients' care: no clinical record.
  ADMIN: [P.manageFormulary, P.manageSettings],
};

export function clinicianOf(
  ctx: Pick<CallContext, 'userId' | 'roles'> & { permissions?: readonly string[] },
): ClinicalActor {
  if (!ctx.userId) throw new PermissionDeniedError('the clinical record is used by a known user; the call names none');
  const permissions = new Set<string>(ctx.permissions ?? []);
  for (const role of ctx.roles) for (const p of ROLE_PERMISSIONS[role] ?? []) permissions.add(p);
  return { id: ctx.userId, permissions };
}
