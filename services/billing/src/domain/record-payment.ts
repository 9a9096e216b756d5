/**
 * Recording a payment: cash, card, UPI, insurance or wallet, whole or in
 * part, never more than is due (409), in the bill's currency, never on a void
 * bill. The bill row is locked first, so concurrent payments on one bill are
 * decided one after the other; the database's paid <= total is the last word.
 * The Idempotency-Key is claimed before anything else: a retry gets the first
 * payment back. Each payment gets a receipt number (gapless, per fiscal year).
 */
import {
  InvalidArgumentError,
  localParts,
  NotFoundError,
  type FieldViolation,
  type IdempotencyClaim,
} from '@hms/platform/domain';
import type { BillingDeps } from './edit-bill.js';
import { billPaid, paymentRecorded } from './events.js';
import { CURRENCY } from './money.js';
import { fiscalYearOf, formatDocumentNumber } from './numbering.js';
import { settled } from './pricing.js';
import { broken } from './rules.js';
import { PAYMENT_METHODS, type Actor, type Bill, type Payment, type PaymentMethod } from './types.js';

export interface RecordPayment {
  tenantId: string;
  billId: string;
  method: PaymentMethod;
  amountMinor: number;
  currency: string;
  reference: string;
  idempotency: IdempotencyClaim;
  actor: Actor;
}

export const MAX_REFERENCE_LENGTH = 200;

export async function recordPayment(
  deps: BillingDeps,
  cmd: RecordPayment,
): Promise<{ payment: Payment; bill: Bill; replayed: boolean }> {
  checkPayment(cmd);
  return deps.store.change(cmd.tenantId, async (tx) => {
    const earlier = await tx.replayOf(cmd.idempotency);
    if (earlier) {
      const payment = await tx.findPayment(earlier.paymentId);
      const bill = payment ? await tx.lockBill(payment.billId) : undefined;
      if (!payment || !bill) throw new Error(`payment ${earlier.paymentId} of an idempotency key is gone`);
      return { payment, bill, replayed: true };
    }
    const bill = await tx.lockBill(cmd.billId);
    if (!bill) throw new NotFoundError(`bill ${cmd.billId} not found`);
    if (bill.voided) throw broken('bill-void', 'billId', 'the bill is void: no payment can be taken on it');
    if (cmd.currency !== bill.currency) {
      throw broken('currency-mismatch', 'currency', `the bill is in ${bill.currency}, not ${cmd.currency}`);
    }
    if (cmd.amountMinor > bill.dueMinor) {
      throw broken(
        'overpayment',
        'amountMinor',
        `${cmd.amountMinor} is more than the ${Math.max(0, bill.dueMinor)} due on this bill`,
      );
    }
    const now = deps.now();
    const settings = await tx.settings();
    const fiscalYear = fiscalYearOf(now, settings.timeZone, settings.fiscalYearStartMonth);
    const seq = await tx.nextNumber('receipt', fiscalYear.label);
    const payment: Payment = {
      id: deps.newId(),
      tenantId: cmd.tenantId,
      billId: bill.id,
      method: cmd.method,
      amountMinor: cmd.amountMinor,
      currency: cmd.currency,
      reference: cmd.reference,
      receiptNumber: formatDocumentNumber(settings.receiptFormat, fiscalYear, seq),
      receivedBy: cmd.actor.id,
      receivedAt: now,
    };
    const after = settled({ ...bill, paidMinor: bill.paidMinor + cmd.amountMinor });
    await tx.insertPayment(
      payment,
      { departmentId: bill.departmentId, day: localParts(now, settings.timeZone).date },
      cmd.idempotency,
    );
    const events = [paymentRecorded(after, payment)];
    if (after.status === 'PAID' && bill.status !== 'PAID') events.push(billPaid(after));
    await tx.saveBill(after, events);
    return { payment, bill: after, replayed: false };
  });
}

function checkPayment(cmd: RecordPayment): void {
  const problems: FieldViolation[] = [];
  if (!PAYMENT_METHODS.includes(cmd.method)) {
    problems.push({ field: 'method', message: `must be one of ${PAYMENT_METHODS.join(', ')}` });
  }
  if (!Number.isSafeInteger(cmd.amountMinor) || cmd.amountMinor < 1) {
    problems.push({ field: 'amountMinor', message: 'invalid-amount: must be a positive whole number of minor units' });
  }
  if (!CURRENCY.test(cmd.currency)) problems.push({ field: 'currency', message: 'must be an ISO 4217 code, e.g. INR' });
  if (cmd.method !== 'CASH' && !cmd.reference.trim()) {
    problems.push({ field: 'reference', message: `a ${cmd.method} payment needs its external reference` });
  }
  if (cmd.reference.length > MAX_REFERENCE_LENGTH) {
    problems.push({ field: 'reference', message: `must be at most ${MAX_REFERENCE_LENGTH} characters` });
  }
  if (problems.length > 0) throw new InvalidArgumentError('invalid payment', problems);
}
