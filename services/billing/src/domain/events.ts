/** The events billing publishes, built from the domain. Every event of a bill shares its key. */
import { pendingEvent, type PendingEvent } from '@hms/platform/domain';
import { EVENTS, toTimestamp } from '@hms/proto';
import { totalsOf } from './pricing.js';
import type { Bill, BillItem, CreditNote, Payment, Refund } from './types.js';

/** All events of one appointment's bill share a key, so they stay in order in one partition. */
export function billKey(bill: Pick<Bill, 'tenantId' | 'appointmentId'>): string {
  return `${bill.tenantId}:${bill.appointmentId}`;
}

function about(bill: Bill) {
  return { key: billKey(bill), tenantId: bill.tenantId, subject: `bill/${bill.id}` };
}

function ids(bill: Bill) {
  return { billId: bill.id, appointmentId: bill.appointmentId, patientId: bill.patientId };
}

export function billCreated(bill: Bill): PendingEvent {
  return pendingEvent(EVENTS.billCreated, {
    ...about(bill),
    data: { ...ids(bill), currency: bill.currency, totalMinor: bill.totalMinor, departmentId: bill.departmentId },
  });
}

export function billItemAdded(bill: Bill, item: BillItem): PendingEvent {
  return pendingEvent(EVENTS.billItemAdded, {
    ...about(bill),
    data: {
      ...ids(bill),
      itemId: item.id,
      catalogueCode: item.catalogue?.code ?? '',
      catalogueVersion: item.catalogue?.version ?? 0,
      description: item.description,
      quantity: item.quantity,
      unitPriceMinor: item.unitPriceMinor,
      taxRateBp: item.taxRateBp,
      currency: bill.currency,
      totals: totalsOf(bill),
    },
  });
}

export function billItemRemoved(bill: Bill, item: BillItem): PendingEvent {
  return pendingEvent(EVENTS.billItemRemoved, {
    ...about(bill),
    data: {
      ...ids(bill),
      itemId: item.id,
      description: item.description,
      currency: bill.currency,
      totals: totalsOf(bill),
    },
  });
}

export function billDiscountApplied(bill: Bill, itemId: string | undefined): PendingEvent {
  const discount = itemId ? bill.items.find((i) => i.id === itemId)?.discount : bill.discount;
  return pendingEvent(EVENTS.billDiscountApplied, {
    ...about(bill),
    data: {
      ...ids(bill),
      itemId: itemId ?? '',
      kind: (discount?.kind ?? '').toLowerCase(),
      value: discount?.value ?? 0,
      reason: discount?.reason ?? '',
      currency: bill.currency,
      totals: totalsOf(bill),
    },
  });
}

export function billIssued(bill: Bill): PendingEvent {
  const issue = bill.issue!;
  return pendingEvent(EVENTS.billIssued, {
    ...about(bill),
    data: {
      ...ids(bill),
      invoiceNumber: issue.invoiceNumber,
      fiscalYear: issue.fiscalYear,
      issuedAt: toTimestamp(issue.issuedAt),
      dueAt: toTimestamp(issue.dueAt),
      currency: bill.currency,
      totals: totalsOf(bill),
    },
  });
}

export function paymentRecorded(bill: Bill, payment: Payment): PendingEvent {
  return pendingEvent(EVENTS.paymentRecorded, {
    ...about(bill),
    data: {
      ...ids(bill),
      paymentId: payment.id,
      method: payment.method.toLowerCase(),
      amountMinor: payment.amountMinor,
      currency: payment.currency,
      reference: payment.reference,
      receiptNumber: payment.receiptNumber,
      receivedBy: payment.receivedBy,
      receivedAt: toTimestamp(payment.receivedAt),
      totals: totalsOf(bill),
    },
  });
}

export function billPaid(bill: Bill): PendingEvent {
  return pendingEvent(EVENTS.billPaid, {
    ...about(bill),
    data: { ...ids(bill), currency: bill.currency, totals: totalsOf(bill) },
  });
}

const REFUND_EVENTS = {
  REQUESTED: EVENTS.refundRequested,
  APPROVED: EVENTS.refundApproved,
  REJECTED: EVENTS.refundRejected,
  COMPLETED: EVENTS.refundCompleted,
} as const;

/** refund.requested|approved|rejected|completed, as the refund's status says, naming both users. */
export function refundChanged(bill: Bill, refund: Refund): PendingEvent {
  return pendingEvent(REFUND_EVENTS[refund.status], {
    ...about(bill),
    data: {
      ...ids(bill),
      refundId: refund.id,
      amountMinor: refund.amountMinor,
      currency: refund.currency,
      status: refund.status.toLowerCase(),
      reason: refund.reason,
      requestedBy: refund.requestedBy,
      decidedBy: refund.decidedBy ?? '',
      rejectionReason: refund.rejectionReason ?? '',
      completedBy: refund.completedBy ?? '',
      method: refund.method?.toLowerCase() ?? '',
      reference: refund.reference ?? '',
      totals: totalsOf(bill),
    },
  });
}

export function billVoided(bill: Bill): PendingEvent {
  return pendingEvent(EVENTS.billVoided, {
    ...about(bill),
    data: {
      ...ids(bill),
      reason: bill.voided?.reason ?? '',
      invoiceNumber: bill.issue?.invoiceNumber ?? '',
      currency: bill.currency,
      totals: totalsOf(bill),
    },
  });
}

export function billOverdue(bill: Bill): PendingEvent {
  return pendingEvent(EVENTS.billOverdue, {
    ...about(bill),
    data: {
      ...ids(bill),
      invoiceNumber: bill.issue?.invoiceNumber ?? '',
      dueAt: toTimestamp(bill.issue!.dueAt),
      dueMinor: bill.dueMinor,
      currency: bill.currency,
    },
  });
}

export function creditNoteIssued(bill: Bill, note: CreditNote): PendingEvent {
  return pendingEvent(EVENTS.creditNoteIssued, {
    ...about(bill),
    data: {
      ...ids(bill),
      creditNoteId: note.id,
      number: note.number,
      invoiceNumber: bill.issue?.invoiceNumber ?? '',
      amountMinor: note.amountMinor,
      currency: note.currency,
      reason: note.reason,
      totals: totalsOf(bill),
    },
  });
}
