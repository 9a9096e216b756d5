/**
 * The ledger's use cases against the in-memory store: lines from the
 * catalogue, discounts with permission, issuing with gapless numbers,
 * payments, the two-person refund rule, credit notes, the cancellation and
 * no-show policies and the overdue sweep. Each refused change leaves nothing.
 */
import { ConflictError, FailedPreconditionError, PermissionDeniedError } from '@hms/platform/domain';
import { EVENTS } from '@hms/proto';
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBillStore } from '../testing/fake-bill-store.js';
import { settleEndedAppointment } from './appointment-ended.js';
import { putCatalogueItem } from './catalogue.js';
import { issueCreditNote } from './credit-notes.js';
import { addItem, applyDiscount, removeItem, type BillingDeps } from './edit-bill.js';
import { issueBill } from './issue-bill.js';
import { markOverdueBills } from './mark-overdue.js';
import { openBill } from './open-bill.js';
import { BILLING_PERMISSIONS } from './permissions.js';
import { recordPayment, type RecordPayment } from './record-payment.js';
import { approveRefund, completeRefund, rejectRefund, requestRefund } from './refunds.js';
import { updateSettings } from './settings.js';
import { DEFAULT_SETTINGS, type Actor, type Bill } from './types.js';

const tenantId = 't1';
const clerk: Actor = { id: 'clerk', kind: 'user', permissions: new Set([BILLING_PERMISSIONS.refundRequest]) };
const supervisor: Actor = { id: 'supervisor', kind: 'user', permissions: new Set(Object.values(BILLING_PERMISSIONS)) };
const supervisor2: Actor = { ...supervisor, id: 'supervisor-2' };

let fake: ReturnType<typeof fakeBillStore>;
let deps: BillingDeps;
let now: Date;
let bill: Bill;

beforeEach(async () => {
  fake = fakeBillStore();
  let n = 0;
  now = new Date('2026-11-24T06:00:00Z');
  deps = {
    store: fake.store,
    newId: () => `0192f0a0-0000-7000-8000-${String((n += 1)).padStart(12, '0')}`,
    now: () => now,
  };
  bill = (await openBill(deps, {
    tenantId,
    appointmentId: 'a1',
    patientId: 'p1',
    departmentId: 'd1',
    consultationFeeMinor: 50_000,
    hospitalFeeMinor: 10_000,
    currency: 'INR',
    traceId: '',
  }))!;
  await putCatalogueItem(deps, {
    tenantId,
    code: 'CBC',
    kind: 'LAB_TEST',
    name: 'Complete blood count',
    priceMinor: 35_000,
    currency: 'INR',
    taxRateBp: 1200,
    active: true,
    actor: supervisor,
  });
});

const pay = (amountMinor: number, key: string, extra: Partial<RecordPayment> = {}) =>
  recordPayment(deps, {
    tenantId,
    billId: bill.id,
    method: 'UPI',
    amountMinor,
    currency: 'INR',
    reference: `upi-${key}`,
    idempotency: { operation: 'RecordPayment', key, fingerprint: `${amountMinor}:${extra.currency ?? 'INR'}` },
    actor: clerk,
    ...extra,
  });

async function refused<E>(promise: Promise<unknown>, kind: new (...args: never[]) => E, rule: RegExp): Promise<void> {
  const before = JSON.stringify([fake.bills(), fake.events().length, fake.refunds(), fake.payments()]);
  await expect(promise).rejects.toBeInstanceOf(kind);
  await promise.catch((error: Error) => expect(error.message).toMatch(rule));
  expect(JSON.stringify([fake.bills(), fake.events().length, fake.refunds(), fake.payments()])).toBe(before);
}

describe('lines and the catalogue', () => {
  it('adds a line at the current catalogue version, taxed per line, and a price change alters no bill', async () => {
    const { bill: after, itemId } = await addItem(deps, {
      tenantId,
      billId: bill.id,
      catalogueCode: 'CBC',
      quantity: 2,
      actor: clerk,
    });
    const line = after.items.find((i) => i.id === itemId)!;
    expect(line).toMatchObject({ grossMinor: 70_000, taxRateBp: 1200, taxMinor: 8_400, amountMinor: 78_400 });
    expect(line.catalogue).toMatchObject({ code: 'CBC', version: 1 });
    expect(after.totalMinor).toBe(60_000 + 78_400);
    expect(fake.events().at(-1)).toMatchObject({ def: EVENTS.billItemAdded });

    await putCatalogueItem(deps, {
      tenantId,
      code: 'CBC',
      kind: 'LAB_TEST',
      name: 'CBC',
      priceMinor: 99_000,
      currency: 'INR',
      taxRateBp: 0,
      active: true,
      actor: supervisor,
    });
    const again = await deps.store.find(tenantId, bill.id);
    expect(again!.items.find((i) => i.id === itemId)).toMatchObject({ unitPriceMinor: 35_000, amountMinor: 78_400 });
    const { bill: third, itemId: newer } = await addItem(deps, {
      tenantId,
      billId: bill.id,
      catalogueCode: 'CBC',
      quantity: 1,
      actor: clerk,
    });
    expect(third.items.find((i) => i.id === newer)).toMatchObject({
      unitPriceMinor: 99_000,
      catalogue: { version: 2 },
    });
  });

  it('removes a line and reprices', async () => {
    const { itemId } = await addItem(deps, {
      tenantId,
      billId: bill.id,
      catalogueCode: 'CBC',
      quantity: 1,
      actor: clerk,
    });
    const after = await removeItem(deps, { tenantId, billId: bill.id, itemId, actor: clerk });
    expect(after.totalMinor).toBe(60_000);
    expect(fake.events().at(-1)).toMatchObject({ def: EVENTS.billItemRemoved });
  });

  it('refuses a line or a removal on an issued bill, and a removal that would drop the total below what was paid', async () => {
    const { itemId } = await addItem(deps, {
      tenantId,
      billId: bill.id,
      catalogueCode: 'CBC',
      quantity: 1,
      actor: clerk,
    });
    await pay(70_000, 'k1');
    await refused(
      removeItem(deps, { tenantId, billId: bill.id, itemId, actor: clerk }),
      ConflictError,
      /total-below-paid/,
    );
    await issueBill(deps, { tenantId, billId: bill.id, actor: clerk });
    await refused(
      addItem(deps, { tenantId, billId: bill.id, catalogueCode: 'CBC', quantity: 1, actor: clerk }),
      FailedPreconditionError,
      /bill-issued/,
    );
  });
});

describe('discounts', () => {
  it('needs the discount permission and a reason', async () => {
    await refused(
      applyDiscount(deps, { tenantId, billId: bill.id, kind: 'PERCENT', value: 1000, reason: 'staff', actor: clerk }),
      PermissionDeniedError,
      /permission-required: .*bills.discount/,
    );
  });

  it('takes a bill discount over the lines and a line discount, recording who and why', async () => {
    const after = await applyDiscount(deps, {
      tenantId,
      billId: bill.id,
      kind: 'PERCENT',
      value: 1000,
      reason: 'staff',
      actor: supervisor,
    });
    expect(after).toMatchObject({
      discountMinor: 6_000,
      totalMinor: 54_000,
      discount: { appliedBy: 'supervisor', reason: 'staff' },
    });
    const line = await applyDiscount(deps, {
      tenantId,
      billId: bill.id,
      itemId: bill.items[1]!.id,
      kind: 'AMOUNT',
      value: 10_000,
      currency: 'INR',
      reason: 'waived',
      actor: supervisor,
    });
    expect(line.items[1]).toMatchObject({ lineDiscountMinor: 10_000, billDiscountMinor: 0, amountMinor: 0 });
    expect(line.totalMinor).toBe(45_000);
    await refused(
      applyDiscount(deps, {
        tenantId,
        billId: bill.id,
        kind: 'AMOUNT',
        value: 100,
        currency: 'USD',
        reason: 'x',
        actor: supervisor,
      }),
      FailedPreconditionError,
      /currency-mismatch/,
    );
  });
});

describe('issuing', () => {
  it('numbers invoices per fiscal year without gaps and sets the due date from the terms', async () => {
    const first = await issueBill(deps, { tenantId, billId: bill.id, actor: clerk });
    expect(first.issue).toMatchObject({
      invoiceNumber: 'INV/2026-27/000001',
      fiscalYear: '2026-27',
      issuedBy: 'clerk',
    });
    expect(first.issue!.dueAt.getTime() - now.getTime()).toBe(DEFAULT_SETTINGS.paymentTermsDays * 86_400_000);
    const second = (await openBill(deps, { ...baseBooking(), appointmentId: 'a2' }))!;
    // A refused issue takes no number.
    await refused(issueBill(deps, { tenantId, billId: bill.id, actor: clerk }), FailedPreconditionError, /bill-issued/);
    const issued = await issueBill(deps, { tenantId, billId: second.id, actor: clerk });
    expect(issued.issue!.invoiceNumber).toBe('INV/2026-27/000002');
  });

  it('uses the tenant format', async () => {
    await updateSettings(deps, {
      tenantId,
      settings: { ...DEFAULT_SETTINGS, invoiceFormat: 'H1-{FYSTART}-{SEQ:4}' },
      actor: supervisor,
    });
    expect((await issueBill(deps, { tenantId, billId: bill.id, actor: clerk })).issue!.invoiceNumber).toBe(
      'H1-2026-0001',
    );
  });
});

function baseBooking() {
  return {
    tenantId,
    appointmentId: 'a1',
    patientId: 'p1',
    departmentId: 'd1',
    consultationFeeMinor: 50_000,
    hospitalFeeMinor: 10_000,
    currency: 'INR',
    traceId: '',
  };
}

describe('payments', () => {
  it('goes OPEN -> PARTIALLY_PAID -> PAID with a receipt each, bill.paid once', async () => {
    const first = await pay(20_000, 'k1');
    expect(first.bill).toMatchObject({ status: 'PARTIALLY_PAID', paidMinor: 20_000, dueMinor: 40_000 });
    expect(first.payment.receiptNumber).toBe('RCT/2026-27/000001');
    const second = await pay(40_000, 'k2');
    expect(second.bill).toMatchObject({ status: 'PAID', dueMinor: 0 });
    expect(second.payment.receiptNumber).toBe('RCT/2026-27/000002');
    expect(fake.events().filter((e) => e.def === EVENTS.billPaid)).toHaveLength(1);
    expect(fake.events().filter((e) => e.def === EVENTS.paymentRecorded)).toHaveLength(2);
  });

  it('returns the first payment for a retried key and refuses the key for another request', async () => {
    const first = await pay(20_000, 'k1');
    const again = await pay(20_000, 'k1');
    expect(again).toMatchObject({ replayed: true, payment: first.payment });
    expect(fake.payments()).toHaveLength(1);
    await refused(pay(30_000, 'k1'), FailedPreconditionError, /different request/);
  });

  it('refuses an overpayment (409), another currency, a void bill, a card payment without reference', async () => {
    await refused(pay(60_001, 'k1'), ConflictError, /overpayment/);
    await refused(pay(100, 'k2', { currency: 'USD' }), FailedPreconditionError, /currency-mismatch/);
    await refused(pay(100, 'k3', { method: 'CARD', reference: '' }), Error, /invalid payment/);
    await settleEndedAppointment(deps, {
      tenantId,
      appointmentId: 'a1',
      how: 'cancelled',
      startsAt: new Date('2026-12-01T05:00:00Z'),
      at: now,
      reason: 'patient',
    });
    await refused(pay(100, 'k4'), FailedPreconditionError, /bill-void/);
  });
});

describe('refunds', () => {
  beforeEach(async () => {
    await pay(60_000, 'k1');
  });

  it('two people: requested by one, approved by another, completed; both named in the events', async () => {
    const requested = await requestRefund(deps, {
      tenantId,
      billId: bill.id,
      amountMinor: 10_000,
      currency: 'INR',
      reason: 'overcharged',
      actor: clerk,
    });
    expect(requested.status).toBe('REQUESTED');
    const approved = await approveRefund(deps, { tenantId, refundId: requested.id, actor: supervisor });
    expect(approved).toMatchObject({ status: 'APPROVED', requestedBy: 'clerk', decidedBy: 'supervisor' });
    const completed = await completeRefund(deps, {
      tenantId,
      refundId: requested.id,
      method: 'CASH',
      reference: '',
      actor: clerk,
    });
    expect(completed.status).toBe('COMPLETED');
    const after = await deps.store.find(tenantId, bill.id);
    expect(after).toMatchObject({ refundedMinor: 10_000, refundReservedMinor: 0 });
    const types = fake
      .events()
      .filter((e) => e.def.type.startsWith('refund.'))
      .map((e) => e.def.type);
    expect(types).toEqual(['refund.requested', 'refund.approved', 'refund.completed']);
    expect(fake.events().at(-1)!.data).toMatchObject({
      requestedBy: 'clerk',
      decidedBy: 'supervisor',
      completedBy: 'clerk',
    });
  });

  it('never lets the requester decide (409), nor anyone without the permission', async () => {
    const mine = await requestRefund(deps, {
      tenantId,
      billId: bill.id,
      amountMinor: 1_000,
      currency: 'INR',
      reason: 'r',
      actor: supervisor,
    });
    await refused(
      approveRefund(deps, { tenantId, refundId: mine.id, actor: supervisor }),
      ConflictError,
      /two-person-rule/,
    );
    await refused(
      rejectRefund(deps, { tenantId, refundId: mine.id, reason: 'no', actor: supervisor }),
      ConflictError,
      /two-person-rule/,
    );
    await refused(
      approveRefund(deps, { tenantId, refundId: mine.id, actor: clerk }),
      PermissionDeniedError,
      /refunds.approve/,
    );
    const rejected = await rejectRefund(deps, { tenantId, refundId: mine.id, reason: 'duplicate', actor: supervisor2 });
    expect(rejected).toMatchObject({ status: 'REJECTED', rejectionReason: 'duplicate' });
    expect((await deps.store.find(tenantId, bill.id))!.refundReservedMinor).toBe(0);
  });

  it('keeps requested and completed refunds within what was paid', async () => {
    await requestRefund(deps, {
      tenantId,
      billId: bill.id,
      amountMinor: 50_000,
      currency: 'INR',
      reason: 'r',
      actor: clerk,
    });
    await refused(
      requestRefund(deps, {
        tenantId,
        billId: bill.id,
        amountMinor: 10_001,
        currency: 'INR',
        reason: 'r',
        actor: clerk,
      }),
      ConflictError,
      /refund-exceeds-paid/,
    );
  });
});

describe('credit notes', () => {
  it('only on an issued bill; reduce what is due, numbered in their own series', async () => {
    await refused(
      issueCreditNote(deps, {
        tenantId,
        billId: bill.id,
        amountMinor: 1_000,
        currency: 'INR',
        reason: 'r',
        actor: supervisor,
      }),
      FailedPreconditionError,
      /bill-not-issued/,
    );
    await issueBill(deps, { tenantId, billId: bill.id, actor: clerk });
    const { creditNote, bill: after } = await issueCreditNote(deps, {
      tenantId,
      billId: bill.id,
      amountMinor: 10_000,
      currency: 'INR',
      reason: 'wrong fee',
      actor: supervisor,
    });
    expect(creditNote.number).toBe('CN/2026-27/000001');
    expect(after).toMatchObject({ creditedMinor: 10_000, dueMinor: 50_000, totalMinor: 60_000 });
    await refused(
      issueCreditNote(deps, {
        tenantId,
        billId: bill.id,
        amountMinor: 50_001,
        currency: 'INR',
        reason: 'r',
        actor: supervisor,
      }),
      ConflictError,
      /credit-exceeds-total/,
    );
  });
});

describe('when the appointment ends', () => {
  const startsAt = new Date('2026-11-24T12:00:00Z');
  const end = (how: 'cancelled' | 'no_show', at: Date) =>
    settleEndedAppointment(deps, { tenantId, appointmentId: 'a1', how, startsAt, at, reason: 'patient called' });

  it('voids an unpaid bill', async () => {
    const after = await end('cancelled', now);
    expect(after).toMatchObject({ status: 'VOID', voided: { reason: 'appointment cancellation: patient called' } });
    expect(fake.events().at(-1)).toMatchObject({ def: EVENTS.billVoided });
    expect(await end('cancelled', now)).toMatchObject({ status: 'VOID' });
    expect(fake.events().filter((e) => e.def === EVENTS.billVoided)).toHaveLength(1);
  });

  it('credits and asks to refund everything of a paid bill cancelled in time', async () => {
    await pay(60_000, 'k1');
    const after = await end('cancelled', new Date(startsAt.getTime() - 5 * 3_600_000));
    expect(after).toMatchObject({ creditedMinor: 60_000, refundReservedMinor: 60_000, dueMinor: -60_000 });
    expect(after!.issue).toBeDefined();
    expect(
      fake
        .events()
        .slice(-3)
        .map((e) => e.def.type),
    ).toEqual(['bill.issued', 'credit_note.issued', 'refund.requested']);
    expect(fake.refunds()).toEqual([
      expect.objectContaining({ amountMinor: 60_000, status: 'REQUESTED', requestedBy: 'billing' }),
    ]);
    // A person approves what the policy asked.
    await approveRefund(deps, { tenantId, refundId: fake.refunds()[0]!.id, actor: supervisor });
    // The same ending again asks nothing more.
    await end('cancelled', new Date(startsAt.getTime() - 5 * 3_600_000));
    expect(fake.refunds()).toHaveLength(1);
  });

  it('keeps the consultation fee of a late cancellation and of a no-show, unless the policy charges no-shows in full', async () => {
    await pay(60_000, 'k1');
    const after = await end('cancelled', new Date(startsAt.getTime() - 60 * 60_000));
    expect(after).toMatchObject({ creditedMinor: 10_000, refundReservedMinor: 10_000 });
    expect(fake.refunds()[0]!.amountMinor).toBe(10_000);
  });

  it('changes nothing for a no-show under CHARGE', async () => {
    await updateSettings(deps, {
      tenantId,
      settings: { ...DEFAULT_SETTINGS, noShowPolicy: 'CHARGE' },
      actor: supervisor,
    });
    await pay(60_000, 'k1');
    const events = fake.events().length;
    expect(await end('no_show', startsAt)).toMatchObject({ status: 'PAID', creditedMinor: 0 });
    expect(fake.events()).toHaveLength(events);
  });
});

describe('overdue', () => {
  it('marks issued bills past due with money due, once, with bill.overdue', async () => {
    await issueBill(deps, { tenantId, billId: bill.id, actor: clerk });
    const paidUp = (await openBill(deps, { ...baseBooking(), appointmentId: 'a2' }))!;
    await issueBill(deps, { tenantId, billId: paidUp.id, actor: clerk });
    await recordPayment(deps, {
      tenantId,
      billId: paidUp.id,
      method: 'CASH',
      amountMinor: 60_000,
      currency: 'INR',
      reference: '',
      idempotency: { operation: 'RecordPayment', key: 'p', fingerprint: 'p' },
      actor: clerk,
    });
    expect(await markOverdueBills(deps, new Date(now.getTime() + 86_400_000))).toBe(0);
    const later = new Date(now.getTime() + 16 * 86_400_000);
    expect(await markOverdueBills(deps, later, { batch: 1 })).toBe(1);
    expect(await markOverdueBills(deps, later)).toBe(0);
    expect((await deps.store.find(tenantId, bill.id))!.status).toBe('OVERDUE');
    expect(fake.events().filter((e) => e.def === EVENTS.billOverdue)).toHaveLength(1);
    // A partial payment leaves it overdue; paying the rest settles it.
    expect((await pay(10_000, 'k9')).bill.status).toBe('OVERDUE');
    expect((await pay(50_000, 'k10')).bill.status).toBe('PAID');
  });
});
