/**
 * The hospital's pharmacy dispensed a prescription (prescription.dispensed):
 * each item it sells (one with a billing code) becomes a line of the visit's
 * bill, priced from the catalogue as any added line, in one transaction. An
 * item the catalogue does not have, or a bill already issued or void, is a
 * refusal that names the reason (the event is dead-lettered with it for the
 * billing desk), never a silent loss.
 */
import { type Bill } from './types.js';
import type { BillingDeps } from './edit-bill.js';
import { catalogueLine, editableBill } from './edit-bill.js';
import { billItemAdded } from './events.js';
import { priced } from './pricing.js';

export interface DispensedItems {
  tenantId: string;
  appointmentId: string;
  prescriptionId: string;
  items: { billingCode: string; quantity: number }[];
}

/** The bill with the pharmacy's lines; undefined when nothing of it is sold by the hospital. */
export async function addPharmacyItems(deps: BillingDeps, cmd: DispensedItems): Promise<Bill | undefined> {
  const sold = cmd.items.filter((i) => i.billingCode !== '');
  if (sold.length === 0) return undefined;
  return deps.store.change(cmd.tenantId, async (tx) => {
    const ofVisit = await tx.lockBillOfAppointment(cmd.appointmentId);
    // The booking's bill is made from appointment.booked: not there yet means that event is still on its way.
    if (!ofVisit) throw new Error(`appointment ${cmd.appointmentId} has no bill yet`);
    let bill = await editableBill(tx, ofVisit.id);
    const events = [];
    for (const [n, item] of sold.entries()) {
      const line = await catalogueLine(
        tx,
        bill,
        item.billingCode,
        item.quantity,
        deps.newId,
        `items[${n}].billingCode`,
      );
      bill = priced({ ...bill, items: [...bill.items, line] });
      events.push(billItemAdded(bill, bill.items.at(-1)!));
    }
    await tx.saveBill(bill, events);
    return bill;
  });
}
