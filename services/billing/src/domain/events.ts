/** The events billing publishes, built from the domain. */
import { pendingEvent, type PendingEvent } from '@hms/platform/domain';
import { EVENTS } from '@hms/proto';
import type { Bill } from './types.js';

/** All events of one appointment's bill share a key, so they stay in order in one partition. */
export function billKey(bill: Pick<Bill, 'tenantId' | 'appointmentId'>): string {
  return `${bill.tenantId}:${bill.appointmentId}`;
}

export function billCreated(bill: Bill): PendingEvent {
  return pendingEvent(EVENTS.billCreated, {
    key: billKey(bill),
    tenantId: bill.tenantId,
    subject: `bill/${bill.id}`,
    data: {
      billId: bill.id,
      appointmentId: bill.appointmentId,
      patientId: bill.patientId,
      currency: bill.currency,
      totalMinor: bill.totalMinor,
    },
  });
}
