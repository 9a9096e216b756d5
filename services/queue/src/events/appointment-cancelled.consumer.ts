/**
 * appointment.cancelled -> the appointment's entry leaves the queue (REMOVED,
 * announced as queue.removed). An appointment that never joined, or whose
 * entry is already out of the queue, changes nothing; the processed-event
 * record makes a redelivery harmless. Declared against the catalogue entry
 * the scheduling work publishes (proto/hms/appointments/v1/appointment_events.proto).
 */
import { eventUuid, type EventConsumer, type ServiceRuntime } from '@hms/platform';
import { EVENTS, type DecodedEvent } from '@hms/proto';
import { createQueueStore, type QueueStoreOptions } from '../db/queue.repository.js';
import { removeAppointmentEntry } from '../domain/entry-actions.js';

export function consumeAppointmentCancelled(
  runtime: ServiceRuntime,
  consumer: EventConsumer,
  storeOptions: QueueStoreOptions,
): void {
  consumer.on(EVENTS.appointmentCancelled, async (event, tx) => {
    await removeAppointmentEntry(
      { store: createQueueStore(runtime.database.within(tx), storeOptions), now: () => new Date() },
      removalOf(event),
    );
  });
}

export function removalOf(event: DecodedEvent<typeof EVENTS.appointmentCancelled>) {
  return {
    tenantId: event.tenantId,
    appointmentId: eventUuid('appointmentId', event.data.appointmentId),
    reason: event.data.reason ? `appointment cancelled: ${event.data.reason}` : 'appointment cancelled',
  };
}
