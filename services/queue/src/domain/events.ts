/** The events the queue service publishes, built from the domain. */
import { pendingEvent, type PendingEvent } from '@hms/platform/domain';
import { EVENTS, toTimestamp } from '@hms/proto';
import type { PlacedEntry, QueueDay, QueueEntry } from './types.js';

/** All events of one doctor's day share a key, so they stay in order in one partition. */
export function doctorDayKey(entry: Pick<QueueEntry, 'tenantId' | 'doctorId' | 'serviceDate'>): string {
  return `${entry.tenantId}:${entry.doctorId}:${entry.serviceDate}`;
}

function ref(entry: QueueEntry, seq: number) {
  return {
    entryId: entry.id,
    appointmentId: entry.appointmentId ?? '',
    patientId: entry.patientId,
    doctorId: entry.doctorId,
    serviceDate: entry.serviceDate,
    tokenNumber: entry.tokenNumber,
    seq,
  };
}

function about(entry: QueueEntry) {
  return { key: doctorDayKey(entry), tenantId: entry.tenantId, subject: `queue-entry/${entry.id}` };
}

export function queueTokenIssued(entry: PlacedEntry, seq: number): PendingEvent {
  return pendingEvent(EVENTS.queueTokenIssued, {
    ...about(entry),
    data: {
      entryId: entry.id,
      appointmentId: entry.appointmentId ?? '',
      patientId: entry.patientId,
      doctorId: entry.doctorId,
      serviceDate: entry.serviceDate,
      tokenNumber: entry.tokenNumber,
      position: entry.position,
      joinedAt: toTimestamp(entry.joinedAt),
      seq,
      priority: entry.priority,
      walkIn: entry.appointmentId === undefined,
      transferredFromEntryId: entry.transferredFromEntryId ?? '',
    },
  });
}

export function queueCalled(entry: QueueEntry, seq: number): PendingEvent {
  return pendingEvent(EVENTS.queueCalled, {
    ...about(entry),
    data: { entry: ref(entry, seq), room: entry.room, calledAt: entry.calledAt ? toTimestamp(entry.calledAt) : null },
  });
}

export function queueRecalled(entry: QueueEntry, seq: number): PendingEvent {
  return pendingEvent(EVENTS.queueRecalled, {
    ...about(entry),
    data: { entry: ref(entry, seq), room: entry.room, recallCount: entry.recallCount },
  });
}

export function queueSkipped(entry: QueueEntry, seq: number): PendingEvent {
  return pendingEvent(EVENTS.queueSkipped, {
    ...about(entry),
    data: { entry: ref(entry, seq), skipCount: entry.skipCount, noShow: entry.status === 'NO_SHOW' },
  });
}

export function queueCompleted(entry: QueueEntry, seq: number): PendingEvent {
  return pendingEvent(EVENTS.queueCompleted, {
    ...about(entry),
    data: {
      entry: ref(entry, seq),
      calledAt: entry.calledAt ? toTimestamp(entry.calledAt) : null,
      completedAt: entry.completedAt ? toTimestamp(entry.completedAt) : null,
    },
  });
}

export function queueTransferred(from: QueueEntry, to: QueueEntry, seq: number): PendingEvent {
  return pendingEvent(EVENTS.queueTransferred, {
    ...about(from),
    data: { entry: ref(from, seq), toDoctorId: to.doctorId, toEntryId: to.id, toTokenNumber: to.tokenNumber },
  });
}

export function queuePriorityChanged(entry: QueueEntry, seq: number): PendingEvent {
  return pendingEvent(EVENTS.queuePriorityChanged, {
    ...about(entry),
    data: { entry: ref(entry, seq), priority: entry.priority },
  });
}

export function queueRemoved(entry: QueueEntry, seq: number, reason: string): PendingEvent {
  return pendingEvent(EVENTS.queueRemoved, { ...about(entry), data: { entry: ref(entry, seq), reason } });
}

export function queuePausedChanged(day: QueueDay, seq: number): PendingEvent {
  const paused = day.pausedAt !== undefined;
  return pendingEvent(paused ? EVENTS.queuePaused : EVENTS.queueResumed, {
    key: doctorDayKey(day),
    tenantId: day.tenantId,
    subject: `queue-day/${day.doctorId}:${day.serviceDate}`,
    data: {
      doctorId: day.doctorId,
      serviceDate: day.serviceDate,
      seq,
      paused,
      resumeExpectedAt: day.resumeExpectedAt ? toTimestamp(day.resumeExpectedAt) : null,
      reason: day.pauseReason,
    },
  });
}
