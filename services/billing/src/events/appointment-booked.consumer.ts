/**
 * appointment.booked -> openBill. Translates the event into the command and
 * runs the use case inside the consumer's transaction, which also records the
 * event as processed: a redelivered event bills nothing twice.
 */
import { eventUuid, traceIdOf, type ServiceRuntime } from '@hms/platform';
import { EVENTS, type DecodedEvent } from '@hms/proto';
import { createBillStore } from '../db/bill.repository.js';
import { openBill, type BillingClock, type OpenBill } from '../domain/open-bill.js';

export const BILLING_CONSUMER_GROUP = 'hms.billing';

export function consumeAppointmentBooked(runtime: ServiceRuntime, clock: BillingClock): void {
  runtime.consumer(BILLING_CONSUMER_GROUP).on(EVENTS.appointmentBooked, async (event, tx) => {
    await openBill({ store: createBillStore(runtime.database.within(tx)), ...clock }, openBillCommand(event));
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
    consultationFeeMinor: data.consultationFeeMinor,
    hospitalFeeMinor: data.hospitalFeeMinor,
    currency: data.currency,
    traceId: traceIdOf(event.traceparent),
  };
}
