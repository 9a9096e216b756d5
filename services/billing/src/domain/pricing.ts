/**
 * How a bill's amounts follow from its lines, documented once:
 *
 *   gross          = quantity * unit price
 *   line discount  = the line's own discount: PERCENT of gross (half-even) or an AMOUNT <= gross
 *   bill discount  = PERCENT of the sum of (gross - line discount) over the lines (half-even),
 *                    or an AMOUNT <= that sum; split over the lines in proportion to
 *                    (gross - line discount), largest remainder first, ties to the earlier line
 *   tax            = tax rate (basis points) of (gross - line discount - bill discount share),
 *                    rounded half-even, per line
 *   amount         = gross - line discount - bill discount share + tax
 *   bill totals    = the sums of the lines' gross, discounts, tax and amount, exactly
 *
 * Discounts come before tax (tax is on what the patient is charged). The
 * database checks every line's arithmetic and that the totals are the sums.
 */
import { allocate, basisPointsOf } from './money.js';
import { broken } from './rules.js';
import type { Bill, BillItem, BillStatus, Discount } from './types.js';

/** The bill with every line and total computed from its lines and discounts; due and status follow. */
export function priced(bill: Bill): Bill {
  const lines = bill.items.map((item) => {
    const grossMinor = item.quantity * item.unitPriceMinor;
    if (!Number.isSafeInteger(grossMinor)) throw broken('invalid-amount', 'quantity', 'the line amount is too large');
    const lineDiscountMinor = item.discount ? discountOf(item.discount, grossMinor, 'line') : 0;
    return { ...item, grossMinor, lineDiscountMinor };
  });
  const taxable = lines.map((l) => l.grossMinor - l.lineDiscountMinor);
  const taxableSum = taxable.reduce((a, b) => a + b, 0);
  const billDiscount = bill.discount ? discountOf(bill.discount, taxableSum, 'bill') : 0;
  const shares = allocate(billDiscount, taxable);
  const items: BillItem[] = lines.map((l, i) => {
    const billDiscountMinor = shares[i]!;
    const taxMinor = basisPointsOf(taxable[i]! - billDiscountMinor, l.taxRateBp);
    return {
      ...l,
      billDiscountMinor,
      taxMinor,
      amountMinor: l.grossMinor - l.lineDiscountMinor - billDiscountMinor + taxMinor,
    };
  });
  const sum = (f: (i: BillItem) => number) => items.reduce((a, i) => a + f(i), 0);
  const totals = {
    subtotalMinor: sum((i) => i.grossMinor),
    discountMinor: sum((i) => i.lineDiscountMinor + i.billDiscountMinor),
    taxMinor: sum((i) => i.taxMinor),
    totalMinor: sum((i) => i.amountMinor),
  };
  if (!Number.isSafeInteger(totals.totalMinor)) throw broken('invalid-amount', 'amountMinor', 'the bill is too large');
  return settled({ ...bill, ...totals, items });
}

function discountOf(discount: Discount, base: number, what: 'line' | 'bill'): number {
  if (discount.kind === 'PERCENT') return basisPointsOf(base, discount.value);
  if (discount.value > base) {
    throw broken(
      'discount-exceeds-amount',
      'value',
      `a discount of ${discount.value} is more than the ${base} the ${what} comes to`,
    );
  }
  return discount.value;
}

/** The bill with `dueMinor` and `status` as its amounts and dates say. */
export function settled(bill: Bill): Bill {
  const dueMinor = bill.totalMinor - bill.creditedMinor - bill.paidMinor + bill.refundedMinor;
  return { ...bill, dueMinor, status: statusOf({ ...bill, dueMinor }) };
}

/**
 * VOID once voided; PAID when nothing is due and either money came in or the
 * bill is issued (a free, issued bill is settled); OVERDUE when the overdue
 * job marked it; PARTIALLY_PAID when some money came in; else OPEN.
 */
export function statusOf(bill: Bill): BillStatus {
  if (bill.voided) return 'VOID';
  const netPaid = bill.paidMinor - bill.refundedMinor;
  if (bill.dueMinor <= 0 && (bill.issue !== undefined || netPaid > 0)) return 'PAID';
  if (bill.overdueAt) return 'OVERDUE';
  if (netPaid > 0) return 'PARTIALLY_PAID';
  return 'OPEN';
}

/** The totals events carry. */
export function totalsOf(bill: Bill) {
  return {
    subtotalMinor: bill.subtotalMinor,
    discountMinor: bill.discountMinor,
    taxMinor: bill.taxMinor,
    totalMinor: bill.totalMinor,
    paidMinor: bill.paidMinor,
    refundedMinor: bill.refundedMinor,
    creditedMinor: bill.creditedMinor,
    dueMinor: bill.dueMinor,
  };
}
