/** Reading bills, payments, refunds, credit notes and the daily report. */
import { InvalidArgumentError, isCalendarDate, NotFoundError } from '@hms/platform/domain';
import type { BillFilter, BillStore, DailyReport, RefundFilter } from './bill-store.js';
import type { Bill, Payment, Refund } from './types.js';

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
  return pageOf(page, query.limit, 'bills');
}

export async function listRefunds(
  store: BillStore,
  query: { tenantId: string; filter: RefundFilter; limit: number; afterId?: string | undefined },
): Promise<{ refunds: Refund[]; more: boolean }> {
  const page = await store.refunds(query.tenantId, query.filter, query.limit + 1, query.afterId);
  return pageOf(page, query.limit, 'refunds');
}

export async function getPayment(store: BillStore, query: { tenantId: string; paymentId: string }): Promise<Payment> {
  const payment = await store.findPayment(query.tenantId, query.paymentId);
  if (!payment) throw new NotFoundError(`payment ${query.paymentId} not found`);
  return payment;
}

export async function dailyReport(store: BillStore, query: { tenantId: string; date: string }): Promise<DailyReport> {
  if (!isCalendarDate(query.date)) {
    throw new InvalidArgumentError('invalid date', [{ field: 'date', message: 'must be a calendar date, YYYY-MM-DD' }]);
  }
  const settings = await store.settings(query.tenantId);
  return store.dailyReport(query.tenantId, query.date, settings.timeZone);
}

function pageOf<T, K extends string>(page: T[], limit: number, key: K): { [P in K]: T[] } & { more: boolean } {
  const more = page.length > limit;
  return { [key]: more ? page.slice(0, limit) : page, more } as { [P in K]: T[] } & { more: boolean };
}
