/**
 * The overdue sweep: issued bills whose due date has passed with money still
 * due become OVERDUE, each with bill.overdue, once (a marked bill is no longer
 * a candidate). Tenant by tenant, in batches, each batch one transaction;
 * rows another sweep holds are skipped, so replicas running it at once never
 * mark a bill twice.
 */
import type { BillingDeps } from './edit-bill.js';
import { billOverdue } from './events.js';
import { settled } from './pricing.js';

export const OVERDUE_BATCH = 500;

export async function markOverdueBills(
  deps: BillingDeps,
  asOf: Date,
  options: { batch?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const batch = options.batch ?? OVERDUE_BATCH;
  let marked = 0;
  for (const tenantId of await deps.store.tenantsWithBillsPastDue(asOf)) {
    for (;;) {
      if (options.signal?.aborted) return marked;
      const n = await deps.store.change(tenantId, async (tx) => {
        const bills = await tx.lockBillsPastDue(asOf, batch);
        for (const bill of bills) {
          const after = settled({ ...bill, overdueAt: asOf });
          await tx.saveBill(after, [billOverdue(after)]);
        }
        return bills.length;
      });
      marked += n;
      if (n < batch) break;
    }
  }
  return marked;
}
