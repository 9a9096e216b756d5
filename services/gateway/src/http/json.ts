/**
 * Proto messages as the REST API's JSON: camelCase fields, ISO-8601 UTC times,
 * money as integer minor units beside its currency, enum values lower_snake
 * without their proto prefix. One mapping per resource.
 */
import {
  fromTimestamp,
  type Appointment,
  type AuditRecord,
  type Bill,
  type BillingSettings,
  type CatalogueItem,
  type CreditNote,
  type DailyReport,
  type Payment,
  type Refund,
  type GetQueueResponse__Output,
  type QueueEntry__Output,
  type Timestamp__Output,
  type VerifyTrailResult,
} from '@hms/proto';
import { entryJson, pauseJson } from '../live/queue-json.js';

function iso(ts: Timestamp__Output | null | undefined): string | null {
  return fromTimestamp(ts)?.toISOString() ?? null;
}

/** APPOINTMENT_STATUS_CHECKED_IN -> checked_in */
function enumValue(value: string | undefined, prefix: string): string {
  return (value ?? '').replace(prefix, '').toLowerCase();
}

export function appointmentJson(a: Appointment) {
  return {
    id: a.id,
    patientId: a.patientId,
    doctorId: a.doctorId,
    departmentId: a.departmentId,
    startsAt: iso(a.startsAt as Timestamp__Output),
    endsAt: iso(a.endsAt as Timestamp__Output),
    serviceDate: a.serviceDate,
    status: enumValue(a.status as string, 'APPOINTMENT_STATUS_'),
    reason: a.reason,
    consultationFeeMinor: Number(a.consultationFeeMinor),
    hospitalFeeMinor: Number(a.hospitalFeeMinor),
    currency: a.currency,
    createdAt: iso(a.createdAt as Timestamp__Output),
    checkedInAt: iso(a.checkedInAt as Timestamp__Output),
    mode: enumValue(a.mode as string, 'CONSULTATION_MODE_'),
    statusReason: a.statusReason,
    cancelledBy: enumValue(a.cancelledBy as string, 'CANCELLED_BY_') || null,
    cancelledAt: iso(a.cancelledAt as Timestamp__Output),
    consultationStartedAt: iso(a.consultationStartedAt as Timestamp__Output),
    completedAt: iso(a.completedAt as Timestamp__Output),
    traceId: a.traceId,
  };
}

type Message<T> = { [K in keyof T]?: T[K] | null };

function discountJson(
  d: Message<{ kind: string; value: number; reason: string; appliedBy: string }> | null | undefined,
) {
  if (!d) return null;
  return {
    kind: enumValue(d.kind ?? undefined, 'DISCOUNT_KIND_'),
    value: Number(d.value),
    reason: d.reason,
    appliedBy: d.appliedBy,
  };
}

export function billJson(b: Bill) {
  return {
    id: b.id,
    appointmentId: b.appointmentId,
    patientId: b.patientId,
    departmentId: b.departmentId,
    status: enumValue(b.status as string, 'BILL_STATUS_'),
    currency: b.currency,
    subtotalMinor: Number(b.subtotalMinor),
    discountMinor: Number(b.discountMinor),
    taxMinor: Number(b.taxMinor),
    totalMinor: Number(b.totalMinor),
    paidMinor: Number(b.paidMinor),
    refundedMinor: Number(b.refundedMinor),
    refundReservedMinor: Number(b.refundReservedMinor),
    creditedMinor: Number(b.creditedMinor),
    dueMinor: Number(b.dueMinor),
    discount: discountJson(b.discount as Parameters<typeof discountJson>[0]),
    invoiceNumber: b.invoiceNumber || null,
    issuedAt: iso(b.issuedAt as Timestamp__Output),
    issuedBy: b.issuedBy || null,
    dueAt: iso(b.dueAt as Timestamp__Output),
    voidedAt: iso(b.voidedAt as Timestamp__Output),
    voidReason: b.voidReason || null,
    items: (b.items ?? []).map((item) => ({
      id: item.id,
      kind: enumValue(item.kind as string, 'BILL_ITEM_KIND_'),
      description: item.description,
      catalogueCode: item.catalogueCode || null,
      catalogueVersion: item.catalogueVersion || null,
      quantity: item.quantity,
      unitPriceMinor: Number(item.unitPriceMinor),
      grossMinor: Number(item.grossMinor),
      lineDiscountMinor: Number(item.lineDiscountMinor),
      billDiscountMinor: Number(item.billDiscountMinor),
      taxRateBp: item.taxRateBp,
      taxMinor: Number(item.taxMinor),
      amountMinor: Number(item.amountMinor),
      discount: discountJson(item.discount as Parameters<typeof discountJson>[0]),
    })),
    createdAt: iso(b.createdAt as Timestamp__Output),
    traceId: b.traceId,
  };
}

export function paymentJson(p: Payment) {
  return {
    id: p.id,
    billId: p.billId,
    method: enumValue(p.method as string, 'PAYMENT_METHOD_'),
    amountMinor: Number(p.amountMinor),
    currency: p.currency,
    reference: p.reference || null,
    receiptNumber: p.receiptNumber,
    receivedBy: p.receivedBy,
    receivedAt: iso(p.receivedAt as Timestamp__Output),
  };
}

export function refundJson(r: Refund) {
  return {
    id: r.id,
    billId: r.billId,
    amountMinor: Number(r.amountMinor),
    currency: r.currency,
    status: enumValue(r.status as string, 'REFUND_STATUS_'),
    reason: r.reason,
    requestedBy: r.requestedBy,
    requestedAt: iso(r.requestedAt as Timestamp__Output),
    decidedBy: r.decidedBy || null,
    decidedAt: iso(r.decidedAt as Timestamp__Output),
    rejectionReason: r.rejectionReason || null,
    completedBy: r.completedBy || null,
    completedAt: iso(r.completedAt as Timestamp__Output),
    method:
      r.method && r.method !== 'PAYMENT_METHOD_UNSPECIFIED' ? enumValue(r.method as string, 'PAYMENT_METHOD_') : null,
    reference: r.reference || null,
  };
}

export function creditNoteJson(n: CreditNote) {
  return {
    id: n.id,
    billId: n.billId,
    number: n.number,
    invoiceNumber: n.invoiceNumber,
    amountMinor: Number(n.amountMinor),
    currency: n.currency,
    reason: n.reason,
    issuedBy: n.issuedBy,
    issuedAt: iso(n.issuedAt as Timestamp__Output),
  };
}

export function catalogueItemJson(c: CatalogueItem) {
  return {
    id: c.id,
    code: c.code,
    version: c.version,
    kind: enumValue(c.kind as string, 'BILL_ITEM_KIND_'),
    name: c.name,
    priceMinor: Number(c.priceMinor),
    currency: c.currency,
    taxRateBp: c.taxRateBp,
    active: c.active,
    createdBy: c.createdBy,
    createdAt: iso(c.createdAt as Timestamp__Output),
  };
}

export function billingSettingsJson(s: BillingSettings) {
  return {
    invoiceFormat: s.invoiceFormat,
    creditNoteFormat: s.creditNoteFormat,
    receiptFormat: s.receiptFormat,
    fiscalYearStartMonth: s.fiscalYearStartMonth,
    timeZone: s.timeZone,
    paymentTermsDays: s.paymentTermsDays,
    lateCancellationMinutes: s.lateCancellationMinutes,
    noShowPolicy: enumValue(s.noShowPolicy as string, 'NO_SHOW_POLICY_'),
  };
}

export function dailyReportJson(r: DailyReport) {
  const lines = (name: string, list: DailyReport['totals']) =>
    (list ?? []).map((l) => ({
      [name]: name === 'method' ? (l.key ?? '').toLowerCase() : l.key,
      currency: l.currency,
      collectedMinor: Number(l.collectedMinor),
      payments: l.payments,
      refundedMinor: Number(l.refundedMinor),
      refunds: l.refunds,
      netMinor: Number(l.collectedMinor) - Number(l.refundedMinor),
    }));
  return {
    date: r.date,
    timeZone: r.timeZone,
    byDepartment: lines('departmentId', r.byDepartment),
    byMethod: lines('method', r.byMethod),
    byCashier: lines('cashierId', r.byCashier),
    totals: lines('total', r.totals).map(({ total: _total, ...rest }) => rest),
    outstanding: (r.outstanding ?? []).map((d) => ({
      departmentId: d.departmentId,
      currency: d.currency,
      dueMinor: Number(d.dueMinor),
      bills: d.bills,
    })),
  };
}

/** A doctor's queue of one day: entries in calling order (staff view), its last change's seq and its pause. */
export function queueJson(q: GetQueueResponse__Output) {
  return {
    doctorId: q.doctorId,
    serviceDate: q.serviceDate,
    timeZone: q.timeZone,
    seq: q.seq,
    consultationSeconds: q.consultationSeconds,
    pause: pauseJson(q.pause),
    entries: q.entries.map((e: QueueEntry__Output) => entryJson(e, 'staff')),
  };
}

export function auditRecordJson(r: AuditRecord) {
  let data: unknown = null;
  try {
    data = r.dataJson ? JSON.parse(r.dataJson) : null;
  } catch {
    data = r.dataJson;
  }
  return {
    id: r.id,
    eventId: r.eventId,
    eventType: r.eventType,
    source: r.source,
    entityType: r.entityType,
    entityId: r.entityId,
    actorKind: r.actorKind,
    actorId: r.actorId,
    patientId: r.patientId || null,
    occurredAt: iso(r.occurredAt as Timestamp__Output),
    recordedAt: iso(r.recordedAt as Timestamp__Output),
    traceId: r.traceId,
    data,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

/** A trail verification: intact with the records checked, or the first break (problem as e.g. missing_record). */
export function trailVerificationJson(v: VerifyTrailResult) {
  return {
    intact: v.intact,
    checked: v.checked,
    firstSeq: v.firstSeq,
    lastSeq: v.lastSeq,
    anchoredSeq: v.anchoredSeq,
    broken: v.intact ? null : { seq: v.brokenSeq, problem: enumValue(v.problem, 'CHAIN_PROBLEM_'), reason: v.reason },
  };
}
