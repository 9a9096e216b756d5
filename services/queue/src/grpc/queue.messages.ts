/** Domain <-> proto messages of the queue service. */
import { toTimestamp, type QueueEntry as QueueEntryMessage } from '@hms/proto';
import type {
  DoctorQueue,
  LinePlace,
  PlacedEntry,
  PriorityClass,
  QueueChange,
  QueuePause,
  QueueRules,
} from '../domain/types.js';
import { PRIORITY_RANK } from '../domain/types.js';

const ts = (d: Date | undefined) => (d ? toTimestamp(d) : null);

export function entryMessage(e: PlacedEntry): QueueEntryMessage {
  return {
    id: e.id,
    appointmentId: e.appointmentId ?? '',
    patientId: e.patientId,
    tokenNumber: e.tokenNumber,
    position: e.position,
    priority: PRIORITY_RANK[e.priority],
    status: `QUEUE_ENTRY_STATUS_${e.status}`,
    joinedAt: toTimestamp(e.joinedAt),
    traceId: e.traceId,
    priorityClass: `QUEUE_PRIORITY_${e.priority}`,
    room: e.room,
    skipCount: e.skipCount,
    recallCount: e.recallCount,
    calledAt: ts(e.calledAt),
    completedAt: ts(e.completedAt),
    estimatedCallAt: ts(e.estimatedCallAt),
    walkIn: e.appointmentId === undefined,
    transferredFromEntryId: e.transferredFromEntryId ?? '',
    transferredToDoctorId: e.transferredToDoctorId ?? '',
    doctorId: e.doctorId,
    serviceDate: e.serviceDate,
  };
}

export function pauseMessage(p: QueuePause) {
  return { paused: p.paused, pausedAt: ts(p.pausedAt), resumeExpectedAt: ts(p.resumeExpectedAt), reason: p.reason };
}

export function queueMessage(q: DoctorQueue) {
  return {
    doctorId: q.doctorId,
    serviceDate: q.serviceDate,
    entries: q.entries.map(entryMessage),
    seq: q.seq,
    pause: pauseMessage(q.pause),
    timeZone: q.timeZone,
    consultationSeconds: q.consultationSeconds,
  };
}

function lineMessage(p: LinePlace) {
  return { entryId: p.entryId, tokenNumber: p.tokenNumber, estimatedCallAt: ts(p.estimatedCallAt) };
}

export function changeMessage(c: QueueChange) {
  return {
    seq: c.seq,
    type: c.type,
    at: toTimestamp(c.at),
    entries: c.entries.map(entryMessage),
    line: c.line.map(lineMessage),
    pause: pauseMessage(c.pause),
  };
}

export function rulesMessage(r: QueueRules) {
  return {
    maxPriorityPasses: r.maxPriorityPasses,
    skipReturnAfter: r.skipReturnAfter,
    defaultConsultationSeconds: r.defaultConsultationSeconds,
  };
}

const PRIORITIES: Record<string, PriorityClass> = {
  QUEUE_PRIORITY_NORMAL: 'NORMAL',
  QUEUE_PRIORITY_SENIOR: 'SENIOR',
  QUEUE_PRIORITY_DISABLED: 'DISABLED',
  QUEUE_PRIORITY_EMERGENCY: 'EMERGENCY',
};

/** A proto priority as the domain's class; UNSPECIFIED reads as NORMAL where `fallback` allows it. */
export function priorityOf(value: unknown, fallback: PriorityClass | undefined): PriorityClass | undefined {
  return PRIORITIES[String(value)] ?? (value === 'QUEUE_PRIORITY_UNSPECIFIED' || !value ? fallback : undefined);
}
