/**
 * The permissions that guard billing's own rules. The gateway checks each
 * route's permission; these are the ones the rules themselves need, checked
 * in the use cases whoever calls them (names as in the identity catalogue).
 */
import type { Actor } from './types.js';
import { broken } from './rules.js';

export const BILLING_PERMISSIONS = {
  /** Line and bill discounts. */
  discount: 'bills.discount',
  /** Credit notes against issued bills. */
  creditNote: 'credit_notes.issue',
  refundRequest: 'refunds.request',
  /** Approving or rejecting someone else's refund request. */
  refundApprove: 'refunds.approve',
} as const;

export type BillingPermission = (typeof BILLING_PERMISSIONS)[keyof typeof BILLING_PERMISSIONS];

export function requirePermission(actor: Actor, permission: BillingPermission): void {
  if (actor.kind === 'system') return;
  if (!actor.permissions.has(permission)) {
    throw broken('permission-required', '(caller)', `this needs the permission ${permission}`);
  }
}
