/**
 * Refunds under the two-person rule: one user (allowed to request) asks,
 * another (allowed to approve) approves or rejects, never the requester
 * (409, and a CHECK in the database). REQUESTED -> APPROVED -> COMPLETED, or
 * REJECTED with a reason. A request reserves its amount on the bill, so
 * requested + approved + completed refunds never exceed what was paid (the
 * database keeps refunded + reserved <= paid); completing it moves the amount
 * from reserved to refunded and counts it in the day's collections.
 *
 * A refund returns money; it does not reduce what the bill asks for. To
 * reduce that, issue a credit note (the cancellation policy does both).
 */
import { InvalidArgumentError, localParts, NotFoundError, type FieldViolation } from '@hms/platform/domain';
import type { BillChanges } from './bill-store.js';
import type { BillingDeps } from './edit-bill.js';
import { refundChanged } from './events.js';
import { CURRENCY } from './money.js';
import { BILLING_PERMISSIONS, requirePermission } from './permissions.js';
import { settled } from './pricing.js';
import { broken } from './rules.js';
import { PAYMENT_METHODS, type Actor, type Bill, type PaymentMethod, type Refund } from './types.js';

export const MAX_REASON_LENGTH = 500;

export interface RequestRefund {
  tenantId: string;
  billId: string;
  amountMinor: number;
  currency: string;
  reason: string;
  actor: Actor;
}

export async function requestRefund(deps: BillingDeps, cmd: RequestRefund): Promise<Refund> {
  requirePermission(cmd.actor, BILLING_PERMISSIONS.refundRequest);
  const problems: FieldViolation[] = [];
  if (!Number.isSafeInteger(cmd.amountMinor) || cmd.amountMinor < 1) {
    problems.push({ field: 'amountMinor', message: 'invalid-amount: must be a positive whole number of minor units' });
  }
  if (!CURRENCY.test(cmd.currency)) problems.push({ field: 'currency', message: 'must be an ISO 4217 code, e.g. INR' });
  problems.push(...reasonProblems('reason', cmd.reason));
  if (problems.length > 0) throw new InvalidArgumentError('invalid refund', problems);
  return deps.store.change(cmd.tenantId, async (tx) => {
    const bill = await tx.lockBill(cmd.billId);
    if (!bill) throw new NotFoundError(`bill ${cmd.billId} not found`);
    if (cmd.currency !== bill.currency) {
      throw broken('currency-mismatch', 'currency', `the bill is in ${bill.currency}, not ${cmd.currency}`);
    }
    const { refund } = await reserveRefund(tx, deps, bill, cmd.amountMinor, cmd.reason.trim(), cmd.actor);
    return refund;
  });
}

/** Requests a refund of `amountMinor` on the locked `bill`, reserving it; saves both. */
export async function reserveRefund(
  tx: BillChanges,
  deps: Pick<BillingDeps, 'newId' | 'now'>,
  bill: Bill,
  amountMinor: number,
  reason: string,
  actor: Actor,
): Promise<{ refund: Refund; bill: Bill }> {
  const refundable = bill.paidMinor - bill.refundedMinor - bill.refundReservedMinor;
  if (amountMinor > refundable) {
    throw broken(
      'refund-exceeds-paid',
      'amountMinor',
      `${amountMinor} is more than the ${refundable} paid and not yet refunded or requested for refund`,
    );
  }
  const refund: Refund = {
    id: deps.newId(),
    tenantId: bill.tenantId,
    billId: bill.id,
    amountMinor,
    currency: bill.currency,
    status: 'REQUESTED',
    reason,
    requestedBy: actor.id,
    requestedAt: deps.now(),
  };
  const after = settled({ ...bill, refundReservedMinor: bill.refundReservedMinor + amountMinor });
  await tx.insertRefund(refund);
  await tx.saveBill(after, [refundChanged(after, refund)]);
  return { refund, bill: after };
}

interface DecideRefund {
  tenantId: string;
  refundId: string;
  actor: Actor;
}

export async function approveRefund(deps: BillingDeps, cmd: DecideRefund): Promise<Refund> {
  return decide(deps, cmd, (refund, now) => ({
    ...refund,
    status: 'APPROVED',
    decidedBy: cmd.actor.id,
    decidedAt: now,
  }));
}

export async function rejectRefund(deps: BillingDeps, cmd: DecideRefund & { reason: string }): Promise<Refund> {
  const problems = reasonProblems('reason', cmd.reason);
  if (problems.length > 0) throw new InvalidArgumentError('a rejection needs a reason', problems);
  return decide(deps, cmd, (refund, now) => ({
    ...refund,
    status: 'REJECTED',
    decidedBy: cmd.actor.id,
    decidedAt: now,
    rejectionReason: cmd.reason.trim(),
  }));
}

/** Approving and rejecting: a REQUESTED refund, by someone allowed to approve who did not request it. */
async function decide(
  deps: BillingDeps,
  cmd: DecideRefund,
  decision: (refund: Refund, now: Date) => Refund,
): Promise<Refund> {
  requirePermission(cmd.actor, BILLING_PERMISSIONS.refundApprove);
  return deps.store.change(cmd.tenantId, async (tx) => {
    const { refund, bill } = await lockRefundAndBill(tx, cmd.refundId);
    if (refund.status !== 'REQUESTED') {
      throw broken('refund-state', 'refundId', `the refund is ${refund.status.toLowerCase()}, not requested`);
    }
    if (refund.requestedBy === cmd.actor.id) {
      throw broken('two-person-rule', 'refundId', 'a refund is decided by someone other than who requested it');
    }
    const after = decision(refund, deps.now());
    const billAfter =
      after.status === 'REJECTED'
        ? settled({ ...bill, refundReservedMinor: bill.refundReservedMinor - refund.amountMinor })
        : bill;
    await tx.saveRefund(after);
    await tx.saveBill(billAfter, [refundChanged(billAfter, after)]);
    return after;
  });
}

export interface CompleteRefund {
  tenantId: string;
  refundId: string;
  method: PaymentMethod;
  reference: string;
  actor: Actor;
}

/** The approved refund was paid out: reserved becomes refunded, and it counts in the day's collections. */
export async function completeRefund(deps: BillingDeps, cmd: CompleteRefund): Promise<Refund> {
  requirePermission(cmd.actor, BILLING_PERMISSIONS.refundRequest);
  if (!PAYMENT_METHODS.includes(cmd.method)) {
    throw new InvalidArgumentError('invalid method', [
      { field: 'method', message: `must be one of ${PAYMENT_METHODS.join(', ')}` },
    ]);
  }
  if (cmd.method !== 'CASH' && !cmd.reference.trim()) {
    throw new InvalidArgumentError('a reference is needed', [
      { field: 'reference', message: `a ${cmd.method} refund needs its external reference` },
    ]);
  }
  return deps.store.change(cmd.tenantId, async (tx) => {
    const { refund, bill } = await lockRefundAndBill(tx, cmd.refundId);
    if (refund.status !== 'APPROVED') {
      throw broken('refund-state', 'refundId', `the refund is ${refund.status.toLowerCase()}, not approved`);
    }
    const now = deps.now();
    const after: Refund = {
      ...refund,
      status: 'COMPLETED',
      completedBy: cmd.actor.id,
      completedAt: now,
      method: cmd.method,
      reference: cmd.reference.trim(),
    };
    const billAfter = settled({
      ...bill,
      refundReservedMinor: bill.refundReservedMinor - refund.amountMinor,
      refundedMinor: bill.refundedMinor + refund.amountMinor,
    });
    const settings = await tx.settings();
    await tx.saveRefund(after, { departmentId: bill.departmentId, day: localParts(now, settings.timeZone).date });
    await tx.saveBill(billAfter, [refundChanged(billAfter, after)]);
    return after;
  });
}

async function lockRefundAndBill(tx: BillChanges, refundId: string): Promise<{ refund: Refund; bill: Bill }> {
  // The refund, then its bill. No path holds a bill while waiting for a refund's lock, so no deadlock.
  const refund = await tx.lockRefund(refundId);
  if (!refund) throw new NotFoundError(`refund ${refundId} not found`);
  const bill = await tx.lockBill(refund.billId);
  if (!bill) throw new NotFoundError(`bill ${refund.billId} of refund ${refundId} not found`);
  return { refund, bill };
}

function reasonProblems(field: string, reason: string): FieldViolation[] {
  if (!reason.trim()) return [{ field, message: 'required' }];
  if (reason.length > MAX_REASON_LENGTH) return [{ field, message: `must be at most ${MAX_REASON_LENGTH} characters` }];
  return [];
}
