/**
 * The domain as proto messages and back: one mapping per type, enum names with
 * their proto prefixes, instants as Timestamps, and the request fields every
 * handler parses the same way.
 */
import { decodeCursor, encodeCursor } from '@hms/platform';
import { InvalidArgumentError, isCalendarDate } from '@hms/platform/domain';
import { fromTimestamp, toTimestamp, type Timestamp } from '@hms/proto';
import { z } from 'zod';
import type { MatchCursor } from '../domain/scheduling-store.js';
import type {
  Appointment,
  AppointmentStatus,
  ConsultationMode,
  Department,
  Doctor,
  HistoryEntry,
  Patient,
  ScheduleException,
  SchedulingSettings,
  SlotHold,
  SlotWithStatus,
  WeeklySchedule,
} from '../domain/types.js';

// --- request fields ------------------------------------------------------------------------

export const uuid = z.uuid({ error: 'must be a UUID' }).transform((id) => id.toLowerCase());
/** Empty (proto3's unset) or a UUID. */
export const optionalUuid = z.union([z.literal('').transform(() => undefined), uuid]);
export const date = z.string().refine(isCalendarDate, { error: 'must be a calendar date, YYYY-MM-DD' });
export const optionalDate = z.union([z.literal('').transform(() => undefined), date]);
export const idempotencyKey = z.string().max(200, { error: 'must be at most 200 characters' });
export const instant = (value: Timestamp | null | undefined) => fromTimestamp(value);
export const requiredInstant = z.date({ error: 'required' });

/** Refuses one field of a request. */
export function invalidField(field: string, message: string): never {
  throw new InvalidArgumentError('invalid request', [{ field, message }]);
}

const prefixed =
  <T extends string>(prefix: string, values: readonly T[]) =>
  (value: string | undefined): T | undefined => {
    const bare = (value ?? '').replace(prefix, '') as T;
    return values.includes(bare) ? bare : undefined;
  };

export const MODES = ['IN_PERSON', 'VIDEO'] as const;
export const modeOf = prefixed<ConsultationMode>('CONSULTATION_MODE_', MODES);
export const STATUSES = ['BOOKED', 'CHECKED_IN', 'IN_CONSULTATION', 'COMPLETED', 'CANCELLED', 'NO_SHOW'] as const;
export const statusOf = prefixed<AppointmentStatus>('APPOINTMENT_STATUS_', STATUSES);

export const modeMessage = (mode: ConsultationMode) => `CONSULTATION_MODE_${mode}` as const;
export const at = (d: Date | null | undefined) => (d ? toTimestamp(d) : null);
const atIso = (s: string) => toTimestamp(new Date(s));

// --- cursors -------------------------------------------------------------------------------

const appointmentCursor = z.object({ s: z.iso.datetime(), id: z.uuid() });
export const encodeAppointmentCursor = (a: Appointment) => encodeCursor({ s: a.startsAt.toISOString(), id: a.id });
export function decodeAppointmentCursor(value: string) {
  const c = decodeCursor(appointmentCursor, value);
  return { startsAt: new Date(c.s), id: c.id };
}

const matchCursor = z.object({ score: z.string().regex(/^[\d.eE+-]+$/), id: z.uuid() });
export const encodeMatchCursor = (m: { score: number; patient: { id: string } }) =>
  encodeCursor({ score: String(m.score), id: m.patient.id });
export function decodeMatchCursor(value: string): MatchCursor {
  const c = decodeCursor(matchCursor, value);
  return { score: Number(c.score), id: c.id };
}

// --- messages ------------------------------------------------------------------------------

export function appointmentMessage(a: Appointment) {
  return {
    id: a.id,
    patientId: a.patientId,
    doctorId: a.doctorId,
    departmentId: a.departmentId,
    startsAt: toTimestamp(a.startsAt),
    endsAt: toTimestamp(a.endsAt),
    serviceDate: a.serviceDate,
    status: `APPOINTMENT_STATUS_${a.status}` as const,
    reason: a.reason,
    consultationFeeMinor: a.consultationFeeMinor,
    hospitalFeeMinor: a.hospitalFeeMinor,
    currency: a.currency,
    createdAt: toTimestamp(a.createdAt),
    checkedInAt: at(a.checkedInAt),
    traceId: a.traceId,
    mode: modeMessage(a.mode),
    statusReason: a.statusReason,
    cancelledBy: a.cancelledBy ? (`CANCELLED_BY_${a.cancelledBy}` as const) : ('CANCELLED_BY_UNSPECIFIED' as const),
    cancelledAt: at(a.cancelledAt),
    consultationStartedAt: at(a.consultationStartedAt),
    completedAt: at(a.completedAt),
  };
}

export function historyMessage(h: HistoryEntry) {
  return {
    id: h.id,
    fromStatus: h.from ? (`APPOINTMENT_STATUS_${h.from}` as const) : ('APPOINTMENT_STATUS_UNSPECIFIED' as const),
    toStatus: `APPOINTMENT_STATUS_${h.to}` as const,
    actorId: h.actorId,
    reason: h.reason,
    changedAt: toTimestamp(h.at),
    movedFrom: at(h.movedFrom),
    movedTo: at(h.movedTo),
  };
}

export function departmentMessage(d: Department) {
  return {
    id: d.id,
    name: d.name,
    description: d.description,
    active: d.active,
    version: d.version,
    createdAt: atIso(d.createdAt),
    updatedAt: atIso(d.updatedAt),
  };
}

export function doctorMessage(d: Doctor) {
  return {
    id: d.id,
    departmentId: d.departmentId,
    fullName: d.fullName,
    specialization: d.specialization,
    qualifications: d.qualifications,
    languages: d.languages,
    consultationModes: d.consultationModes.map(modeMessage),
    yearsOfExperience: d.yearsOfExperience,
    fees: { consultationFeeMinor: d.consultationFeeMinor, hospitalFeeMinor: d.hospitalFeeMinor, currency: d.currency },
    timeZone: d.timeZone,
    active: d.active,
    version: d.version,
    createdAt: atIso(d.createdAt),
    updatedAt: atIso(d.updatedAt),
  };
}

export function slotMessage(s: SlotWithStatus) {
  return {
    startsAt: toTimestamp(s.startsAt),
    endsAt: toTimestamp(s.endsAt),
    serviceDate: s.serviceDate,
    status: `SLOT_STATUS_${s.status}` as const,
  };
}

/**
 * Slots (in time order) as runs: a run holds the slots that follow one another
 * without a gap, of one length and one local day, with one status each.
 */
export function slotRunMessages(slots: SlotWithStatus[]) {
  type Status = `SLOT_STATUS_${SlotWithStatus['status']}`;
  const runs: { startsAt: Timestamp; slotMinutes: number; serviceDate: string; statuses: Status[] }[] = [];
  let last: { ends: number; length: number; serviceDate: string; statuses: Status[] } | undefined;
  for (const slot of slots) {
    const starts = slot.startsAt.getTime();
    const length = slot.endsAt.getTime() - starts;
    const status: Status = `SLOT_STATUS_${slot.status}`;
    if (last?.ends === starts && last.length === length && last.serviceDate === slot.serviceDate) {
      last.statuses.push(status);
      last.ends += length;
      continue;
    }
    last = { ends: starts + length, length, serviceDate: slot.serviceDate, statuses: [status] };
    runs.push({
      startsAt: toTimestamp(slot.startsAt),
      slotMinutes: length / 60_000,
      serviceDate: slot.serviceDate,
      statuses: last.statuses,
    });
  }
  return runs;
}

export function scheduleMessage(s: WeeklySchedule) {
  return {
    id: s.id,
    doctorId: s.doctorId,
    validFrom: s.validFrom,
    validTo: s.validTo ?? '',
    slotMinutes: s.slotMinutes,
    sessions: s.sessions,
    createdAt: atIso(s.createdAt),
    updatedAt: atIso(s.updatedAt),
  };
}

export function exceptionMessage(e: ScheduleException) {
  return {
    id: e.id,
    doctorId: e.doctorId,
    date: e.date,
    kind: `SCHEDULE_EXCEPTION_KIND_${e.kind}` as const,
    ...(e.startMinute !== null ? { startMinute: e.startMinute } : {}),
    ...(e.endMinute !== null ? { endMinute: e.endMinute } : {}),
    ...(e.slotMinutes !== null ? { slotMinutes: e.slotMinutes } : {}),
    reason: e.reason,
    createdAt: atIso(e.createdAt),
  };
}

export function holdMessage(h: SlotHold) {
  return {
    id: h.id,
    doctorId: h.doctorId,
    patientId: h.patientId,
    startsAt: toTimestamp(h.startsAt),
    endsAt: toTimestamp(h.endsAt),
    serviceDate: h.serviceDate,
    expiresAt: toTimestamp(h.expiresAt),
  };
}

export function patientMessage(p: Patient) {
  return {
    id: p.id,
    mrn: p.mrn,
    fullName: p.fullName,
    phone: p.phone ?? '',
    dateOfBirth: p.dateOfBirth ?? '',
    active: p.active,
    createdAt: toTimestamp(p.createdAt),
    updatedAt: toTimestamp(p.updatedAt),
  };
}

export function settingsMessage(s: SchedulingSettings) {
  return { ...s };
}
