/** The events the billing service publishes, built from the domain. */
import type { EVENTS, EventPayload } from '@hms/proto';
import type { Bill } from '../domain/types.js';

/** All events of one appointment's bill share a key, so they stay in order in one partition. */
export function billKey(bill: Bill): string {
  return `${bill.tenantId}:${bill.appointmentId}`;
}

export function billCreated(bill: Bill): EventPayload<typeof EVENTS.billCreated> {
  return {
    billId: bill.id,
    appointmentId: bill.appointmentId,
    patientId: bill.patientId,
    currency: bill.currency,
    totalMinor: bill.totalMinor,
  };
}
