/**
 * appointment.booked -> a bill for the appointment, and bill.created
 * announcing it. The bill, its lines, the outbox event and the record that the
 * booking event was processed share one transaction, so a redelivered event
 * bills nothing twice.
 */
import { isUuid, newId, PoisonEventError, traceIdOf, type EventConsumer, type ServiceRuntime } from '@hms/platform';
import { EVENTS, type DecodedEvent } from '@hms/proto';
import type { BillRepository } from '../db/bill.repository.js';
import type { Db, Tx } from '../db/prisma.js';
import { openBillForAppointment, UnbillableBookingError } from '../domain/open-bill.js';
import type { Bill } from '../domain/types.js';
import { billCreated, billKey } from './bill-events.js';

export const BILLING_CONSUMER_GROUP = 'hms.billing';

export function startAppointmentBookedConsumer(
  runtime: ServiceRuntime,
  db: Db,
  bills: BillRepository,
): EventConsumer<Tx> {
  const outbox = runtime.outbox();
  return runtime
    .consumer<Tx>(BILLING_CONSUMER_GROUP, (fn) => db.$transaction(fn))
    .on(EVENTS.appointmentBooked, async (event, tx) => {
      const bill = billForBooking(event, { newId, now: new Date() });
      // Belt and braces beside the processed-event record (and the unique index):
      // a second booking event of one appointment, under another event id, bills nothing.
      if (await bills.existsForAppointment(tx, bill.tenantId, bill.appointmentId)) return;
      await bills.insert(tx, bill);
      await outbox.write(tx, EVENTS.billCreated, {
        key: billKey(bill),
        tenantId: bill.tenantId,
        subject: `bill/${bill.id}`,
        data: billCreated(bill),
      });
    });
}

/**
 * The bill a booking event asks for, under the booking request's trace id. An
 * event that breaks its contract (ids that are not UUIDs, impossible fees or
 * currency) would fail the same way on every attempt, so it is refused as
 * poison and dead-lettered with the reason at once rather than retried.
 */
export function billForBooking(
  event: DecodedEvent<typeof EVENTS.appointmentBooked>,
  context: { newId: () => string; now: Date },
): Bill {
  const { data } = event;
  const ids = { tenantId: event.tenantId, appointmentId: data.appointmentId, patientId: data.patientId };
  for (const [name, value] of Object.entries(ids)) {
    if (!isUuid(value)) throw new PoisonEventError(`${name} ${JSON.stringify(value)} is not a UUID`);
  }
  try {
    return openBillForAppointment(
      {
        // Lower case, as PostgreSQL returns uuids, so keys and subjects match what is stored.
        tenantId: ids.tenantId.toLowerCase(),
        appointmentId: ids.appointmentId.toLowerCase(),
        patientId: ids.patientId.toLowerCase(),
        consultationFeeMinor: data.consultationFeeMinor,
        hospitalFeeMinor: data.hospitalFeeMinor,
        currency: data.currency,
      },
      { ...context, traceId: traceIdOf(event.traceparent) },
    );
  } catch (error) {
    if (error instanceof UnbillableBookingError) throw new PoisonEventError(error.message);
    throw error;
  }
}
