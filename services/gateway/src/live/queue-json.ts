/**
 * The live stream's JSON: a queue snapshot and its changes, from the queue
 * service's messages. Staff see every field; a waiting-room display sees what
 * a public screen may show (tokens, rooms, estimates), never who the patients are.
 */
import { fromTimestamp, type QueueEntry__Output as QueueEntry, type Timestamp__Output } from '@hms/proto';
import type { QueueChange__Output, GetQueueResponse__Output } from '@hms/proto';

export type View = 'staff' | 'display';

const iso = (ts: Timestamp__Output | null | undefined) => fromTimestamp(ts)?.toISOString() ?? null;
const enumValue = (value: string | undefined, prefix: string) => (value ?? '').replace(prefix, '').toLowerCase();

export interface EntryJson {
  id: string;
  tokenNumber: number;
  status: string;
  position: number;
  priority: string;
  room: string;
  calledAt: string | null;
  estimatedCallAt: string | null;
  recallCount: number;
  skipCount: number;
  walkIn: boolean;
  appointmentId?: string | null;
  patientId?: string;
  joinedAt?: string | null;
  completedAt?: string | null;
  transferredFromEntryId?: string | null;
  transferredToDoctorId?: string | null;
  traceId?: string;
}

export function entryJson(e: QueueEntry, view: View): EntryJson {
  const shown: EntryJson = {
    id: e.id,
    tokenNumber: e.tokenNumber,
    status: enumValue(e.status as string, 'QUEUE_ENTRY_STATUS_'),
    position: e.position,
    priority: enumValue(e.priorityClass as string, 'QUEUE_PRIORITY_'),
    room: e.room,
    calledAt: iso(e.calledAt as Timestamp__Output),
    estimatedCallAt: iso(e.estimatedCallAt as Timestamp__Output),
    recallCount: e.recallCount,
    skipCount: e.skipCount,
    walkIn: e.walkIn,
  };
  if (view === 'display') return shown;
  return {
    ...shown,
    appointmentId: e.appointmentId || null,
    patientId: e.patientId,
    joinedAt: iso(e.joinedAt as Timestamp__Output),
    completedAt: iso(e.completedAt as Timestamp__Output),
    transferredFromEntryId: e.transferredFromEntryId || null,
    transferredToDoctorId: e.transferredToDoctorId || null,
    traceId: e.traceId,
  };
}

export function pauseJson(p: GetQueueResponse__Output['pause']) {
  return {
    paused: p?.paused ?? false,
    pausedAt: iso(p?.pausedAt),
    resumeExpectedAt: iso(p?.resumeExpectedAt),
    reason: p?.reason ?? '',
  };
}

export function lineJson(change: QueueChange__Output) {
  return change.line.map((p, i) => ({
    entryId: p.entryId,
    tokenNumber: p.tokenNumber,
    position: i + 1,
    estimatedCallAt: iso(p.estimatedCallAt),
  }));
}

/** `2030-01-07` + seq 42 -> 203001070000042: one number that grows across changes and across days. */
export function eventIdOf(serviceDate: string, seq: number): string {
  return `${serviceDate.replaceAll('-', '')}${String(seq).padStart(7, '0')}`;
}

/** The day and seq of a Last-Event-ID, if it is one of ours. */
export function parseEventId(id: string | undefined): { serviceDate: string; seq: number } | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{7})$/.exec(id?.trim() ?? '');
  if (!m) return undefined;
  return { serviceDate: `${m[1]}-${m[2]}-${m[3]}`, seq: Number(m[4]) };
}
