/**
 * Changing an unissued bill: lines from the tenant's catalogue added or
 * removed, line and bill discounts. Each change reprices the whole bill (the
 * rules in pricing.ts), saves it and its event in one transaction, and is
 * refused once the bill is issued (corrections then go through credit notes)
 * or void, or when it would bring the total below what was already paid.
 */
import { InvalidArgumentError, NotFoundError, type FieldViolation } from '@hms/platform/domain';
import type { BillChanges, BillStore } from './bill-store.js';
import { billDiscountApplied, billItemAdded, billItemRemoved } from './events.js';
import { CURRENCY } from './money.js';
import { BILLING_PERMISSIONS, requirePermission } from './permissions.js';
import { priced } from './pricing.js';
import { broken } from './rules.js';
import type { Actor, Bill, BillItem, DiscountKind } from './types.js';

export interface BillingDeps {
  store: BillStore;
  newId: () => string;
  now: () => Date;
}

export interface AddItem {
  tenantId: string;
  billId: string;
  catalogueCode: string;
  quantity: number;
  actor: Actor;
}

export const MAX_QUANTITY = 10_000;

export async function addItem(deps: BillingDeps, cmd: AddItem): Promise<{ bill: Bill; itemId: string }> {
  if (!Number.isInteger(cmd.quantity) || cmd.quantity < 1 || cmd.quantity > MAX_QUANTITY) {
    throw new InvalidArgumentError('invalid quantity', [
      { field: 'quantity', message: `must be a whole number from 1 to ${MAX_QUANTITY}` },
    ]);
  }
  return deps.store.change(cmd.tenantId, async (tx) => {
    const bill = await editableBill(tx, cmd.billId);
    const item = await catalogueLine(tx, bill, cmd.catalogueCode, cmd.quantity, deps.newId);
    const after = priced({ ...bill, items: [...bill.items, item] });
    await tx.saveBill(after, [billItemAdded(after, after.items.at(-1)!)]);
    return { bill: after, itemId: item.id };
  });
}

/**
 * A new line of `bill` priced from the catalogue entry `code` as it is now
 * (its version kept on the line); refused when the entry is unknown, no
 * longer offered or priced in another currency.
 */
export async function catalogueLine(
  tx: BillChanges,
  bill: Bill,
  code: string,
  quantity: number,
  newId: () => string,
  field = 'catalogueCode',
): Promise<BillItem> {
  const entry = await tx.catalogueItem(code);
  if (!entry) {
    throw new NotFoundError(`no catalogue entry ${code}`, [{ field, message: 'not in the catalogue' }]);
  }
  if (!entry.active) {
    throw broken('catalogue-item-inactive', field, `${entry.code} is no longer offered`);
  }
  if (entry.currency !== bill.currency) {
    throw broken(
      'currency-mismatch',
      field,
      `${entry.code} is priced in ${entry.currency}, the bill is in ${bill.currency}`,
    );
  }
  return {
    id: newId(),
    kind: entry.kind,
    description: entry.name,
    quantity,
    unitPriceMinor: entry.priceMinor,
    grossMinor: 0,
    lineDiscountMinor: 0,
    billDiscountMinor: 0,
    taxRateBp: entry.taxRateBp,
    taxMinor: 0,
    amountMinor: 0,
    catalogue: { itemId: entry.id, code: entry.code, version: entry.version },
    position: Math.max(-1, ...bill.items.map((i) => i.position)) + 1,
  };
}

export async function removeItem(
  deps: BillingDeps,
  cmd: { tenantId: string; billId: string; itemId: string; actor: Actor },
): Promise<Bill> {
  return deps.store.change(cmd.tenantId, async (tx) => {
    const bill = await editableBill(tx, cmd.billId);
    const item = bill.items.find((i) => i.id === cmd.itemId);
    if (!item)
      throw new NotFoundError(`bill ${cmd.billId} has no item ${cmd.itemId}`, [
        { field: 'itemId', message: 'not on this bill' },
      ]);
    const after = notBelowPaid(priced({ ...bill, items: bill.items.filter((i) => i !== item) }), 'itemId');
    await tx.saveBill(after, [billItemRemoved(after, item)]);
    return after;
  });
}

export interface ApplyDiscount {
  tenantId: string;
  billId: string;
  /** Undefined: a discount on the whole bill. */
  itemId?: string | undefined;
  kind: DiscountKind;
  /** Basis points for PERCENT, minor units for AMOUNT. */
  value: number;
  /** Required for AMOUNT: must be the bill's. */
  currency?: string | undefined;
  reason: string;
  actor: Actor;
}

/** A line's or the bill's discount (replacing the one it had), with its reason, by someone allowed to give it. */
export async function applyDiscount(deps: BillingDeps, cmd: ApplyDiscount): Promise<Bill> {
  requirePermission(cmd.actor, BILLING_PERMISSIONS.discount);
  const problems: FieldViolation[] = [];
  if (cmd.kind === 'PERCENT' && (!Number.isInteger(cmd.value) || cmd.value < 1 || cmd.value > 10_000)) {
    problems.push({ field: 'value', message: 'a percent discount is 1 to 10000 basis points (0.01 % to 100 %)' });
  }
  if (cmd.kind === 'AMOUNT' && (!Number.isSafeInteger(cmd.value) || cmd.value < 1)) {
    problems.push({ field: 'value', message: 'an amount discount is a positive whole number of minor units' });
  }
  if (cmd.kind === 'AMOUNT' && !CURRENCY.test(cmd.currency ?? '')) {
    problems.push({ field: 'currency', message: 'an amount discount names its currency (ISO 4217)' });
  }
  if (!cmd.reason.trim()) problems.push({ field: 'reason', message: 'a discount needs a reason' });
  if (problems.length > 0) throw new InvalidArgumentError('invalid discount', problems);
  return deps.store.change(cmd.tenantId, async (tx) => {
    const bill = await editableBill(tx, cmd.billId);
    if (cmd.kind === 'AMOUNT' && cmd.currency !== bill.currency) {
      throw broken('currency-mismatch', 'currency', `the bill is in ${bill.currency}, not ${cmd.currency}`);
    }
    const discount = { kind: cmd.kind, value: cmd.value, reason: cmd.reason.trim(), appliedBy: cmd.actor.id };
    let changed: Bill;
    if (cmd.itemId) {
      if (!bill.items.some((i) => i.id === cmd.itemId)) {
        throw new NotFoundError(`bill ${cmd.billId} has no item ${cmd.itemId}`, [
          { field: 'itemId', message: 'not on this bill' },
        ]);
      }
      changed = { ...bill, items: bill.items.map((i) => (i.id === cmd.itemId ? { ...i, discount } : i)) };
    } else {
      changed = { ...bill, discount };
    }
    const after = notBelowPaid(priced(changed), 'value');
    await tx.saveBill(after, [billDiscountApplied(after, cmd.itemId)]);
    return after;
  });
}

/** The bill, locked, if lines and discounts may still change. */
export async function editableBill(tx: BillChanges, billId: string): Promise<Bill> {
  const bill = await tx.lockBill(billId);
  if (!bill) throw new NotFoundError(`bill ${billId} not found`);
  if (bill.voided) throw broken('bill-void', 'billId', 'the bill is void');
  if (bill.issue) {
    throw broken(
      'bill-issued',
      'billId',
      `invoice ${bill.issue.invoiceNumber} is issued and cannot change; issue a credit note`,
    );
  }
  return bill;
}

function notBelowPaid(bill: Bill, field: string): Bill {
  if (bill.totalMinor < bill.paidMinor) {
    throw broken(
      'total-below-paid',
      field,
      `the total would be ${bill.totalMinor}, less than the ${bill.paidMinor} already paid`,
    );
  }
  return bill;
}
