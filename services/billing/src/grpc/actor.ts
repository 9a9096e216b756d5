/**
 * Who calls, and what they may do, as billing's use cases take it (an Actor).
 *
 * The seam with the identity work: the gateway vouches for the caller in the
 * internal token. Today that token carries roles only, so the permissions
 * that guard billing's rules are derived here from the built-in billing roles.
 * Once the token carries the caller's resolved permissions, `actorOf` takes
 * those instead and ROLE_PERMISSIONS goes; nothing else changes.
 */
import { PermissionDeniedError, type CallContext } from '@hms/platform';
import { BILLING_PERMISSIONS } from '../domain/permissions.js';
import type { Actor } from '../domain/types.js';

const ALL = Object.values(BILLING_PERMISSIONS);

export const ROLE_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  ADMIN: ALL,
  BILLING_SUPERVISOR: ALL,
  BILLING_CLERK: [BILLING_PERMISSIONS.refundRequest],
};

export function actorOf(ctx: Pick<CallContext, 'userId' | 'roles'> & { permissions?: readonly string[] }): Actor {
  if (!ctx.userId) throw new PermissionDeniedError('billing changes are made by a known user; the call names none');
  const permissions = new Set<string>(ctx.permissions ?? []);
  for (const role of ctx.roles) for (const p of ROLE_PERMISSIONS[role] ?? []) permissions.add(p);
  return { id: ctx.userId, kind: 'user', permissions };
}
