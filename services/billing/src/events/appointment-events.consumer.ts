/**
 * Billing's consumer group: appointment.booked opens the bill;
 * appointment.cancelled and appointment.no_show settle it by the tenant's
 * policy; prescription.dispensed adds the pharmacy's items to the visit's bill. Each translates the event into a command and runs the use case
 * inside the consumer's transaction, which also records the event as
 * processed: a redelivered event changes nothing twice.
 */
import { eventUuid, PoisonEventError, traceIdOf, type ServiceRuntime, type Transaction } from '@hms/platform';
import { EVENTS, fromTimestamp, type DecodedEvent } from '@hms/proto';
import { createBillStore } from '../db/bill.repository.js';
import { settleEndedAppointment, type AppointmentEnded } from '../domain/appointment-ended.js';
import { openBill, type BillingClock, type OpenBill } from '../domain/open-bill.js';
import { addPharmacyItems, type DispensedItems } from '../domain/pharmacy-items.js';

export const BILLING_CONSUMER_GROUP = 'hms.billing';

export function consumeAppointmentEvents(runtime: ServiceRuntime, clock: BillingClock): void {
  const storeIn = (tx: Transaction) => createBillStore(runtime.database.within(tx));
  runtime
    .consumer(BILLING_CONSUMER_GROUP)
    .on(EVENTS.appointmentBooked, async (event, tx) => {
      await openBill({ store: storeIn(tx), ...clock }, openBillCommand(event));
    })
    .on(EVENTS.appointmentCancelled, async (event, tx) => {
      await settleEndedAppointment({ store: storeIn(tx), ...clock }, cancelledCommand(event));
    })
    .on(EVENTS.appointmentNoShow, async (event, tx) => {
      await settleEndedAppointment({ store: storeIn(tx), ...clock }, noShowCommand(event));
    })
    .on(EVENTS.prescriptionDispensed, async (event, tx) => {
      await addPharmacyItems({ store: storeIn(tx), ...clock }, dispensedCommand(event));
    });
}

/**
 * The command a booking event carries. An event that breaks its contract (ids
 * that are not UUIDs) would fail the same way on every attempt, so it is
 * refused as poison and dead-lettered with the reason at once.
 */
export function openBillCommand(event: DecodedEvent<typeof EVENTS.appointmentBooked>): OpenBill {
  const { data } = event;
  return {
    tenantId: event.tenantId,
    appointmentId: eventUuid('appointmentId', data.appointmentId),
    patientId: eventUuid('patientId', data.patientId),
    departmentId: eventUuid('departmentId', data.departmentId),
    consultationFeeMinor: data.consultationFeeMinor,
    hospitalFeeMinor: data.hospitalFeeMinor,
    currency: data.currency,
    traceId: traceIdOf(event.traceparent),
  };
}

function instant(field: string, value: Parameters<typeof fromTimestamp>[0]): Date {
  const at = fromTimestamp(value);
  if (!at) throw new PoisonEventError(`${field} is missing`);
  return at;
}

export function cancelledCommand(event: DecodedEvent<typeof EVENTS.appointmentCancelled>): AppointmentEnded {
  const { data } = event;
  return {
    tenantId: event.tenantId,
    appointmentId: eventUuid('appointmentId', data.appointmentId),
    how: 'cancelled',
    startsAt: instant('startsAt', data.startsAt),
    at: fromTimestamp(data.cancelledAt) ?? event.occurredAt,
    reason: data.reason,
  };
}

export function noShowCommand(event: DecodedEvent<typeof EVENTS.appointmentNoShow>): AppointmentEnded {
  const { data } = event;
  return {
    tenantId: event.tenantId,
    appointmentId: eventUuid('appointmentId', data.appointmentId),
    how: 'no_show',
    startsAt: instant('startsAt', data.startsAt),
    at: fromTimestamp(data.markedAt) ?? event.occurredAt,
    reason: data.reason,
  };
}

export function dispensedCommand(event: DecodedEvent<typeof EVENTS.prescriptionDispensed>): DispensedItems {
  const { data } = event;
  return {
    tenantId: event.tenantId,
    appointmentId: eventUuid('appointmentId', data.appointmentId),
    prescriptionId: eventUuid('prescriptionId', data.prescriptionId),
    items: data.items.map((item, n) => {
      if (!Number.isSafeInteger(item.quantity) || item.quantity < 1) {
        throw new PoisonEventError(`items[${n}].quantity must be a positive whole number`);
      }
      return { billingCode: item.billingCode, quantity: item.quantity };
    }),
  };
}
