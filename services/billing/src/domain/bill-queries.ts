/** Reading bills: one bill, or a page of a tenant's bills. */
import { NotFoundError } from '@hms/platform/domain';
import type { BillFilter, BillStore } from './bill-store.js';
import type { Bill } from './types.js';

export async function getBill(store: BillStore, query: { tenantId: string; billId: string }): Promise<Bill> {
  const bill = await store.find(query.tenantId, query.billId);
  if (!bill) throw new NotFoundError(`bill ${query.billId} not found`);
  return bill;
}

/** A page of bills, newest first, and whether more follow. */
export async function listBills(
  store: BillStore,
  query: { tenantId: string; filter: BillFilter; limit: number; afterId?: string | undefined },
): Promise<{ bills: Bill[]; more: boolean }> {
  // One more than a page: whether it comes back says if there is a next page.
  const page = await store.list(query.tenantId, query.filter, query.limit + 1, query.afterId);
  const more = page.length > query.limit;
  return { bills: more ? page.slice(0, query.limit) : page, more };
}
