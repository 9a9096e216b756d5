/** The events the queue service publishes, built from the domain. */
import { pendingEvent, type PendingEvent } from '@hms/platform/domain';
import { EVENTS, toTimestamp } from '@hms/proto';
import type { PlacedEntry, QueueEntry } from './types.js';

/** All events of one doctor's day share a key, so they stay in order in one partition. */
export function doctorDayKey(entry: Pick<QueueEntry, 'tenantId' | 'doctorId' | 'serviceDate'>): string {
  return `${entry.tenantId}:${entry.doctorId}:${entry.serviceDate}`;
}

export function queueTokenIssued(entry: PlacedEntry): PendingEvent {
  return pendingEvent(EVENTS.queueTokenIssued, {
    key: doctorDayKey(entry),
    tenantId: entry.tenantId,
    subject: `queue-entry/${entry.id}`,
    data: {
      entryId: entry.id,
      appointmentId: entry.appointmentId,
      patientId: entry.patientId,
      doctorId: entry.doctorId,
      serviceDate: entry.serviceDate,
      tokenNumber: entry.tokenNumber,
      position: entry.position,
      joinedAt: toTimestamp(entry.joinedAt),
    },
  });
}
