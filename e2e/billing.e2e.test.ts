/**
 * Billing through nginx, as a hospital's cashiers and accountants use it: the
 * catalogue, a booked appointment's bill with lines, a discount, issuing, the
 * invoice PDF (its text read back with pdftotext), partial payments with an
 * Idempotency-Key, a refund under the two-person rule, a credit note, the
 * daily report, the overdue sweep, the cancellation policy, every step in the
 * audit trail, and each kind of bad input as a 4xx problem naming its rule.
 */
import { spawn } from 'node:child_process';
import { newId } from '@hms/platform';
import { eventually, publishTestEvent, closeTestPublisher } from '@hms/platform/testing';
import { EVENTS, toTimestamp } from '@hms/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiBase, call, newTenant, slot, tokenFor, type DemoTenant, type Reply } from './support/stack.js';

type Json = Record<string, unknown>;

let tenant: DemoTenant;
let clerk: string;
let clerk2: string;
let supervisor: string;
let supervisor2: string;

beforeAll(async () => {
  tenant = await newTenant();
  [clerk, clerk2, supervisor, supervisor2] = await Promise.all([
    tokenFor(tenant.tenantId, 'cashier-anita', ['BILLING_CLERK']),
    tokenFor(tenant.tenantId, 'cashier-ravi', ['BILLING_CLERK']),
    tokenFor(tenant.tenantId, 'supervisor-meera', ['BILLING_SUPERVISOR']),
    tokenFor(tenant.tenantId, 'supervisor-john', ['BILLING_SUPERVISOR']),
  ]);
  for (const [code, kind, name, priceMinor, taxRateBp] of [
    ['CBC', 'lab_test', 'Complete blood count', 35_000, 0],
    ['XRAY-CHEST', 'procedure', 'Chest X-ray', 80_000, 1800],
  ] as const) {
    const put = await call('PUT', `/billing/catalogue/${code}`, {
      token: supervisor,
      body: { kind, name, priceMinor, currency: 'INR', taxRateBp },
    });
    expect(put.status).toBe(200);
  }
});

afterAll(async () => {
  await closeTestPublisher();
});

function expectProblem(reply: Reply, status: number, rule?: RegExp) {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (rule) expect(String(reply.json.detail)).toMatch(rule);
}

let booked = 0;
/** Books the n-th slot of the night doctor and waits for its bill. */
async function bookedBill(): Promise<{ bill: Json; appointment: Json }> {
  booked += 1;
  const reply = await call('POST', '/appointments', {
    token: tenant.token,
    headers: { 'idempotency-key': newId() },
    body: {
      patientId: tenant.patients[booked % tenant.patients.length]!.id,
      doctorId: tenant.nightDoctor.id,
      startsAt: slot(40 + booked),
    },
  });
  expect(reply.status).toBe(201);
  const appointment = reply.json.appointment as Json;
  const bill = await eventually(
    async () =>
      (
        (await call('GET', `/bills?appointmentId=${String(appointment.id)}`, { token: clerk })).json.data as Json[]
      )?.[0],
    { what: 'the bill', timeoutMs: 30_000 },
  );
  return { bill, appointment };
}

function pdfText(pdf: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('pdftotext', ['-layout', '-', '-']);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`pdftotext exited ${code}`))));
    child.stdin.end(pdf);
  });
}

const pay = (billId: string, body: Json, key: string | null = newId(), token = clerk) =>
  call('POST', `/bills/${billId}/payments`, { token, body, headers: key ? { 'idempotency-key': key } : {} });

describe('billing through nginx', () => {
  it('bills, discounts, issues, prints, takes partial payments, refunds with two people and credits', async () => {
    const { bill } = await bookedBill();
    const id = String(bill.id);
    expect(bill).toMatchObject({ status: 'open', totalMinor: 90_000, dueMinor: 90_000, invoiceNumber: null });

    const added = await call('POST', `/bills/${id}/items`, { token: clerk, body: { catalogueCode: 'XRAY-CHEST' } });
    expect(added.status).toBe(201);
    const xray = (added.json.bill as Json).items as Json[];
    expect(xray.find((i) => i.id === added.json.itemId)).toMatchObject({
      kind: 'procedure',
      catalogueCode: 'XRAY-CHEST',
      catalogueVersion: 1,
      grossMinor: 80_000,
      taxRateBp: 1800,
      taxMinor: 14_400,
      amountMinor: 94_400,
    });
    const lab = await call('POST', `/bills/${id}/items`, { token: clerk, body: { catalogueCode: 'CBC', quantity: 2 } });
    const removed = await call('DELETE', `/bills/${id}/items/${String(lab.json.itemId)}`, { token: clerk });
    expect((removed.json.bill as Json).totalMinor).toBe(184_400);

    // A discount needs the permission (a clerk has not) and a reason.
    expectProblem(
      await call('POST', `/bills/${id}/discounts`, { token: clerk, body: { percentBp: 1000, reason: 'staff' } }),
      403,
      /permission-required/,
    );
    const discounted = await call('POST', `/bills/${id}/discounts`, {
      token: supervisor,
      body: { amountMinor: 4_400, currency: 'INR', reason: 'senior citizen' },
    });
    expect(discounted.status).toBe(200);
    const after = discounted.json.bill as Json;
    expect(after).toMatchObject({ discountMinor: 4_400, discount: { kind: 'amount', appliedBy: 'supervisor-meera' } });
    expect(Number(after.totalMinor)).toBe((after.items as Json[]).reduce((s, i) => s + Number(i.amountMinor), 0));

    const issued = await call('POST', `/bills/${id}/issue`, { token: clerk });
    expect(issued.status).toBe(200);
    const invoice = issued.json.bill as Json;
    expect(String(invoice.invoiceNumber)).toMatch(/^INV\/\d{4}-\d{2}\/\d{6}$/);
    expect(invoice.dueAt).toBeTruthy();
    expectProblem(
      await call('POST', `/bills/${id}/items`, { token: clerk, body: { catalogueCode: 'CBC' } }),
      422,
      /bill-issued/,
    );

    const total = Number(invoice.totalMinor);
    const key = newId();
    const first = await pay(id, { method: 'card', amountMinor: 50_000, currency: 'INR', reference: 'POS-7781' }, key);
    expect(first.status).toBe(201);
    expect(first.json.bill).toMatchObject({ status: 'partially_paid', paidMinor: 50_000 });
    expect(String((first.json.payment as Json).receiptNumber)).toMatch(/^RCT\//);
    const retried = await pay(id, { method: 'card', amountMinor: 50_000, currency: 'INR', reference: 'POS-7781' }, key);
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotency-replayed')).toBe('true');
    expect(retried.json.payment).toEqual(first.json.payment);
    expectProblem(
      await pay(id, { method: 'upi', amountMinor: total - 50_000 + 1, currency: 'INR', reference: 'UPI-1' }),
      409,
      /overpayment/,
    );
    const rest = await pay(
      id,
      { method: 'upi', amountMinor: total - 50_000, currency: 'INR', reference: 'UPI-2' },
      newId(),
      clerk2,
    );
    expect(rest.json.bill).toMatchObject({ status: 'paid', dueMinor: 0 });

    const receipt = await fetch(`${apiBase()}/payments/${String((first.json.payment as Json).id)}/receipt.pdf`, {
      headers: { authorization: `Bearer ${clerk}` },
    });
    expect(receipt.status).toBe(200);
    expect(await pdfText(Buffer.from(await receipt.arrayBuffer()))).toMatch(/Payment receipt[\s\S]*POS-7781/);

    // A refund: asked by one cashier, never approved by the same person, approved by a supervisor.
    const requested = await call('POST', `/bills/${id}/refunds`, {
      token: clerk,
      body: { amountMinor: 10_000, currency: 'INR', reason: 'X-ray plate reused' },
    });
    expect(requested.status).toBe(201);
    const refund = requested.json.refund as Json;
    expect(refund).toMatchObject({ status: 'requested', requestedBy: 'cashier-anita' });
    const ownRequest = await call('POST', `/bills/${id}/refunds`, {
      token: supervisor,
      body: { amountMinor: 1_000, currency: 'INR', reason: 'rounding' },
    });
    expectProblem(
      await call('POST', `/refunds/${String((ownRequest.json.refund as Json).id)}/approve`, { token: supervisor }),
      409,
      /two-person-rule/,
    );
    const rejected = await call('POST', `/refunds/${String((ownRequest.json.refund as Json).id)}/reject`, {
      token: supervisor2,
      body: { reason: 'not owed' },
    });
    expect(rejected.json.refund).toMatchObject({
      status: 'rejected',
      decidedBy: 'supervisor-john',
      rejectionReason: 'not owed',
    });
    expectProblem(
      await call('POST', `/refunds/${String(refund.id)}/approve`, { token: clerk2 }),
      403,
      /refunds.approve/,
    );
    const approved = await call('POST', `/refunds/${String(refund.id)}/approve`, { token: supervisor });
    expect(approved.json.refund).toMatchObject({
      status: 'approved',
      requestedBy: 'cashier-anita',
      decidedBy: 'supervisor-meera',
    });
    const listed = await call('GET', '/refunds?status=approved', { token: clerk });
    expect((listed.json.data as Json[]).map((r) => r.id)).toContain(refund.id);
    const completed = await call('POST', `/refunds/${String(refund.id)}/complete`, {
      token: clerk2,
      body: { method: 'cash' },
    });
    expect(completed.json.refund).toMatchObject({ status: 'completed', completedBy: 'cashier-ravi', method: 'cash' });
    expectProblem(
      await call('POST', `/bills/${id}/refunds`, {
        token: clerk,
        body: { amountMinor: total, currency: 'INR', reason: 'all' },
      }),
      409,
      /refund-exceeds-paid/,
    );

    // The correction of an issued bill: a credit note that references it.
    const credit = await call('POST', `/bills/${id}/credit-notes`, {
      token: supervisor,
      body: { amountMinor: 10_000, currency: 'INR', reason: 'X-ray plate reused' },
    });
    expect(credit.status).toBe(201);
    expect(credit.json.creditNote).toMatchObject({ invoiceNumber: invoice.invoiceNumber, amountMinor: 10_000 });
    expect(String((credit.json.creditNote as Json).number)).toMatch(/^CN\//);
    expect(credit.json.bill).toMatchObject({
      creditedMinor: 10_000,
      refundedMinor: 10_000,
      dueMinor: 0,
      status: 'paid',
    });

    const pdf = await fetch(`${apiBase()}/bills/${id}/invoice.pdf`, { headers: { authorization: `Bearer ${clerk}` } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toMatch(/^application\/pdf/);
    const text = await pdfText(Buffer.from(await pdf.arrayBuffer()));
    expect(text).toContain('Tax invoice');
    expect(text).toContain(String(invoice.invoiceNumber));
    expect(text).toContain('Chest X-ray (XRAY-CHEST)');
    expect(text).toMatch(/Consultation fee/);
    const rupees = `${Math.floor(total / 100).toLocaleString('en-US')}.${String(total % 100).padStart(2, '0')}`;
    expect(text).toMatch(new RegExp(`Total \\(INR\\)\\s+${rupees.replace('.', '\\.')}`));
    expect(text).toContain('POS-7781');
    expect(text).toContain(String((credit.json.creditNote as Json).number));

    // The audit trail has every step, the refund's with both people.
    const trail = await eventually(
      async () => {
        const r = await call('GET', `/audit?entityId=${id}&limit=100`, { token: tenant.token });
        const types = ((r.json.data as Json[]) ?? []).map((e) => e.eventType);
        return types.includes('credit_note.issued') && types.includes('refund.completed')
          ? (r.json.data as Json[])
          : undefined;
      },
      { what: 'the audit records of the bill', timeoutMs: 30_000 },
    );
    const types = trail.map((e) => e.eventType);
    for (const type of [
      'bill.created',
      'bill.item_added',
      'bill.item_removed',
      'bill.discount_applied',
      'bill.issued',
      'payment.recorded',
      'bill.paid',
      'refund.requested',
      'refund.approved',
      'refund.rejected',
      'refund.completed',
      'credit_note.issued',
    ]) {
      expect(types).toContain(type);
    }
    const approval = trail.find((e) => e.eventType === 'refund.approved')!;
    expect(approval).toMatchObject({ actorId: 'supervisor-meera' });
    expect(approval.data).toMatchObject({ requestedBy: 'cashier-anita', decidedBy: 'supervisor-meera' });
  });

  it('refuses bad input with a 4xx problem naming the rule, and writes nothing', async () => {
    const { bill } = await bookedBill();
    const id = String(bill.id);
    const body = { method: 'cash', amountMinor: 1_000, currency: 'INR' };
    const fields = (r: Reply) =>
      ((r.json.errors as { field: string; message: string }[]) ?? []).map((e) => `${e.field}: ${e.message}`);

    const noKey = await pay(id, body, null);
    expectProblem(noKey, 400);
    expect(fields(noKey).join()).toMatch(/Idempotency-Key: required/);
    const negative = await pay(id, { ...body, amountMinor: -5 });
    expectProblem(negative, 400);
    expect(fields(negative).join()).toMatch(/amountMinor: invalid-amount/);
    const fraction = await pay(id, { ...body, amountMinor: 10.5 });
    expectProblem(fraction, 400);
    expect(fields(fraction).join()).toMatch(/amountMinor: invalid-amount/);
    expectProblem(await pay(id, { ...body, currency: 'USD' }), 422, /currency-mismatch/);
    expectProblem(await pay(id, { ...body, method: 'card' }), 400);
    expectProblem(await pay(id, { ...body, method: 'cheque' }), 400);
    expectProblem(
      await call('POST', `/bills/${id}/refunds`, {
        token: clerk,
        body: { amountMinor: 1, currency: 'INR', reason: 'x' },
      }),
      409,
      /refund-exceeds-paid/,
    );
    expectProblem(
      await call('POST', `/bills/${id}/credit-notes`, {
        token: supervisor,
        body: { amountMinor: 1, currency: 'INR', reason: 'x' },
      }),
      422,
      /bill-not-issued/,
    );
    expectProblem(await call('POST', `/bills/${id}/items`, { token: clerk, body: { catalogueCode: 'NOPE' } }), 404);
    expectProblem(await call('GET', `/bills/${id}/invoice.pdf`, { token: clerk }), 422, /bill-not-issued/);
    expectProblem(await call('GET', '/bills?status=late', { token: clerk }), 400);
    expectProblem(await call('GET', '/billing/reports/daily?date=2026-02-30', { token: clerk }), 400);
    expectProblem(
      await call('PUT', '/billing/settings', {
        token: supervisor,
        body: {
          invoiceFormat: 'INV-{SEQ}',
          creditNoteFormat: 'CN/{FY}/{SEQ}',
          receiptFormat: 'R/{FY}/{SEQ}',
          fiscalYearStartMonth: 4,
          timeZone: 'Asia/Kolkata',
          paymentTermsDays: 15,
          lateCancellationMinutes: 240,
          noShowPolicy: 'charge',
        },
      }),
      400,
    );
    const unchanged = await call('GET', `/bills/${id}`, { token: clerk });
    expect(unchanged.json.bill).toMatchObject({ paidMinor: 0, refundReservedMinor: 0, status: 'open' });
    const payments = await call('GET', `/bills/${id}/payments`, { token: clerk });
    expect(payments.json.data).toEqual([]);
  });

  it('voids an unpaid bill when the appointment is cancelled, and refuses payments on it', async () => {
    const { bill, appointment } = await bookedBill();
    // appointment.cancelled as the scheduling service will publish it.
    await publishTestEvent(EVENTS.appointmentCancelled, {
      tenantId: tenant.tenantId,
      key: `${tenant.tenantId}:${tenant.nightDoctor.id}:${String(appointment.serviceDate)}`,
      subject: `appointment/${String(appointment.id)}`,
      source: 'appointments',
      data: {
        appointmentId: String(appointment.id),
        patientId: String(appointment.patientId),
        doctorId: tenant.nightDoctor.id,
        startsAt: toTimestamp(new Date(String(appointment.startsAt))),
        serviceDate: String(appointment.serviceDate),
        cancelledAt: toTimestamp(new Date()),
        reason: 'patient travelling',
        cancelledBy: 'patient',
      },
    });
    const voided = await eventually(
      async () => {
        const b = (await call('GET', `/bills/${String(bill.id)}`, { token: clerk })).json.bill as Json;
        return b.status === 'void' ? b : undefined;
      },
      { what: 'the bill voided', timeoutMs: 30_000 },
    );
    expect(voided.voidReason).toMatch(/patient travelling/);
    expectProblem(await pay(String(bill.id), { method: 'cash', amountMinor: 100, currency: 'INR' }), 422, /bill-void/);
  });

  it('marks an issued bill past its terms overdue and lists it with a cursor; reports the day', async () => {
    const other = await newTenant();
    const boss = await tokenFor(other.tenantId, 'supervisor-x', ['BILLING_SUPERVISOR']);
    const terms = await call('PUT', '/billing/settings', {
      token: boss,
      body: {
        invoiceFormat: 'OPD/{FYSTART}/{SEQ:5}',
        creditNoteFormat: 'CN/{FY}/{SEQ}',
        receiptFormat: 'R/{FY}/{SEQ}',
        fiscalYearStartMonth: 4,
        timeZone: 'Asia/Kolkata',
        paymentTermsDays: 0,
        lateCancellationMinutes: 240,
        noShowPolicy: 'late_cancellation',
      },
    });
    expect(terms.status).toBe(200);
    const ids: string[] = [];
    for (let n = 0; n < 3; n += 1) {
      const reply = await call('POST', '/appointments', {
        token: other.token,
        headers: { 'idempotency-key': newId() },
        body: { patientId: other.patients[n]!.id, doctorId: other.nightDoctor.id, startsAt: slot(60 + n) },
      });
      const appointmentId = String((reply.json.appointment as Json).id);
      const b = await eventually(
        async () =>
          ((await call('GET', `/bills?appointmentId=${appointmentId}`, { token: boss })).json.data as Json[])?.[0],
        { what: 'the bill', timeoutMs: 30_000 },
      );
      const issued = await call('POST', `/bills/${String(b.id)}/issue`, { token: boss });
      expect(String((issued.json.bill as Json).invoiceNumber)).toMatch(/^OPD\/\d{4}\/\d{5}$/);
      ids.push(String(b.id));
    }
    await pay(ids[0]!, { method: 'cash', amountMinor: 10_000, currency: 'INR' }, newId(), boss);
    const seen: string[] = [];
    await eventually(
      async () => {
        seen.length = 0;
        let cursor: string | null = null;
        do {
          const page: Reply = await call('GET', `/bills?status=overdue&limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
            token: boss,
          });
          seen.push(...(page.json.data as Json[]).map((b) => String(b.id)));
          cursor = page.json.nextCursor as string | null;
        } while (cursor);
        return seen.length === 3 ? seen : undefined;
      },
      { what: 'three overdue bills', timeoutMs: 30_000 },
    );
    expect([...seen].sort()).toEqual([...ids].sort());
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(new Date());
    const report = await call('GET', `/billing/reports/daily?date=${today}`, { token: boss });
    expect(report.status).toBe(200);
    expect(report.json).toMatchObject({
      date: today,
      timeZone: 'Asia/Kolkata',
      totals: [{ currency: 'INR', collectedMinor: 10_000, payments: 1, netMinor: 10_000 }],
      byMethod: [{ method: 'cash', collectedMinor: 10_000 }],
      byCashier: [{ cashierId: 'supervisor-x', collectedMinor: 10_000 }],
    });
    const outstanding = report.json.outstanding as Json[];
    expect(outstanding.reduce((s, d) => s + Number(d.dueMinor), 0)).toBe(3 * 90_000 - 10_000);
  });
});
