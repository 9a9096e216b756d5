/**
 * appointment.checked_in -> joinQueue. Translates the event into the command
 * and runs the use case inside the consumer's transaction, which also records
 * the event as processed: a redelivered event issues no second token.
 */
import {
  eventUuid,
  isCalendarDate,
  isValidTimeZone,
  PoisonEventError,
  traceIdOf,
  type EventConsumer,
  type ServiceRuntime,
} from '@hms/platform';
import { EVENTS, fromTimestamp, type DecodedEvent } from '@hms/proto';
import { createQueueStore, type QueueStoreOptions } from '../db/queue.repository.js';
import { joinQueue } from '../domain/join-queue.js';
import type { QueueJoin } from '../domain/types.js';

export const QUEUE_CONSUMER_GROUP = 'hms.queue';

export function consumeAppointmentCheckedIn(
  runtime: ServiceRuntime,
  consumer: EventConsumer,
  newId: () => string,
  storeOptions: QueueStoreOptions,
): void {
  consumer.on(EVENTS.appointmentCheckedIn, async (event, tx) => {
    await joinQueue(
      { store: createQueueStore(runtime.database.within(tx), storeOptions), newId, now: () => new Date() },
      queueJoinOf(event),
    );
  });
}

/**
 * What a check-in event asks of the queue. An event that breaks its contract
 * would fail the same way on every attempt, so it is refused as poison (and
 * dead-lettered with the reason) rather than retried.
 */
export function queueJoinOf(event: DecodedEvent<typeof EVENTS.appointmentCheckedIn>): QueueJoin {
  const { data } = event;
  if (!isCalendarDate(data.serviceDate)) {
    throw new PoisonEventError(`serviceDate ${JSON.stringify(data.serviceDate)} is not a date (YYYY-MM-DD)`);
  }
  if (!isValidTimeZone(data.timeZone)) {
    throw new PoisonEventError(`timeZone ${JSON.stringify(data.timeZone)} is not an IANA time zone`);
  }
  return {
    tenantId: event.tenantId,
    doctorId: eventUuid('doctorId', data.doctorId),
    appointmentId: eventUuid('appointmentId', data.appointmentId),
    patientId: eventUuid('patientId', data.patientId),
    serviceDate: data.serviceDate,
    timeZone: data.timeZone,
    joinedAt: fromTimestamp(data.checkedInAt) ?? event.occurredAt,
    traceId: traceIdOf(event.traceparent),
  };
}
