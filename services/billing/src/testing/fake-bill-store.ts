/**
 * BillStore in memory, for the use cases' unit tests: a change is staged and
 * applied only when its function returns, as a transaction would be (so a
 * change that throws leaves nothing behind), and the events it saved are kept
 * in commit order. Idempotency keys and document counters behave as the SQL
 * ones do, within one test.
 */
import { FailedPreconditionError, type PendingEvent } from '@hms/platform/domain';
import type { BillChanges, BillStore, DailyReport } from '../domain/bill-store.js';
import {
  DEFAULT_SETTINGS,
  type Bill,
  type BillingSettings,
  type CatalogueItem,
  type CreditNote,
  type Payment,
  type Refund,
} from '../domain/types.js';

interface State {
  bills: Map<string, Bill>;
  payments: Map<string, Payment>;
  refunds: Map<string, Refund>;
  creditNotes: Map<string, CreditNote>;
  catalogue: CatalogueItem[];
  settings: Map<string, BillingSettings>;
  counters: Map<string, number>;
  keys: Map<string, { fingerprint: string; paymentId?: string }>;
  events: PendingEvent[];
}

const clone = <T>(value: T): T => structuredClone(value);

export function fakeBillStore() {
  let state: State = {
    bills: new Map(),
    payments: new Map(),
    refunds: new Map(),
    creditNotes: new Map(),
    catalogue: [],
    settings: new Map(),
    counters: new Map(),
    keys: new Map(),
    events: [],
  };
  const settingsOf = (tenantId: string) => state.settings.get(tenantId) ?? DEFAULT_SETTINGS;

  const store: BillStore = {
    async change(tenantId, fn) {
      // Events keep their catalogue definitions by identity (tests compare them), so they are not cloned.
      const staged: State = { ...clone({ ...state, events: [] }), events: [...state.events] };
      const mine = (b: Bill | undefined) => (b && b.tenantId === tenantId ? clone(b) : undefined);
      const tx: BillChanges = {
        async insertUnlessBilled(bill, saved) {
          if (bill.tenantId !== tenantId) throw new Error('a bill of another tenant in this change');
          const billed = [...staged.bills.values()].some(
            (b) => b.tenantId === tenantId && b.appointmentId === bill.appointmentId,
          );
          if (billed) return false;
          staged.bills.set(bill.id, clone(bill));
          staged.events.push(...saved);
          return true;
        },
        lockBill: async (id) => mine(staged.bills.get(id)),
        lockBillOfAppointment: async (appointmentId) =>
          mine([...staged.bills.values()].find((b) => b.tenantId === tenantId && b.appointmentId === appointmentId)),
        async lockBillsPastDue(asOf, limit) {
          return [...staged.bills.values()]
            .filter(
              (b) =>
                b.tenantId === tenantId &&
                (b.status === 'OPEN' || b.status === 'PARTIALLY_PAID') &&
                b.issue &&
                b.issue.dueAt < asOf &&
                b.dueMinor > 0,
            )
            .slice(0, limit)
            .map(clone);
        },
        async saveBill(bill, saved) {
          if (bill.tenantId !== tenantId || !staged.bills.has(bill.id)) throw new Error('saving a bill never read');
          // The database's rules, so a use case that breaks one fails here as it would there.
          if (bill.paidMinor > bill.totalMinor) throw new Error('bills_paid_check: paid > total');
          if (bill.refundedMinor + bill.refundReservedMinor > bill.paidMinor) throw new Error('bills_refunded_check');
          if (bill.creditedMinor > bill.totalMinor) throw new Error('bills_credited_check');
          staged.bills.set(bill.id, clone(bill));
          staged.events.push(...saved);
        },
        settings: async () => settingsOf(tenantId),
        async saveSettings(s) {
          staged.settings.set(tenantId, clone(s));
        },
        async catalogueItem(code) {
          return staged.catalogue
            .filter((c) => c.tenantId === tenantId && c.code === code)
            .sort((a, b) => b.version - a.version)[0];
        },
        async insertCatalogueItem(item) {
          staged.catalogue.push(clone(item));
        },
        async nextNumber(series, fiscalYear) {
          const key = `${tenantId}/${series}/${fiscalYear}`;
          const next = (staged.counters.get(key) ?? 0) + 1;
          staged.counters.set(key, next);
          return next;
        },
        async replayOf(claim) {
          const key = `${tenantId}/${claim.operation}/${claim.key}`;
          const earlier = staged.keys.get(key);
          if (!earlier) {
            staged.keys.set(key, { fingerprint: claim.fingerprint });
            return undefined;
          }
          if (earlier.fingerprint !== claim.fingerprint) {
            throw new FailedPreconditionError('this idempotency key was already used for a different request');
          }
          return { paymentId: earlier.paymentId! };
        },
        async insertPayment(payment, _book, claim) {
          staged.payments.set(payment.id, clone(payment));
          if (claim)
            staged.keys.set(`${tenantId}/${claim.operation}/${claim.key}`, {
              fingerprint: claim.fingerprint,
              paymentId: payment.id,
            });
        },
        findPayment: async (id) => clone(staged.payments.get(id)),
        async insertRefund(refund) {
          staged.refunds.set(refund.id, clone(refund));
        },
        lockRefund: async (id) => {
          const r = staged.refunds.get(id);
          return r && r.tenantId === tenantId ? clone(r) : undefined;
        },
        async saveRefund(refund) {
          if (refund.decidedBy && refund.decidedBy === refund.requestedBy) throw new Error('refunds_two_person_check');
          staged.refunds.set(refund.id, clone(refund));
        },
        async insertCreditNote(note) {
          staged.creditNotes.set(note.id, clone(note));
        },
      };
      const result = await fn(tx);
      state = staged;
      return result;
    },
    find: async (tenantId, id) => {
      const b = state.bills.get(id);
      return b && b.tenantId === tenantId ? clone(b) : undefined;
    },
    async list(tenantId, filter, limit, afterId) {
      return [...state.bills.values()]
        .filter(
          (b) =>
            b.tenantId === tenantId &&
            (!filter.appointmentId || b.appointmentId === filter.appointmentId) &&
            (!filter.patientId || b.patientId === filter.patientId) &&
            (!filter.status || b.status === filter.status) &&
            (!afterId || b.id < afterId),
        )
        .sort((a, b) => (a.id < b.id ? 1 : -1))
        .slice(0, limit)
        .map(clone);
    },
    payments: async (tenantId, billId) =>
      [...state.payments.values()].filter((p) => p.tenantId === tenantId && p.billId === billId).map(clone),
    findPayment: async (tenantId, id) => {
      const p = state.payments.get(id);
      return p && p.tenantId === tenantId ? clone(p) : undefined;
    },
    async refunds(tenantId, filter, limit, afterId) {
      return [...state.refunds.values()]
        .filter(
          (r) =>
            r.tenantId === tenantId &&
            (!filter.status || r.status === filter.status) &&
            (!filter.billId || r.billId === filter.billId) &&
            (!afterId || r.id < afterId),
        )
        .sort((a, b) => (a.id < b.id ? 1 : -1))
        .slice(0, limit)
        .map(clone);
    },
    creditNotes: async (tenantId, billId) =>
      [...state.creditNotes.values()].filter((n) => n.tenantId === tenantId && n.billId === billId).map(clone),
    async catalogue(tenantId, limit, afterCode, includeInactive) {
      const current = new Map<string, CatalogueItem>();
      for (const c of state.catalogue.filter((c) => c.tenantId === tenantId)) {
        if ((current.get(c.code)?.version ?? 0) < c.version) current.set(c.code, c);
      }
      return [...current.values()]
        .filter((c) => (includeInactive || c.active) && (!afterCode || c.code > afterCode))
        .sort((a, b) => (a.code < b.code ? -1 : 1))
        .slice(0, limit)
        .map(clone);
    },
    settings: async (tenantId) => settingsOf(tenantId),
    async dailyReport(_tenantId, date, timeZone): Promise<DailyReport> {
      return { date, timeZone, byDepartment: [], byMethod: [], byCashier: [], totals: [], outstanding: [] };
    },
    async tenantsWithBillsPastDue(asOf) {
      const tenants = [...state.bills.values()]
        .filter(
          (b) =>
            (b.status === 'OPEN' || b.status === 'PARTIALLY_PAID') && b.issue && b.issue.dueAt < asOf && b.dueMinor > 0,
        )
        .map((b) => b.tenantId);
      return [...new Set(tenants)];
    },
  };
  return {
    store,
    bills: () => [...state.bills.values()],
    events: () => state.events,
    refunds: () => [...state.refunds.values()],
    creditNotes: () => [...state.creditNotes.values()],
    payments: () => [...state.payments.values()],
  };
}
