/** The events the queue service publishes, built from the domain. */
import { type EVENTS, toTimestamp, type EventPayload } from '@hms/proto';
import type { PlacedEntry, QueueEntry } from '../domain/types.js';

/** All events of one doctor's day share a key, so they stay in order in one partition. */
export function doctorDayKey(entry: QueueEntry): string {
  return `${entry.tenantId}:${entry.doctorId}:${entry.serviceDate}`;
}

export function queueTokenIssued(entry: PlacedEntry): EventPayload<typeof EVENTS.queueTokenIssued> {
  return {
    entryId: entry.id,
    appointmentId: entry.appointmentId,
    patientId: entry.patientId,
    doctorId: entry.doctorId,
    serviceDate: entry.serviceDate,
    tokenNumber: entry.tokenNumber,
    position: entry.position,
    joinedAt: toTimestamp(entry.joinedAt),
  };
}
