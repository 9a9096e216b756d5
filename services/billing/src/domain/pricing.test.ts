import { describe, expect, it } from 'vitest';
import { allocate, basisPointsOf, divideHalfEven, formatMinor } from './money.js';
import { priced, statusOf } from './pricing.js';
import type { Bill, BillItem, Discount } from './types.js';

function item(n: number, quantity: number, unitPriceMinor: number, taxRateBp: number, discount?: Discount): BillItem {
  return {
    id: `i${n}`,
    kind: 'PROCEDURE',
    description: `item ${n}`,
    quantity,
    unitPriceMinor,
    grossMinor: 0,
    lineDiscountMinor: 0,
    billDiscountMinor: 0,
    taxRateBp,
    taxMinor: 0,
    amountMinor: 0,
    discount,
    position: n,
  };
}

function bill(items: BillItem[], discount?: Discount): Bill {
  return {
    id: 'b',
    tenantId: 't',
    appointmentId: 'a',
    patientId: 'p',
    departmentId: 'd',
    status: 'OPEN',
    currency: 'INR',
    subtotalMinor: 0,
    discountMinor: 0,
    taxMinor: 0,
    totalMinor: 0,
    paidMinor: 0,
    refundedMinor: 0,
    refundReservedMinor: 0,
    creditedMinor: 0,
    dueMinor: 0,
    discount,
    traceId: '',
    createdAt: new Date(0),
    items,
  };
}

const percent = (value: number): Discount => ({ kind: 'PERCENT', value, reason: 'r', appliedBy: 'u' });
const amount = (value: number): Discount => ({ kind: 'AMOUNT', value, reason: 'r', appliedBy: 'u' });

describe('half-even rounding', () => {
  it('rounds exact halves to the even neighbour and everything else to the nearest', () => {
    expect([5n, 15n, 25n, 35n].map((n) => divideHalfEven(n, 10n))).toEqual([0n, 2n, 2n, 4n]);
    expect(divideHalfEven(14n, 10n)).toBe(1n);
    expect(divideHalfEven(16n, 10n)).toBe(2n);
    // 18 % of 12.50 = 2.25 exactly; of 12.53 = 2.2554 -> 2.26; of 0.25 = 0.045 -> 0.04 (even)
    expect(basisPointsOf(1250, 1800)).toBe(225);
    expect(basisPointsOf(1253, 1800)).toBe(226);
    expect(basisPointsOf(25, 1800)).toBe(4);
    expect(basisPointsOf(Number.MAX_SAFE_INTEGER, 0)).toBe(0);
  });

  it('splits an amount in proportion, exactly, the remainder to the largest fractions first', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(10, [50, 30, 20])).toEqual([5, 3, 2]);
    expect(allocate(0, [5, 5])).toEqual([0, 0]);
    expect(allocate(7, [0, 0])).toEqual([0, 0]);
  });

  it('formats minor units in the currency digits', () => {
    expect(formatMinor(123456, 'INR')).toBe('1,234.56');
    expect(formatMinor(5, 'INR')).toBe('0.05');
    expect(formatMinor(1234, 'JPY')).toBe('1,234');
  });
});

describe('priced', () => {
  it('applies the documented order: line discount, bill discount share, tax per line half-even', () => {
    const b = priced(
      bill([item(0, 2, 12_500, 1800, percent(1000)), item(1, 1, 30_000, 500), item(2, 1, 9_999, 0)], amount(1_000)),
    );
    const [a, c, d] = b.items;
    expect(a).toMatchObject({ grossMinor: 25_000, lineDiscountMinor: 2_500 });
    // Bill discount 1000 over taxable 22500, 30000, 9999 (sum 62499): 360, 480, 160.
    expect(b.items.map((i) => i.billDiscountMinor)).toEqual([360, 480, 160]);
    expect(a!.taxMinor).toBe(basisPointsOf(22_500 - 360, 1800));
    expect(c!.taxMinor).toBe(basisPointsOf(30_000 - 480, 500));
    expect(d!.taxMinor).toBe(0);
    expect(b.totalMinor).toBe(b.items.reduce((s, i) => s + i.amountMinor, 0));
    expect(b.subtotalMinor).toBe(64_999);
    expect(b.discountMinor).toBe(3_500);
    expect(b.dueMinor).toBe(b.totalMinor);
  });

  it('keeps totals equal to the sums of the lines over many random bills', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let run = 0; run < 2_000; run += 1) {
      const lines = Array.from({ length: 1 + random(8) }, (_, n) =>
        item(
          n,
          1 + random(20),
          random(500_000),
          [0, 500, 1200, 1800, 2800][random(5)]!,
          random(3) === 0 ? percent(1 + random(10_000)) : undefined,
        ),
      );
      const draft = priced(bill(lines));
      const billDiscount =
        random(3) === 0
          ? percent(1 + random(10_000))
          : random(2) === 0
            ? amount(random(draft.subtotalMinor - draft.discountMinor + 1) || 1)
            : undefined;
      let b: Bill;
      try {
        b = priced(bill(lines, billDiscount));
      } catch {
        continue; // an amount discount above what is left after line discounts: refused, nothing to check
      }
      const sum = (f: (i: BillItem) => number) => b.items.reduce((s, i) => s + f(i), 0);
      expect(b.subtotalMinor).toBe(sum((i) => i.grossMinor));
      expect(b.discountMinor).toBe(sum((i) => i.lineDiscountMinor + i.billDiscountMinor));
      expect(b.taxMinor).toBe(sum((i) => i.taxMinor));
      expect(b.totalMinor).toBe(sum((i) => i.amountMinor));
      expect(b.totalMinor).toBe(b.subtotalMinor - b.discountMinor + b.taxMinor);
      for (const i of b.items) {
        expect(i.grossMinor).toBe(i.quantity * i.unitPriceMinor);
        expect(i.lineDiscountMinor + i.billDiscountMinor).toBeLessThanOrEqual(i.grossMinor);
        expect(i.billDiscountMinor).toBeGreaterThanOrEqual(0);
        expect(i.taxMinor).toBe(basisPointsOf(i.grossMinor - i.lineDiscountMinor - i.billDiscountMinor, i.taxRateBp));
        expect(i.amountMinor).toBe(i.grossMinor - i.lineDiscountMinor - i.billDiscountMinor + i.taxMinor);
      }
      if (billDiscount?.kind === 'AMOUNT') expect(sum((i) => i.billDiscountMinor)).toBe(billDiscount.value);
    }
  });

  it('refuses an amount discount above what it discounts, naming the rule', () => {
    expect(() => priced(bill([item(0, 1, 1_000, 0, amount(1_001))]))).toThrow(/discount-exceeds-amount/);
    expect(() => priced(bill([item(0, 1, 1_000, 0)], amount(1_001)))).toThrow(/discount-exceeds-amount/);
  });
});

describe('statusOf', () => {
  const base = priced(bill([item(0, 1, 1_000, 0)]));
  it('follows the money: open, partially paid, paid; overdue once marked; void above all', () => {
    expect(statusOf(base)).toBe('OPEN');
    expect(statusOf({ ...base, paidMinor: 400, dueMinor: 600 })).toBe('PARTIALLY_PAID');
    expect(statusOf({ ...base, paidMinor: 1_000, dueMinor: 0 })).toBe('PAID');
    expect(statusOf({ ...base, paidMinor: 400, dueMinor: 600, overdueAt: new Date() })).toBe('OVERDUE');
    expect(statusOf({ ...base, voided: { at: new Date(), reason: 'x' } })).toBe('VOID');
  });
});
