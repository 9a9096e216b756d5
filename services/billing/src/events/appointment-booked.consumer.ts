/**
 * appointment.booked -> a bill, in the consumer's transaction: the bill, its
 * lines, and the bill.created event commit together with the record that the
 * booking event was processed.
 */
import { PoisonEventError, newId, traceIdOf, type EventConsumer, type Outbox } from '@hms/platform';
import { EVENTS } from '@hms/proto';
import { InvalidBookingFeesError, openBillForAppointment } from '../domain/bill.js';
import type { BillRepository } from '../db/bill.repository.js';
import type { Tx } from '../db/prisma.js';

export function onAppointmentBooked(consumer: EventConsumer<Tx>, bills: BillRepository, outbox: Outbox): void {
  consumer.on(EVENTS.appointmentBooked, async (event, tx) => {
    const { data } = event;
    // Belt and braces beside the processed-event record: one bill per appointment.
    if (await bills.existsForAppointment(tx, event.tenantId, data.appointmentId)) return;
    let bill;
    try {
      bill = openBillForAppointment(
        {
          tenantId: event.tenantId,
          appointmentId: data.appointmentId,
          patientId: data.patientId,
          consultationFeeMinor: data.consultationFeeMinor,
          hospitalFeeMinor: data.hospitalFeeMinor,
          currency: data.currency,
        },
        { newId, now: new Date(), traceId: traceIdOf(event.traceparent) },
      );
    } catch (error) {
      if (error instanceof InvalidBookingFeesError) throw new PoisonEventError(error.message);
      throw error;
    }
    await bills.insert(tx, bill);
    await outbox.write(tx, EVENTS.billCreated, {
      key: `${bill.tenantId}:${bill.appointmentId}`,
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
  });
}
