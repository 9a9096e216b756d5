/**
 * Credit notes: the one way to correct an issued bill, which never changes.
 * A note references the invoice, has its own gapless number per fiscal year,
 * and reduces what the bill asks for (credited <= total, kept by the
 * database). When the patient had paid more than is now asked, the
 * difference is theirs: request a refund of it.
 */
import { InvalidArgumentError, NotFoundError, type FieldViolation } from '@hms/platform/domain';
import type { BillChanges } from './bill-store.js';
import type { BillingDeps } from './edit-bill.js';
import { billPaid, creditNoteIssued } from './events.js';
import { CURRENCY } from './money.js';
import { fiscalYearOf, formatDocumentNumber } from './numbering.js';
import { BILLING_PERMISSIONS, requirePermission } from './permissions.js';
import { settled } from './pricing.js';
import { MAX_REASON_LENGTH } from './refunds.js';
import { broken } from './rules.js';
import type { Actor, Bill, CreditNote } from './types.js';

export interface IssueCreditNote {
  tenantId: string;
  billId: string;
  amountMinor: number;
  currency: string;
  reason: string;
  actor: Actor;
}

export async function issueCreditNote(
  deps: BillingDeps,
  cmd: IssueCreditNote,
): Promise<{ creditNote: CreditNote; bill: Bill }> {
  requirePermission(cmd.actor, BILLING_PERMISSIONS.creditNote);
  const problems: FieldViolation[] = [];
  if (!Number.isSafeInteger(cmd.amountMinor) || cmd.amountMinor < 1) {
    problems.push({ field: 'amountMinor', message: 'invalid-amount: must be a positive whole number of minor units' });
  }
  if (!CURRENCY.test(cmd.currency)) problems.push({ field: 'currency', message: 'must be an ISO 4217 code, e.g. INR' });
  if (!cmd.reason.trim()) problems.push({ field: 'reason', message: 'required' });
  if (cmd.reason.length > MAX_REASON_LENGTH) problems.push({ field: 'reason', message: 'too long' });
  if (problems.length > 0) throw new InvalidArgumentError('invalid credit note', problems);
  return deps.store.change(cmd.tenantId, async (tx) => {
    const bill = await tx.lockBill(cmd.billId);
    if (!bill) throw new NotFoundError(`bill ${cmd.billId} not found`);
    if (cmd.currency !== bill.currency) {
      throw broken('currency-mismatch', 'currency', `the bill is in ${bill.currency}, not ${cmd.currency}`);
    }
    return creditBill(tx, deps, bill, cmd.amountMinor, cmd.reason.trim(), cmd.actor);
  });
}

/** A credit note of `amountMinor` against the locked, issued `bill`; saves both. */
export async function creditBill(
  tx: BillChanges,
  deps: Pick<BillingDeps, 'newId' | 'now'>,
  bill: Bill,
  amountMinor: number,
  reason: string,
  actor: Actor,
): Promise<{ creditNote: CreditNote; bill: Bill }> {
  if (!bill.issue)
    throw broken('bill-not-issued', 'billId', 'only an issued bill takes credit notes; change its lines instead');
  if (bill.voided) throw broken('bill-void', 'billId', 'the bill is void');
  const creditable = bill.totalMinor - bill.creditedMinor;
  if (amountMinor > creditable) {
    throw broken(
      'credit-exceeds-total',
      'amountMinor',
      `${amountMinor} is more than the ${creditable} not yet credited`,
    );
  }
  const now = deps.now();
  const settings = await tx.settings();
  const fiscalYear = fiscalYearOf(now, settings.timeZone, settings.fiscalYearStartMonth);
  const seq = await tx.nextNumber('credit_note', fiscalYear.label);
  const creditNote: CreditNote = {
    id: deps.newId(),
    tenantId: bill.tenantId,
    billId: bill.id,
    number: formatDocumentNumber(settings.creditNoteFormat, fiscalYear, seq),
    fiscalYear: fiscalYear.label,
    amountMinor,
    currency: bill.currency,
    reason,
    issuedBy: actor.id,
    issuedAt: now,
  };
  const after = settled({ ...bill, creditedMinor: bill.creditedMinor + amountMinor });
  await tx.insertCreditNote(creditNote);
  const events = [creditNoteIssued(after, creditNote)];
  if (after.status === 'PAID' && bill.status !== 'PAID') events.push(billPaid(after));
  await tx.saveBill(after, events);
  return { creditNote, bill: after };
}
