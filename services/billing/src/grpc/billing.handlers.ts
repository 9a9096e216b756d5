/** gRPC BillingService: translates proto messages to use-case calls and back. */
import {
  decodeCursor,
  FailedPreconditionError,
  encodeCursor,
  idCursor,
  pageSizeOf,
  parseRequest,
  requestFingerprint,
  type MethodPermissions,
  type UnaryImplementation,
} from '@hms/platform';
import { toTimestamp, type Bill as BillMessage, type BillingServiceHandlers } from '@hms/proto';
import { z } from 'zod';
import { dailyReport, getBill, getPayment, listBills, listRefunds } from '../domain/bill-queries.js';
import { putCatalogueItem } from '../domain/catalogue.js';
import { issueCreditNote } from '../domain/credit-notes.js';
import { addItem, applyDiscount, removeItem, type BillingDeps } from '../domain/edit-bill.js';
import { issueBill } from '../domain/issue-bill.js';
import { recordPayment } from '../domain/record-payment.js';
import { approveRefund, completeRefund, rejectRefund, requestRefund } from '../domain/refunds.js';
import { updateSettings } from '../domain/settings.js';
import type { Bill, BillingSettings, CatalogueItem, CreditNote, Discount, Payment, Refund } from '../domain/types.js';
import { invoicePdf, receiptPdf } from '../documents/pdf.js';
import { actorOf } from './actor.js';

const uuid = z.uuid().transform((id) => id.toLowerCase());
/** Proto3 sends an unset string as ''; for a filter that means "any". */
const optionalUuid = z.union([z.literal('').transform(() => undefined), uuid]);
const text = (max: number) => z.string().max(max);
/** A proto enum name without its prefix: BILL_STATUS_OVERDUE -> OVERDUE; UNSPECIFIED -> undefined. */
const enumOf = <T extends string>(prefix: string, values: readonly T[]) =>
  z.string().transform((value, ctx) => {
    const name = value.startsWith(prefix) ? value.slice(prefix.length) : value;
    if (name === 'UNSPECIFIED' || name === '' || value === '0') return undefined;
    if (!(values as readonly string[]).includes(name)) {
      ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}` });
      return z.NEVER;
    }
    return name as T;
  });
const BILL_STATUSES = ['OPEN', 'PARTIALLY_PAID', 'PAID', 'VOID', 'OVERDUE'] as const;
const METHODS = ['CASH', 'CARD', 'UPI', 'INSURANCE', 'WALLET'] as const;
const REFUND_STATUSES = ['REQUESTED', 'APPROVED', 'REJECTED', 'COMPLETED'] as const;
const CATALOGUE_KINDS = ['PROCEDURE', 'LAB_TEST', 'PHARMACY', 'PACKAGE'] as const;
const required = <T>(schema: z.ZodType<T | undefined>, message = 'required') =>
  schema.refine((v) => v !== undefined, { message }) as z.ZodType<T>;

const listRequest = z.object({
  appointmentId: optionalUuid,
  patientId: optionalUuid,
  status: enumOf('BILL_STATUS_', BILL_STATUSES),
  pageSize: z.number().int(),
  cursor: z.string(),
});
const addItemRequest = z.object({
  billId: uuid,
  catalogueCode: text(40).min(1),
  quantity: z.number().int(),
});
const removeItemRequest = z.object({ billId: uuid, itemId: uuid });
const discountRequest = z.object({
  billId: uuid,
  itemId: optionalUuid,
  kind: required(enumOf('DISCOUNT_KIND_', ['PERCENT', 'AMOUNT'] as const)),
  value: z.number(),
  currency: text(3),
  reason: text(500),
});
const billIdRequest = z.object({ billId: uuid });
const renderRequest = z.object({ billId: uuid, issuerName: text(200) });
const paymentRequest = z.object({
  billId: uuid,
  method: required(enumOf('PAYMENT_METHOD_', METHODS)),
  amountMinor: z.number(),
  currency: text(3),
  reference: text(200),
  idempotencyKey: z.string().regex(/^[\x21-\x7e]{1,200}$/, { message: 'required: 1 to 200 visible ASCII characters' }),
});
const refundRequest = z.object({ billId: uuid, amountMinor: z.number(), currency: text(3), reason: text(500) });
const refundIdRequest = z.object({ refundId: uuid });
const rejectRequest = z.object({ refundId: uuid, reason: text(500) });
const completeRequest = z.object({
  refundId: uuid,
  method: required(enumOf('PAYMENT_METHOD_', METHODS)),
  reference: text(200),
});
const listRefundsRequest = z.object({
  status: enumOf('REFUND_STATUS_', REFUND_STATUSES),
  billId: optionalUuid,
  pageSize: z.number().int(),
  cursor: z.string(),
});
const creditNoteRequest = z.object({ billId: uuid, amountMinor: z.number(), currency: text(3), reason: text(500) });
const catalogueRequest = z.object({
  code: text(40),
  kind: required(enumOf('BILL_ITEM_KIND_', CATALOGUE_KINDS)),
  name: text(200),
  priceMinor: z.number(),
  currency: text(3),
  taxRateBp: z.number(),
  active: z.boolean(),
});
const codeCursor = z.object({ code: z.string().max(40) });
const listCatalogueRequest = z.object({ pageSize: z.number().int(), cursor: z.string(), includeInactive: z.boolean() });
const settingsRequest = z.object({
  settings: z.object({
    invoiceFormat: text(40),
    creditNoteFormat: text(40),
    receiptFormat: text(40),
    fiscalYearStartMonth: z.number().int(),
    timeZone: text(64),
    paymentTermsDays: z.number().int(),
    lateCancellationMinutes: z.number().int(),
    noShowPolicy: required(enumOf('NO_SHOW_POLICY_', ['CHARGE', 'LATE_CANCELLATION'] as const)),
  }),
});
const reportRequest = z.object({ date: z.string().max(10) });

/**
 * What a caller must be allowed to do for each method (checked before the handler runs),
 * as the gateway's routes declare them; the rules inside (discounts, credit notes, approving
 * someone else's refund) check their own permissions in the use cases.
 */
export const billingPermissions = {
  GetBill: 'bills.read',
  ListBills: 'bills.read',
  AddBillItem: 'bills.write',
  RemoveBillItem: 'bills.write',
  ApplyDiscount: 'bills.write',
  IssueBill: 'bills.write',
  RenderInvoice: 'bills.read',
  RecordPayment: 'payments.record',
  ListPayments: 'bills.read',
  RenderReceipt: 'bills.read',
  RequestRefund: 'refunds.request',
  ApproveRefund: 'refunds.approve',
  RejectRefund: 'refunds.approve',
  CompleteRefund: 'payments.record',
  ListRefunds: 'bills.read',
  IssueCreditNote: 'bills.write',
  ListCreditNotes: 'bills.read',
  PutCatalogueItem: 'billing.configure',
  ListCatalogueItems: 'bills.read',
  GetBillingSettings: 'bills.read',
  UpdateBillingSettings: 'billing.configure',
  GetDailyReport: 'billing.reports.read',
} satisfies MethodPermissions<BillingServiceHandlers>;

export function billingHandlers(deps: BillingDeps): UnaryImplementation<BillingServiceHandlers> {
  const { store } = deps;
  return {
    async GetBill(request, ctx) {
      const billId = parseRequest(uuid, request.id, 'id');
      return { bill: billMessage(await getBill(store, { tenantId: ctx.tenantId, billId })) };
    },
    async ListBills(request, ctx) {
      const input = parseRequest(listRequest, request);
      const limit = pageSizeOf(input.pageSize);
      const { bills, more } = await listBills(store, {
        tenantId: ctx.tenantId,
        filter: { appointmentId: input.appointmentId, patientId: input.patientId, status: input.status },
        limit,
        afterId: input.cursor ? decodeCursor(idCursor, input.cursor).id : undefined,
      });
      return { bills: bills.map(billMessage), nextCursor: more ? encodeCursor({ id: bills.at(-1)!.id }) : '' };
    },
    async AddBillItem(request, ctx) {
      const input = parseRequest(addItemRequest, request);
      const { bill, itemId } = await addItem(deps, { tenantId: ctx.tenantId, ...input, actor: actorOf(ctx) });
      return { bill: billMessage(bill), itemId };
    },
    async RemoveBillItem(request, ctx) {
      const input = parseRequest(removeItemRequest, request);
      return { bill: billMessage(await removeItem(deps, { tenantId: ctx.tenantId, ...input, actor: actorOf(ctx) })) };
    },
    async ApplyDiscount(request, ctx) {
      const input = parseRequest(discountRequest, request);
      const bill = await applyDiscount(deps, {
        tenantId: ctx.tenantId,
        ...input,
        currency: input.currency || undefined,
        actor: actorOf(ctx),
      });
      return { bill: billMessage(bill) };
    },
    async IssueBill(request, ctx) {
      const { billId } = parseRequest(billIdRequest, request);
      return { bill: billMessage(await issueBill(deps, { tenantId: ctx.tenantId, billId, actor: actorOf(ctx) })) };
    },
    async RenderInvoice(request, ctx) {
      const { billId, issuerName } = parseRequest(renderRequest, request);
      const bill = await getBill(store, { tenantId: ctx.tenantId, billId });
      if (!bill.issue) {
        throw new FailedPreconditionError('bill-not-issued: an invoice exists once the bill is issued', [
          { field: 'billId', message: 'bill-not-issued: issue the bill first' },
        ]);
      }
      const [payments, creditNotes] = await Promise.all([
        store.payments(ctx.tenantId, billId),
        store.creditNotes(ctx.tenantId, billId),
      ]);
      const pdf = await invoicePdf({ bill, issuerName, payments, creditNotes });
      return { pdf, fileName: `${bill.issue.invoiceNumber.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf` };
    },
    async RecordPayment(request, ctx) {
      const input = parseRequest(paymentRequest, request);
      const { idempotencyKey, ...payment } = input;
      const result = await recordPayment(deps, {
        tenantId: ctx.tenantId,
        ...payment,
        idempotency: { operation: 'RecordPayment', key: idempotencyKey, fingerprint: requestFingerprint(payment) },
        actor: actorOf(ctx),
      });
      return { payment: paymentMessage(result.payment), bill: billMessage(result.bill), replayed: result.replayed };
    },
    async ListPayments(request, ctx) {
      const { billId } = parseRequest(billIdRequest, request);
      await getBill(store, { tenantId: ctx.tenantId, billId });
      return { payments: (await store.payments(ctx.tenantId, billId)).map(paymentMessage) };
    },
    async RenderReceipt(request, ctx) {
      const { paymentId, issuerName } = parseRequest(z.object({ paymentId: uuid, issuerName: text(200) }), request);
      const payment = await getPayment(store, { tenantId: ctx.tenantId, paymentId });
      const bill = await getBill(store, { tenantId: ctx.tenantId, billId: payment.billId });
      const pdf = await receiptPdf({ payment, bill, issuerName });
      return { pdf, fileName: `${payment.receiptNumber.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf` };
    },
    async RequestRefund(request, ctx) {
      const input = parseRequest(refundRequest, request);
      return {
        refund: refundMessage(await requestRefund(deps, { tenantId: ctx.tenantId, ...input, actor: actorOf(ctx) })),
      };
    },
    async ApproveRefund(request, ctx) {
      const { refundId } = parseRequest(refundIdRequest, request);
      return {
        refund: refundMessage(await approveRefund(deps, { tenantId: ctx.tenantId, refundId, actor: actorOf(ctx) })),
      };
    },
    async RejectRefund(request, ctx) {
      const input = parseRequest(rejectRequest, request);
      return {
        refund: refundMessage(await rejectRefund(deps, { tenantId: ctx.tenantId, ...input, actor: actorOf(ctx) })),
      };
    },
    async CompleteRefund(request, ctx) {
      const input = parseRequest(completeRequest, request);
      return {
        refund: refundMessage(await completeRefund(deps, { tenantId: ctx.tenantId, ...input, actor: actorOf(ctx) })),
      };
    },
    async ListRefunds(request, ctx) {
      const input = parseRequest(listRefundsRequest, request);
      const limit = pageSizeOf(input.pageSize);
      const { refunds, more } = await listRefunds(store, {
        tenantId: ctx.tenantId,
        filter: { status: input.status, billId: input.billId },
        limit,
        afterId: input.cursor ? decodeCursor(idCursor, input.cursor).id : undefined,
      });
      return {
        refunds: refunds.map(refundMessage),
        nextCursor: more ? encodeCursor({ id: refunds.at(-1)!.id }) : '',
      };
    },
    async IssueCreditNote(request, ctx) {
      const input = parseRequest(creditNoteRequest, request);
      const { creditNote, bill } = await issueCreditNote(deps, {
        tenantId: ctx.tenantId,
        ...input,
        actor: actorOf(ctx),
      });
      return { creditNote: creditNoteMessage(creditNote, bill), bill: billMessage(bill) };
    },
    async ListCreditNotes(request, ctx) {
      const { billId } = parseRequest(billIdRequest, request);
      const bill = await getBill(store, { tenantId: ctx.tenantId, billId });
      return { creditNotes: (await store.creditNotes(ctx.tenantId, billId)).map((n) => creditNoteMessage(n, bill)) };
    },
    async PutCatalogueItem(request, ctx) {
      const input = parseRequest(catalogueRequest, request);
      const item = await putCatalogueItem(deps, { tenantId: ctx.tenantId, ...input, actor: actorOf(ctx) });
      return { item: catalogueMessage(item) };
    },
    async ListCatalogueItems(request, ctx) {
      const input = parseRequest(listCatalogueRequest, request);
      const limit = pageSizeOf(input.pageSize);
      const after = input.cursor ? decodeCursor(codeCursor, input.cursor).code : undefined;
      const page = await store.catalogue(ctx.tenantId, limit + 1, after, input.includeInactive);
      const items = page.slice(0, limit);
      return {
        items: items.map(catalogueMessage),
        nextCursor: page.length > limit ? encodeCursor({ code: items.at(-1)!.code }) : '',
      };
    },
    async GetBillingSettings(_request, ctx) {
      return { settings: settingsMessage(await store.settings(ctx.tenantId)) };
    },
    async UpdateBillingSettings(request, ctx) {
      const { settings } = parseRequest(settingsRequest, request);
      const saved = await updateSettings(deps, {
        tenantId: ctx.tenantId,
        settings: settings as BillingSettings,
        actor: actorOf(ctx),
      });
      return { settings: settingsMessage(saved) };
    },
    async GetDailyReport(request, ctx) {
      const { date } = parseRequest(reportRequest, request);
      return dailyReport(store, { tenantId: ctx.tenantId, date });
    },
  };
}

function discountMessage(d: Discount | undefined) {
  return d
    ? { kind: `DISCOUNT_KIND_${d.kind}` as const, value: d.value, reason: d.reason, appliedBy: d.appliedBy }
    : null;
}

const ts = (d: Date | undefined) => (d ? toTimestamp(d) : null);

export function billMessage(b: Bill): BillMessage {
  return {
    id: b.id,
    appointmentId: b.appointmentId,
    patientId: b.patientId,
    departmentId: b.departmentId,
    status: `BILL_STATUS_${b.status}`,
    currency: b.currency,
    subtotalMinor: b.subtotalMinor,
    discountMinor: b.discountMinor,
    taxMinor: b.taxMinor,
    totalMinor: b.totalMinor,
    paidMinor: b.paidMinor,
    refundedMinor: b.refundedMinor,
    refundReservedMinor: b.refundReservedMinor,
    creditedMinor: b.creditedMinor,
    dueMinor: b.dueMinor,
    discount: discountMessage(b.discount),
    invoiceNumber: b.issue?.invoiceNumber ?? '',
    issuedAt: ts(b.issue?.issuedAt),
    issuedBy: b.issue?.issuedBy ?? '',
    dueAt: ts(b.issue?.dueAt),
    voidedAt: ts(b.voided?.at),
    voidReason: b.voided?.reason ?? '',
    items: b.items.map((item) => ({
      id: item.id,
      kind: `BILL_ITEM_KIND_${item.kind}`,
      description: item.description,
      quantity: item.quantity,
      unitPriceMinor: item.unitPriceMinor,
      grossMinor: item.grossMinor,
      lineDiscountMinor: item.lineDiscountMinor,
      billDiscountMinor: item.billDiscountMinor,
      taxRateBp: item.taxRateBp,
      taxMinor: item.taxMinor,
      amountMinor: item.amountMinor,
      catalogueCode: item.catalogue?.code ?? '',
      catalogueVersion: item.catalogue?.version ?? 0,
      discount: discountMessage(item.discount),
    })),
    createdAt: toTimestamp(b.createdAt),
    traceId: b.traceId,
  };
}

function paymentMessage(p: Payment) {
  return {
    id: p.id,
    billId: p.billId,
    method: `PAYMENT_METHOD_${p.method}` as const,
    amountMinor: p.amountMinor,
    currency: p.currency,
    reference: p.reference,
    receiptNumber: p.receiptNumber,
    receivedBy: p.receivedBy,
    receivedAt: toTimestamp(p.receivedAt),
  };
}

function refundMessage(r: Refund) {
  return {
    id: r.id,
    billId: r.billId,
    amountMinor: r.amountMinor,
    currency: r.currency,
    status: `REFUND_STATUS_${r.status}` as const,
    reason: r.reason,
    requestedBy: r.requestedBy,
    requestedAt: toTimestamp(r.requestedAt),
    decidedBy: r.decidedBy ?? '',
    decidedAt: ts(r.decidedAt),
    rejectionReason: r.rejectionReason ?? '',
    completedBy: r.completedBy ?? '',
    completedAt: ts(r.completedAt),
    method: r.method ? (`PAYMENT_METHOD_${r.method}` as const) : ('PAYMENT_METHOD_UNSPECIFIED' as const),
    reference: r.reference ?? '',
  };
}

function creditNoteMessage(n: CreditNote, bill: Bill) {
  return {
    id: n.id,
    billId: n.billId,
    number: n.number,
    amountMinor: n.amountMinor,
    currency: n.currency,
    reason: n.reason,
    issuedBy: n.issuedBy,
    issuedAt: toTimestamp(n.issuedAt),
    invoiceNumber: bill.issue?.invoiceNumber ?? '',
  };
}

function catalogueMessage(c: CatalogueItem) {
  return {
    id: c.id,
    code: c.code,
    version: c.version,
    kind: `BILL_ITEM_KIND_${c.kind}` as const,
    name: c.name,
    priceMinor: c.priceMinor,
    currency: c.currency,
    taxRateBp: c.taxRateBp,
    active: c.active,
    createdAt: toTimestamp(c.createdAt),
    createdBy: c.createdBy,
  };
}

function settingsMessage(s: BillingSettings) {
  return { ...s, noShowPolicy: `NO_SHOW_POLICY_${s.noShowPolicy}` as const };
}
