/**
 * Issuing (finalising) a bill: the next invoice number of the tenant's fiscal
 * year, taken from the counter row locked in this same transaction (so a
 * rollback gives it back: no gaps, no duplicates), the due date from the
 * tenant's payment terms, and bill.issued. An issued bill never changes its
 * lines again.
 */
import type { BillChanges } from './bill-store.js';
import { editableBill, type BillingDeps } from './edit-bill.js';
import { billIssued, billPaid } from './events.js';
import { fiscalYearOf, formatDocumentNumber } from './numbering.js';
import { settled } from './pricing.js';
import type { Actor, Bill } from './types.js';

const DAY_MS = 86_400_000;

export async function issueBill(
  deps: BillingDeps,
  cmd: { tenantId: string; billId: string; actor: Actor },
): Promise<Bill> {
  return deps.store.change(cmd.tenantId, async (tx) => {
    const bill = await editableBill(tx, cmd.billId);
    const after = await issued(tx, bill, cmd.actor, deps.now());
    await tx.saveBill(after, [billIssued(after), ...(after.status === 'PAID' ? [billPaid(after)] : [])]);
    return after;
  });
}

/** The bill as issued now by `actor`: numbered in its fiscal year, due after the tenant's terms. */
export async function issued(tx: BillChanges, bill: Bill, actor: Actor, now: Date): Promise<Bill> {
  const settings = await tx.settings();
  const fiscalYear = fiscalYearOf(now, settings.timeZone, settings.fiscalYearStartMonth);
  const seq = await tx.nextNumber('invoice', fiscalYear.label);
  return settled({
    ...bill,
    issue: {
      invoiceNumber: formatDocumentNumber(settings.invoiceFormat, fiscalYear, seq),
      fiscalYear: fiscalYear.label,
      issuedAt: now,
      issuedBy: actor.id,
      dueAt: new Date(now.getTime() + settings.paymentTermsDays * DAY_MS),
    },
  });
}
