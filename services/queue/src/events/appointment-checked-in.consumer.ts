/**
 * appointment.checked_in -> the patient joins the doctor's queue of that day
 * with the next token number, and queue.token_issued announces it. Token,
 * entry, processed-event record and outbox event share one transaction, so a
 * redelivered event issues nothing twice.
 */
import {
  isUuid,
  isValidTimeZone,
  PoisonEventError,
  traceIdOf,
  type EventConsumer,
  type ServiceRuntime,
} from '@hms/platform';
import { EVENTS, fromTimestamp, type DecodedEvent } from '@hms/proto';
import { isCalendarDate } from '@hms/platform';
import type { QueueJoin } from '../domain/types.js';
import type { Db, Tx } from '../db/prisma.js';
import { joinQueue } from '../db/queue.repository.js';
import { doctorDayKey, queueTokenIssued } from './queue-events.js';

export const QUEUE_CONSUMER_GROUP = 'hms.queue';

export function startAppointmentCheckedInConsumer(runtime: ServiceRuntime, db: Db): EventConsumer<Tx> {
  const outbox = runtime.outbox();
  return runtime
    .consumer<Tx>(QUEUE_CONSUMER_GROUP, (fn) => db.$transaction(fn))
    .on(EVENTS.appointmentCheckedIn, async (event, tx) => {
      const entry = await joinQueue(tx, queueJoinOf(event));
      if (!entry) return;
      await outbox.write(tx, EVENTS.queueTokenIssued, {
        key: doctorDayKey(entry),
        tenantId: entry.tenantId,
        subject: `queue-entry/${entry.id}`,
        data: queueTokenIssued(entry),
      });
    });
}

/**
 * What a check-in event asks of the queue. An event that breaks its contract
 * would fail the same way on every attempt, so it is refused as poison (and
 * dead-lettered with the reason) rather than retried.
 */
export function queueJoinOf(event: DecodedEvent<typeof EVENTS.appointmentCheckedIn>): QueueJoin {
  const { data } = event;
  const ids = {
    tenantId: event.tenantId,
    doctorId: data.doctorId,
    appointmentId: data.appointmentId,
    patientId: data.patientId,
  };
  for (const [name, value] of Object.entries(ids)) {
    if (!isUuid(value)) throw new PoisonEventError(`${name} ${JSON.stringify(value)} is not a UUID`);
  }
  if (!isCalendarDate(data.serviceDate)) {
    throw new PoisonEventError(`serviceDate ${JSON.stringify(data.serviceDate)} is not a date (YYYY-MM-DD)`);
  }
  if (!isValidTimeZone(data.timeZone)) {
    throw new PoisonEventError(`timeZone ${JSON.stringify(data.timeZone)} is not an IANA time zone`);
  }
  return {
    // Lower case, as PostgreSQL returns uuids, so keys and subjects match what is stored.
    tenantId: ids.tenantId.toLowerCase(),
    doctorId: ids.doctorId.toLowerCase(),
    appointmentId: ids.appointmentId.toLowerCase(),
    patientId: ids.patientId.toLowerCase(),
    serviceDate: data.serviceDate,
    timeZone: data.timeZone,
    joinedAt: fromTimestamp(data.checkedInAt) ?? event.occurredAt,
    traceId: traceIdOf(event.traceparent),
  };
}
