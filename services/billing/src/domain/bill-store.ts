import type { IdempotencyClaim, PendingEvent } from '@hms/platform/domain';
import type { Series } from './numbering.js';
import type {
  Bill,
  BillingSettings,
  BillStatus,
  CatalogueItem,
  CreditNote,
  Payment,
  Refund,
  RefundStatus,
} from './types.js';

export interface BillFilter {
  appointmentId?: string | undefined;
  patientId?: string | undefined;
  status?: BillStatus | undefined;
}

export interface RefundFilter {
  status?: RefundStatus | undefined;
  billId?: string | undefined;
}

/** One line of a day's collections, grouped by one of department, method or cashier. */
export interface CollectionLine {
  key: string;
  currency: string;
  collectedMinor: number;
  payments: number;
  refundedMinor: number;
  refunds: number;
}

export interface DailyReport {
  date: string;
  timeZone: string;
  byDepartment: CollectionLine[];
  byMethod: CollectionLine[];
  byCashier: CollectionLine[];
  totals: CollectionLine[];
  outstanding: { departmentId: string; currency: string; dueMinor: number; bills: number }[];
}

/** Where money moved counts in the day's collections: the bill's department, the day in the tenant's zone. */
export interface Booking {
  departmentId: string;
  /** YYYY-MM-DD */
  day: string;
}

/** What billing's use cases need from storage; src/db implements it in SQL on the service's database. */
export interface BillStore {
  /** Runs `fn` in one transaction of the tenant: its changes and their events commit together, or not at all. */
  change<T>(tenantId: string, fn: (tx: BillChanges) => Promise<T>): Promise<T>;
  find(tenantId: string, id: string): Promise<Bill | undefined>;
  /** Newest first (ids are time-ordered); `afterId` continues after that bill. */
  list(tenantId: string, filter: BillFilter, limit: number, afterId?: string): Promise<Bill[]>;
  payments(tenantId: string, billId: string): Promise<Payment[]>;
  findPayment(tenantId: string, paymentId: string): Promise<Payment | undefined>;
  /** Newest first. */
  refunds(tenantId: string, filter: RefundFilter, limit: number, afterId?: string): Promise<Refund[]>;
  creditNotes(tenantId: string, billId: string): Promise<CreditNote[]>;
  /** The current version of each catalogue entry, by code; `afterCode` continues after that code. */
  catalogue(
    tenantId: string,
    limit: number,
    afterCode: string | undefined,
    includeInactive: boolean,
  ): Promise<CatalogueItem[]>;
  settings(tenantId: string): Promise<BillingSettings>;
  /** The read models' view of a day (tenant's zone) and the dues outstanding now. */
  dailyReport(tenantId: string, date: string, timeZone: string): Promise<DailyReport>;
  /** Tenants with issued bills past `asOf` and still something due, not yet marked overdue. */
  tenantsWithBillsPastDue(asOf: Date): Promise<string[]>;
}

/** The changes one transaction can make. Everything locked stays locked until it ends. */
export interface BillChanges {
  /**
   * Saves a new bill with its items and the events announcing it, unless the
   * appointment already has a bill: then saves nothing and returns false.
   */
  insertUnlessBilled(bill: Bill, events: PendingEvent[]): Promise<boolean>;
  /** The bill, locked, with its lines. */
  lockBill(id: string): Promise<Bill | undefined>;
  lockBillOfAppointment(appointmentId: string): Promise<Bill | undefined>;
  /** Up to `limit` bills past due at `asOf`, not yet marked, locked (others' locked rows skipped). */
  lockBillsPastDue(asOf: Date, limit: number): Promise<Bill[]>;
  /** Saves a bill locked in this transaction as it is now (lines added, changed, removed) with its events. */
  saveBill(bill: Bill, events: PendingEvent[]): Promise<void>;
  settings(): Promise<BillingSettings>;
  saveSettings(settings: BillingSettings, updatedBy: string): Promise<void>;
  /** The current version of a catalogue entry. */
  catalogueItem(code: string): Promise<CatalogueItem | undefined>;
  insertCatalogueItem(item: CatalogueItem): Promise<void>;
  /** The next number of the series in the fiscal year: the counter row stays locked until the transaction ends. */
  nextNumber(series: Series, fiscalYear: string): Promise<number>;
  /**
   * Claims an idempotency key: undefined when it is new, the payment first
   * recorded with it when the same request comes again (a different request
   * with the same key is refused).
   */
  replayOf(claim: IdempotencyClaim): Promise<{ paymentId: string } | undefined>;
  /** Saves a payment (and, under its key, what a retry gets back). The bill is saved by saveBill. */
  insertPayment(payment: Payment, book: Booking, claim?: IdempotencyClaim): Promise<void>;
  findPayment(id: string): Promise<Payment | undefined>;
  insertRefund(refund: Refund): Promise<void>;
  lockRefund(id: string): Promise<Refund | undefined>;
  /** Saves a refund's new state; a completed one (with `book`) counts in that day's collections. */
  saveRefund(refund: Refund, book?: Booking): Promise<void>;
  insertCreditNote(note: CreditNote): Promise<void>;
}
