/**
 * What happens to a bill when its appointment is cancelled or the patient did
 * not come, by the tenant's policy:
 *
 * - nothing paid: the bill is voided (it keeps its invoice number if it had one);
 * - something paid: the part of the bill the tenant does not keep is credited
 *   (a credit note; the bill is issued first if it was not, since money was
 *   taken against it) and whatever the patient paid beyond what is kept is
 *   requested for refund, by the billing service itself, so that a person
 *   approves it (two-person rule) and a cashier pays it out.
 *
 * A cancellation is late when it comes less than the tenant's
 * lateCancellationMinutes before the appointment's start (or after it); a
 * late cancellation keeps the consultation fee. A no-show is a late
 * cancellation under the LATE_CANCELLATION policy, and changes nothing under
 * CHARGE. Rescheduling is not an end: the bill stays as it is.
 *
 * Applying the same ending twice changes nothing more: a void bill is left
 * alone, and what is already credited or requested for refund is not asked again.
 */
import type { BillingDeps } from './edit-bill.js';
import { billIssued, billVoided } from './events.js';
import { creditBill } from './credit-notes.js';
import { issued } from './issue-bill.js';
import { settled } from './pricing.js';
import { reserveRefund } from './refunds.js';
import type { Actor, Bill } from './types.js';

export interface AppointmentEnded {
  tenantId: string;
  appointmentId: string;
  how: 'cancelled' | 'no_show';
  startsAt: Date;
  /** When it was cancelled or marked a no-show. */
  at: Date;
  reason: string;
}

/** The billing service acting on its own (policies), never a person. */
export const BILLING_SYSTEM: Actor = { id: 'billing', kind: 'system', permissions: new Set() };

export async function settleEndedAppointment(deps: BillingDeps, cmd: AppointmentEnded): Promise<Bill | undefined> {
  return deps.store.change(cmd.tenantId, async (tx) => {
    let bill = await tx.lockBillOfAppointment(cmd.appointmentId);
    if (!bill || bill.voided) return bill;
    const settings = await tx.settings();
    if (cmd.how === 'no_show' && settings.noShowPolicy === 'CHARGE') return bill;
    const late =
      cmd.how === 'no_show' || cmd.at.getTime() >= cmd.startsAt.getTime() - settings.lateCancellationMinutes * 60_000;
    const what = cmd.how === 'no_show' ? 'no-show' : late ? 'late cancellation' : 'cancellation';
    const reason = `appointment ${what}${cmd.reason ? `: ${cmd.reason}` : ''}`.slice(0, 500);
    if (bill.paidMinor - bill.refundedMinor <= 0) {
      const voided = settled({ ...bill, voided: { at: deps.now(), reason } });
      await tx.saveBill(voided, [billVoided(voided)]);
      return voided;
    }

    const consultation = bill.items
      .filter((i) => i.kind === 'CONSULTATION_FEE')
      .reduce((sum, i) => sum + i.amountMinor, 0);
    const kept = late ? Math.min(consultation, bill.totalMinor - bill.creditedMinor) : 0;
    if (!bill.issue) {
      bill = await issued(tx, bill, BILLING_SYSTEM, deps.now());
      await tx.saveBill(bill, [billIssued(bill)]);
    }
    const credit = bill.totalMinor - bill.creditedMinor - kept;
    if (credit > 0) bill = (await creditBill(tx, deps, bill, credit, reason, BILLING_SYSTEM)).bill;
    const owed = -bill.dueMinor - bill.refundReservedMinor;
    if (owed > 0) bill = (await reserveRefund(tx, deps, bill, owed, reason, BILLING_SYSTEM)).bill;
    return bill;
  });
}
