/** The billing domain as plain data; repositories map rows to these. Amounts are integer minor units. */

export type BillStatus = 'OPEN' | 'PARTIALLY_PAID' | 'PAID' | 'VOID' | 'OVERDUE';
export type BillItemKind =
  'CONSULTATION_FEE' | 'HOSPITAL_FEE' | 'OTHER' | 'PROCEDURE' | 'LAB_TEST' | 'PHARMACY' | 'PACKAGE';
/** What a catalogue entry can be. */
export type CatalogueKind = 'PROCEDURE' | 'LAB_TEST' | 'PHARMACY' | 'PACKAGE';
export const CATALOGUE_KINDS: readonly CatalogueKind[] = ['PROCEDURE', 'LAB_TEST', 'PHARMACY', 'PACKAGE'];
export type DiscountKind = 'PERCENT' | 'AMOUNT';
export type PaymentMethod = 'CASH' | 'CARD' | 'UPI' | 'INSURANCE' | 'WALLET';
export const PAYMENT_METHODS: readonly PaymentMethod[] = ['CASH', 'CARD', 'UPI', 'INSURANCE', 'WALLET'];
export type RefundStatus = 'REQUESTED' | 'APPROVED' | 'REJECTED' | 'COMPLETED';
export type NoShowPolicy = 'CHARGE' | 'LATE_CANCELLATION';

/** A discount as given: PERCENT in basis points (1000 = 10 %), AMOUNT in minor units; with why and by whom. */
export interface Discount {
  kind: DiscountKind;
  value: number;
  reason: string;
  appliedBy: string;
}

export interface BillItem {
  id: string;
  kind: BillItemKind;
  description: string;
  quantity: number;
  unitPriceMinor: number;
  /** quantity * unitPriceMinor */
  grossMinor: number;
  /** From this line's own discount. */
  lineDiscountMinor: number;
  /** This line's share of the bill discount. */
  billDiscountMinor: number;
  /** Basis points: 1800 = 18 %. */
  taxRateBp: number;
  /** On gross - discounts, rounded half-even, per line. */
  taxMinor: number;
  /** gross - line discount - bill discount + tax */
  amountMinor: number;
  /** The catalogue entry (version) it was priced from; absent for the booking's fees. */
  catalogue?: { itemId: string; code: string; version: number } | undefined;
  discount?: Discount | undefined;
  /** Order on the bill. */
  position: number;
}

export interface Bill {
  id: string;
  tenantId: string;
  appointmentId: string;
  patientId: string;
  departmentId: string;
  status: BillStatus;
  /** ISO 4217 code, e.g. INR. */
  currency: string;
  subtotalMinor: number;
  discountMinor: number;
  taxMinor: number;
  totalMinor: number;
  /** Every payment received. */
  paidMinor: number;
  /** Refunds completed (money returned). */
  refundedMinor: number;
  /** Refunds requested or approved, not yet completed. */
  refundReservedMinor: number;
  /** Credit notes issued against the bill. */
  creditedMinor: number;
  /** total - credited - paid + refunded; negative when the patient is owed money. */
  dueMinor: number;
  discount?: Discount | undefined;
  issue?: BillIssue | undefined;
  overdueAt?: Date | undefined;
  voided?: { at: Date; reason: string } | undefined;
  /** Trace id of the request that booked the appointment, so a bill can be followed back to it. */
  traceId: string;
  createdAt: Date;
  items: BillItem[];
}

export interface BillIssue {
  invoiceNumber: string;
  fiscalYear: string;
  issuedAt: Date;
  issuedBy: string;
  dueAt: Date;
}

export interface Payment {
  id: string;
  tenantId: string;
  billId: string;
  method: PaymentMethod;
  amountMinor: number;
  currency: string;
  reference: string;
  receiptNumber: string;
  receivedBy: string;
  receivedAt: Date;
}

export interface Refund {
  id: string;
  tenantId: string;
  billId: string;
  amountMinor: number;
  currency: string;
  status: RefundStatus;
  reason: string;
  requestedBy: string;
  requestedAt: Date;
  decidedBy?: string | undefined;
  decidedAt?: Date | undefined;
  rejectionReason?: string | undefined;
  completedBy?: string | undefined;
  completedAt?: Date | undefined;
  method?: PaymentMethod | undefined;
  reference?: string | undefined;
}

export interface CreditNote {
  id: string;
  tenantId: string;
  billId: string;
  number: string;
  fiscalYear: string;
  amountMinor: number;
  currency: string;
  reason: string;
  issuedBy: string;
  issuedAt: Date;
}

export interface CatalogueItem {
  id: string;
  tenantId: string;
  code: string;
  version: number;
  kind: CatalogueKind;
  name: string;
  priceMinor: number;
  currency: string;
  taxRateBp: number;
  active: boolean;
  createdBy: string;
  createdAt: Date;
}

export interface BillingSettings {
  invoiceFormat: string;
  creditNoteFormat: string;
  receiptFormat: string;
  /** 1-12: the month a fiscal year starts (April in India). */
  fiscalYearStartMonth: number;
  /** IANA zone of the tenant's books. */
  timeZone: string;
  paymentTermsDays: number;
  lateCancellationMinutes: number;
  noShowPolicy: NoShowPolicy;
}

/** The terms of a tenant that has set none. */
export const DEFAULT_SETTINGS: BillingSettings = {
  invoiceFormat: 'INV/{FY}/{SEQ:6}',
  creditNoteFormat: 'CN/{FY}/{SEQ:6}',
  receiptFormat: 'RCT/{FY}/{SEQ:6}',
  fiscalYearStartMonth: 4,
  timeZone: 'Asia/Kolkata',
  paymentTermsDays: 15,
  lateCancellationMinutes: 240,
  noShowPolicy: 'LATE_CANCELLATION',
};

/** Who does something, and what they may do. */
export interface Actor {
  /** A user id, or the name of the system part acting (e.g. "billing" for the cancellation policy). */
  id: string;
  kind: 'user' | 'system';
  permissions: ReadonlySet<string>;
}
