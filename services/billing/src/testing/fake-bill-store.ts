/**
 * BillStore in memory, for the use cases' unit tests: a change is staged and
 * applied only when its function returns, as a transaction would be, and the
 * events it saved are kept in commit order.
 */
import type { PendingEvent } from '@hms/platform/domain';
import type { BillStore } from '../domain/bill-store.js';
import type { Bill } from '../domain/types.js';

export function fakeBillStore() {
  const bills: Bill[] = [];
  const events: PendingEvent[] = [];
  const store: BillStore = {
    async change(tenantId, fn) {
      const staged: { bills: Bill[]; events: PendingEvent[] } = { bills: [], events: [] };
      const result = await fn({
        async insertUnlessBilled(bill, saved) {
          if (bill.tenantId !== tenantId) throw new Error('a bill of another tenant in this change');
          const billed = [...bills, ...staged.bills].some(
            (b) => b.tenantId === tenantId && b.appointmentId === bill.appointmentId,
          );
          if (billed) return false;
          staged.bills.push(structuredClone(bill));
          staged.events.push(...saved);
          return true;
        },
      });
      bills.push(...staged.bills);
      events.push(...staged.events);
      return result;
    },
    async find(tenantId, id) {
      return bills.find((b) => b.tenantId === tenantId && b.id === id);
    },
    async list(tenantId, filter, limit, afterId) {
      return bills
        .filter(
          (b) =>
            b.tenantId === tenantId &&
            (!filter.appointmentId || b.appointmentId === filter.appointmentId) &&
            (!filter.patientId || b.patientId === filter.patientId) &&
            (!afterId || b.id < afterId),
        )
        .sort((a, b) => (a.id < b.id ? 1 : -1))
        .slice(0, limit);
    },
  };
  return { store, bills, events };
}
