/**
 * Who calls the clinical record, and what they may do, as the use cases take it:
 * the permissions the gateway resolved for the caller (built-in roles and a
 * tenant's own alike) and vouched for in the internal token. Nothing here knows
 * roles: a custom role with clinical.read reads the record, an ADMIN without it
 * does not.
 */
import { PermissionDeniedError, type CallContext } from '@hms/platform';
import type { ClinicalActor } from '../domain/clinical-permissions.js';

export function clinicianOf(ctx: Pick<CallContext, 'userId'> & { permissions?: readonly string[] }): ClinicalActor {
  if (!ctx.userId) throw new PermissionDeniedError('the clinical record is used by a known user; the call names none');
  return { id: ctx.userId, permissions: new Set(ctx.permissions ?? []) };
}
