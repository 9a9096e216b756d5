/**
 * Who calls, and what they may do, as billing's use cases take it (an Actor):
 * the user and the permissions the gateway resolved for them and vouches for
 * in the internal token (`perms`). The rules that need a permission of their
 * own (discounts, credit notes, approving someone else's refund) check it in
 * the use cases, whoever calls them.
 */
import { PermissionDeniedError, type CallContext } from '@hms/platform';
import type { Actor } from '../domain/types.js';

export function actorOf(ctx: Pick<CallContext, 'userId'> & { permissions?: readonly string[] }): Actor {
  if (!ctx.userId) throw new PermissionDeniedError('billing changes are made by a known user; the call names none');
  return { id: ctx.userId, kind: 'user', permissions: new Set<string>(ctx.permissions ?? []) };
}
