import { isValidTimeZone } from '@hms/platform/domain';
import { orderQueue } from './queue-order.js';
import type { QueueStore } from './queue-store.js';
import { serviceDayOf } from './service-day.js';
import type { DoctorQueue } from './types.js';

/** Where "today" is for a doctor the queue has never seen. */
export const DEFAULT_TIME_ZONE = 'UTC';

/**
 * One doctor's queue of one day in calling order. Without a date, "today" in
 * the doctor's latest known time zone. A doctor or day nobody checked in to is
 * an empty queue: the queue service does not know every doctor, only queues.
 */
export async function getQueue(
  deps: { store: QueueStore; now: () => Date },
  input: { tenantId: string; doctorId: string; serviceDate: string | undefined },
): Promise<DoctorQueue> {
  let serviceDate = input.serviceDate;
  if (!serviceDate) {
    const known = await deps.store.latestTimeZone(input.tenantId, input.doctorId);
    const timeZone = known && isValidTimeZone(known) ? known : DEFAULT_TIME_ZONE;
    serviceDate = serviceDayOf(deps.now(), timeZone);
  }
  const entries = await deps.store.listEntries(input.tenantId, input.doctorId, serviceDate);
  return { doctorId: input.doctorId, serviceDate, entries: orderQueue(entries) };
}
