/**
 * Proto messages as the REST API's JSON: camelCase fields, ISO-8601 UTC times,
 * money as integer minor units beside its currency, enum values lower_snake
 * without their proto prefix. One mapping per resource.
 */
import {
  fromTimestamp,
  type Appointment,
  type AuditRecord,
  type Bill,
  type GetQueueResponse__Output,
  type QueueEntry__Output,
  type Timestamp__Output,
  type VerifyTrailResult,
} from '@hms/proto';
import { entryJson, pauseJson } from '../live/queue-json.js';

function iso(ts: Timestamp__Output | null | undefined): string | null {
  return fromTimestamp(ts)?.toISOString() ?? null;
}

/** APPOINTMENT_STATUS_CHECKED_IN -> checked_in */
function enumValue(value: string | undefined, prefix: string): string {
  return (value ?? '').replace(prefix, '').toLowerCase();
}

export function appointmentJson(a: Appointment) {
  return {
    id: a.id,
    patientId: a.patientId,
    doctorId: a.doctorId,
    departmentId: a.departmentId,
    startsAt: iso(a.startsAt as Timestamp__Output),
    endsAt: iso(a.endsAt as Timestamp__Output),
    serviceDate: a.serviceDate,
    status: enumValue(a.status as string, 'APPOINTMENT_STATUS_'),
    reason: a.reason,
    consultationFeeMinor: Number(a.consultationFeeMinor),
    hospitalFeeMinor: Number(a.hospitalFeeMinor),
    currency: a.currency,
    createdAt: iso(a.createdAt as Timestamp__Output),
    checkedInAt: iso(a.checkedInAt as Timestamp__Output),
    traceId: a.traceId,
  };
}

export function billJson(b: Bill) {
  return {
    id: b.id,
    appointmentId: b.appointmentId,
    patientId: b.patientId,
    status: enumValue(b.status as string, 'BILL_STATUS_'),
    currency: b.currency,
    totalMinor: Number(b.totalMinor),
    paidMinor: Number(b.paidMinor),
    items: (b.items ?? []).map((item) => ({
      id: item.id,
      kind: enumValue(item.kind as string, 'BILL_ITEM_KIND_'),
      description: item.description,
      quantity: item.quantity,
      unitPriceMinor: Number(item.unitPriceMinor),
      amountMinor: Number(item.amountMinor),
    })),
    createdAt: iso(b.createdAt as Timestamp__Output),
    traceId: b.traceId,
  };
}

/** A doctor's queue of one day: entries in calling order (staff view), its last change's seq and its pause. */
export function queueJson(q: GetQueueResponse__Output) {
  return {
    doctorId: q.doctorId,
    serviceDate: q.serviceDate,
    timeZone: q.timeZone,
    seq: q.seq,
    consultationSeconds: q.consultationSeconds,
    pause: pauseJson(q.pause),
    entries: q.entries.map((e: QueueEntry__Output) => entryJson(e, 'staff')),
  };
}

export function auditRecordJson(r: AuditRecord) {
  let data: unknown = null;
  try {
    data = r.dataJson ? JSON.parse(r.dataJson) : null;
  } catch {
    data = r.dataJson;
  }
  return {
    id: r.id,
    eventId: r.eventId,
    eventType: r.eventType,
    source: r.source,
    entityType: r.entityType,
    entityId: r.entityId,
    actorKind: r.actorKind,
    actorId: r.actorId,
    patientId: r.patientId || null,
    occurredAt: iso(r.occurredAt as Timestamp__Output),
    recordedAt: iso(r.recordedAt as Timestamp__Output),
    traceId: r.traceId,
    data,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

/** A trail verification: intact with the records checked, or the first break (problem as e.g. missing_record). */
export function trailVerificationJson(v: VerifyTrailResult) {
  return {
    intact: v.intact,
    checked: v.checked,
    firstSeq: v.firstSeq,
    lastSeq: v.lastSeq,
    anchoredSeq: v.anchoredSeq,
    broken: v.intact ? null : { seq: v.brokenSeq, problem: enumValue(v.problem, 'CHAIN_PROBLEM_'), reason: v.reason },
  };
}
