/**
 * Billing over REST: bills (read, lines, discounts, issue, invoice PDF),
 * payments (with a required Idempotency-Key) and receipts, refunds under the
 * two-person rule, credit notes, the price catalogue, the tenant's billing
 * settings and the daily report. Each route has its own entry and its request
 * schemas at module level.
 */
import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { API_PREFIX } from '../api-prefix.js';
import type { Backends } from '../backends.js';
import {
  billingSettingsJson,
  billJson,
  catalogueItemJson,
  creditNoteJson,
  dailyReportJson,
  paymentJson,
  refundJson,
} from '../json.js';
import { noteRead } from '../access-log.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { calendarDate, cursor, limit, parseInput, uuid } from './validation.js';

const noQuery = z.object({}).strict();
const STATUSES = ['open', 'partially_paid', 'paid', 'void', 'overdue'] as const;
const METHODS = ['cash', 'card', 'upi', 'insurance', 'wallet'] as const;
const REFUND_STATUSES = ['requested', 'approved', 'rejected', 'completed'] as const;
const CATALOGUE_KINDS = ['procedure', 'lab_test', 'pharmacy', 'package'] as const;

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });
/** Money in integer minor units: the rule is named in the message. */
const minorUnits = (options: { positive: boolean }) =>
  z
    .number({ error: 'invalid-amount: must be a whole number of minor units' })
    .int({ error: 'invalid-amount: must be a whole number of minor units (no fractions)' })
    .refine((n) => Number.isSafeInteger(n) && (options.positive ? n > 0 : n >= 0), {
      error: `invalid-amount: must be ${options.positive ? 'positive' : 'zero or more'}`,
    });
const currency = z.string({ error: 'must be an ISO 4217 code, e.g. INR' }).regex(/^[A-Z]{3}$/, {
  error: 'must be an ISO 4217 code, e.g. INR',
});
const reason = z.string({ error: 'required' }).trim().min(1, { error: 'required' }).max(500);
const reference = z.string({ error: 'must be a string' }).max(200).optional();

export const listBillsRequest = {
  query: z
    .object({
      appointmentId: uuid.optional(),
      patientId: uuid.optional(),
      status: oneOf(STATUSES).optional(),
      limit,
      cursor,
    })
    .strict(),
};
export const billIdRequest = { params: z.object({ id: uuid }), query: noQuery };
export const addItemRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z
    .object({
      catalogueCode: z.string({ error: 'required' }).min(1).max(40),
      quantity: z.number({ error: 'must be a whole number' }).int().min(1).max(10_000).optional(),
    })
    .strict(),
};
export const removeItemRequest = { params: z.object({ id: uuid, itemId: uuid }), query: noQuery };
export const discountRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z
    .object({
      itemId: uuid.optional(),
      percentBp: z.number({ error: 'must be 1 to 10000 basis points' }).int().min(1).max(10_000).optional(),
      amountMinor: minorUnits({ positive: true }).optional(),
      currency: currency.optional(),
      reason,
    })
    .strict()
    .refine((b) => (b.percentBp === undefined) !== (b.amountMinor === undefined), {
      error: 'give either percentBp or amountMinor',
      path: ['percentBp'],
    }),
};
const idempotencyKey = z
  .string({ error: 'required: a payment is recorded once per key' })
  .regex(/^[\x21-\x7e]{1,200}$/, { error: 'must be 1 to 200 visible ASCII characters' });
export const paymentRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z.object({ method: oneOf(METHODS), amountMinor: minorUnits({ positive: true }), currency, reference }).strict(),
  headers: z.object({ 'idempotency-key': idempotencyKey }),
};
export const paymentIdRequest = { params: z.object({ id: uuid }), query: noQuery };
export const refundRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z.object({ amountMinor: minorUnits({ positive: true }), currency, reason }).strict(),
};
export const refundIdRequest = { params: z.object({ id: uuid }), query: noQuery };
export const rejectRefundRequest = { ...refundIdRequest, body: z.object({ reason }).strict() };
export const completeRefundRequest = {
  ...refundIdRequest,
  body: z.object({ method: oneOf(METHODS), reference }).strict(),
};
export const listRefundsRequest = {
  query: z.object({ status: oneOf(REFUND_STATUSES).optional(), billId: uuid.optional(), limit, cursor }).strict(),
};
export const creditNoteRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z.object({ amountMinor: minorUnits({ positive: true }), currency, reason }).strict(),
};
export const catalogueItemRequest = {
  params: z.object({
    code: z.string().regex(/^[A-Z0-9][A-Z0-9._-]{0,39}$/, { error: 'must be 1-40 of A-Z, 0-9, . _ -' }),
  }),
  query: noQuery,
  body: z
    .object({
      kind: oneOf(CATALOGUE_KINDS),
      name: z.string({ error: 'required' }).trim().min(1).max(200),
      priceMinor: minorUnits({ positive: false }),
      currency,
      taxRateBp: z.number({ error: 'must be 0 to 10000 basis points' }).int().min(0).max(10_000),
      active: z.boolean().optional(),
    })
    .strict(),
};
export const listCatalogueRequest = {
  query: z.object({ limit, cursor, includeInactive: z.enum(['true', 'false']).optional() }).strict(),
};
export const settingsRequest = {
  query: noQuery,
  body: z
    .object({
      invoiceFormat: z.string().max(40),
      creditNoteFormat: z.string().max(40),
      receiptFormat: z.string().max(40),
      fiscalYearStartMonth: z.number().int().min(1).max(12),
      timeZone: z.string().min(1).max(64),
      paymentTermsDays: z.number().int().min(0).max(365),
      lateCancellationMinutes: z.number().int().min(0).max(10_080),
      noShowPolicy: oneOf(['charge', 'late_cancellation'] as const),
    })
    .strict(),
};
export const dailyReportRequest = { query: z.object({ date: calendarDate }).strict() };

const upper = <T extends string>(value: T) => value.toUpperCase() as Uppercase<T>;

function sendPdf(res: Response, reply: { pdf: Buffer; fileName: string }): void {
  res.type('application/pdf');
  res.setHeader('content-disposition', `inline; filename="${reply.fileName}"`);
  res.send(reply.pdf);
}

/** The tenant's name for printed documents, as authentication found it. */
const issuerOf = (res: Response) => String((res.locals.tenant as { name?: string } | undefined)?.name ?? '');

export function billRoutes(backends: Backends, guards: RequestHandler[]): Router {
  const router = Router();
  const billing = backends.billing.call;

  router
    .route(`${API_PREFIX}/bills`)
    .all(...guards)
    .get(requires('bills.read'), async (req, res) => {
      const { query: q } = parseInput(req, listBillsRequest);
      const page = await billing.listBills({
        appointmentId: q.appointmentId ?? '',
        patientId: q.patientId ?? '',
        status: q.status ? `BILL_STATUS_${upper(q.status)}` : 'BILL_STATUS_UNSPECIFIED',
        pageSize: q.limit ?? 0,
        cursor: q.cursor ?? '',
      });
      const bills = page.bills.map(billJson);
      res.json({ data: bills, nextCursor: page.nextCursor || null });
      for (const bill of bills)
        noteRead(req, { entityType: 'bill', entityId: bill.id ?? '', patientId: bill.patientId ?? '' });
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/bills/:id`)
    .all(...guards)
    .get(requires('bills.read'), async (req, res) => {
      const { params } = parseInput(req, billIdRequest);
      const { bill } = await billing.getBill({ id: params.id });
      const json = billJson(bill!);
      res.json({ bill: json });
      noteRead(req, { entityType: 'bill', entityId: json.id ?? '', patientId: json.patientId ?? '' });
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/bills/:id/items`)
    .all(...guards)
    .post(requires('bills.write'), async (req, res) => {
      const { params, body } = parseInput(req, addItemRequest);
      const reply = await billing.addBillItem({
        billId: params.id,
        catalogueCode: body.catalogueCode,
        quantity: body.quantity ?? 1,
      });
      res.status(201).json({ bill: billJson(reply.bill!), itemId: reply.itemId });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/bills/:id/items/:itemId`)
    .all(...guards)
    .delete(requires('bills.write'), async (req, res) => {
      const { params } = parseInput(req, removeItemRequest);
      const { bill } = await billing.removeBillItem({ billId: params.id, itemId: params.itemId });
      res.json({ bill: billJson(bill!) });
    })
    .all(methodNotAllowed('DELETE'));

  router
    .route(`${API_PREFIX}/bills/:id/discounts`)
    .all(...guards)
    .post(requires('bills.write'), async (req, res) => {
      const { params, body } = parseInput(req, discountRequest);
      const { bill } = await billing.applyDiscount({
        billId: params.id,
        itemId: body.itemId ?? '',
        kind: body.percentBp !== undefined ? 'DISCOUNT_KIND_PERCENT' : 'DISCOUNT_KIND_AMOUNT',
        value: body.percentBp ?? body.amountMinor ?? 0,
        currency: body.currency ?? '',
        reason: body.reason,
      });
      res.json({ bill: billJson(bill!) });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/bills/:id/issue`)
    .all(...guards)
    .post(requires('bills.write'), async (req, res) => {
      const { params } = parseInput(req, billIdRequest);
      const { bill } = await billing.issueBill({ billId: params.id });
      res.json({ bill: billJson(bill!) });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/bills/:id/invoice.pdf`)
    .all(...guards)
    .get(requires('bills.read'), async (req, res) => {
      const { params } = parseInput(req, billIdRequest);
      sendPdf(res, await billing.renderInvoice({ billId: params.id, issuerName: issuerOf(res) }));
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/bills/:id/payments`)
    .all(...guards)
    .post(requires('payments.record'), async (req, res) => {
      const { params, body, headers } = parseInput(req, paymentRequest);
      const reply = await billing.recordPayment({
        billId: params.id,
        method: `PAYMENT_METHOD_${upper(body.method)}`,
        amountMinor: body.amountMinor,
        currency: body.currency,
        reference: body.reference ?? '',
        idempotencyKey: headers['idempotency-key'],
      });
      const payment = paymentJson(reply.payment!);
      res.location(`${API_PREFIX}/payments/${payment.id}`);
      if (reply.replayed) res.setHeader('idempotency-replayed', 'true');
      res.status(reply.replayed ? 200 : 201).json({ payment, bill: billJson(reply.bill!) });
    })
    .get(requires('bills.read'), async (req, res) => {
      const { params } = parseInput(req, billIdRequest);
      const { payments } = await billing.listPayments({ billId: params.id });
      res.json({ data: payments.map(paymentJson) });
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route(`${API_PREFIX}/payments/:id/receipt.pdf`)
    .all(...guards)
    .get(requires('bills.read'), async (req, res) => {
      const { params } = parseInput(req, paymentIdRequest);
      sendPdf(res, await billing.renderReceipt({ paymentId: params.id, issuerName: issuerOf(res) }));
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/bills/:id/refunds`)
    .all(...guards)
    .post(requires('refunds.request'), async (req, res) => {
      const { params, body } = parseInput(req, refundRequest);
      const { refund } = await billing.requestRefund({ billId: params.id, ...body });
      res.location(`${API_PREFIX}/refunds/${refund!.id}`);
      res.status(201).json({ refund: refundJson(refund!) });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/refunds`)
    .all(...guards)
    .get(requires('bills.read'), async (req, res) => {
      const { query: q } = parseInput(req, listRefundsRequest);
      const page = await billing.listRefunds({
        status: q.status ? `REFUND_STATUS_${upper(q.status)}` : 'REFUND_STATUS_UNSPECIFIED',
        billId: q.billId ?? '',
        pageSize: q.limit ?? 0,
        cursor: q.cursor ?? '',
      });
      res.json({ data: page.refunds.map(refundJson), nextCursor: page.nextCursor || null });
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/refunds/:id/approve`)
    .all(...guards)
    .post(requires('refunds.approve'), async (req, res) => {
      const { params } = parseInput(req, refundIdRequest);
      const { refund } = await billing.approveRefund({ refundId: params.id });
      res.json({ refund: refundJson(refund!) });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/refunds/:id/reject`)
    .all(...guards)
    .post(requires('refunds.approve'), async (req, res) => {
      const { params, body } = parseInput(req, rejectRefundRequest);
      const { refund } = await billing.rejectRefund({ refundId: params.id, reason: body.reason });
      res.json({ refund: refundJson(refund!) });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/refunds/:id/complete`)
    .all(...guards)
    .post(requires('payments.record'), async (req, res) => {
      const { params, body } = parseInput(req, completeRefundRequest);
      const { refund } = await billing.completeRefund({
        refundId: params.id,
        method: `PAYMENT_METHOD_${upper(body.method)}`,
        reference: body.reference ?? '',
      });
      res.json({ refund: refundJson(refund!) });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/bills/:id/credit-notes`)
    .all(...guards)
    .post(requires('bills.write'), async (req, res) => {
      const { params, body } = parseInput(req, creditNoteRequest);
      const reply = await billing.issueCreditNote({ billId: params.id, ...body });
      res.status(201).json({ creditNote: creditNoteJson(reply.creditNote!), bill: billJson(reply.bill!) });
    })
    .get(requires('bills.read'), async (req, res) => {
      const { params } = parseInput(req, billIdRequest);
      const { creditNotes } = await billing.listCreditNotes({ billId: params.id });
      res.json({ data: creditNotes.map(creditNoteJson) });
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route(`${API_PREFIX}/billing/catalogue`)
    .all(...guards)
    .get(requires('bills.read'), async (req, res) => {
      const { query: q } = parseInput(req, listCatalogueRequest);
      const page = await billing.listCatalogueItems({
        pageSize: q.limit ?? 0,
        cursor: q.cursor ?? '',
        includeInactive: q.includeInactive === 'true',
      });
      res.json({ data: page.items.map(catalogueItemJson), nextCursor: page.nextCursor || null });
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/billing/catalogue/:code`)
    .all(...guards)
    .put(requires('billing.configure'), async (req, res) => {
      const { params, body } = parseInput(req, catalogueItemRequest);
      const { item } = await billing.putCatalogueItem({
        code: params.code,
        kind: `BILL_ITEM_KIND_${upper(body.kind)}`,
        name: body.name,
        priceMinor: body.priceMinor,
        currency: body.currency,
        taxRateBp: body.taxRateBp,
        active: body.active ?? true,
      });
      res.json({ item: catalogueItemJson(item!) });
    })
    .all(methodNotAllowed('PUT'));

  router
    .route(`${API_PREFIX}/billing/settings`)
    .all(...guards)
    .get(requires('bills.read'), async (_req, res) => {
      const { settings } = await billing.getBillingSettings({});
      res.json({ settings: billingSettingsJson(settings!) });
    })
    .put(requires('billing.configure'), async (req, res) => {
      const { body } = parseInput(req, settingsRequest);
      const { settings } = await billing.updateBillingSettings({
        settings: { ...body, noShowPolicy: `NO_SHOW_POLICY_${upper(body.noShowPolicy)}` },
      });
      res.json({ settings: billingSettingsJson(settings!) });
    })
    .all(methodNotAllowed('GET, PUT'));

  router
    .route(`${API_PREFIX}/billing/reports/daily`)
    .all(...guards)
    .get(requires('billing.reports.read'), async (req, res) => {
      const { query } = parseInput(req, dailyReportRequest);
      res.json(dailyReportJson(await billing.getDailyReport({ date: query.date })));
    })
    .all(methodNotAllowed('GET'));

  return router;
}
