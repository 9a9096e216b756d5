/**
 * The scheduling domain as plain data; repositories map rows to these.
 * Reference data (departments, doctors with their calendars, settings) is
 * JSON-safe (instants as ISO strings), because caches keep it as JSON.
 */

export type AppointmentStatus = 'BOOKED' | 'CHECKED_IN' | 'IN_CONSULTATION' | 'COMPLETED' | 'CANCELLED' | 'NO_SHOW';
export type ConsultationMode = 'IN_PERSON' | 'VIDEO';
export type CancelledBy = 'PATIENT' | 'STAFF';

export interface Department {
  id: string;
  tenantId: string;
  name: string;
  description: string;
  active: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface Doctor {
  id: string;
  tenantId: string;
  departmentId: string;
  fullName: string;
  specialization: string;
  qualifications: string[];
  /** ISO 639-1 codes. */
  languages: string[];
  consultationModes: ConsultationMode[];
  yearsOfExperience: number;
  /** Fees in minor units of `currency`. */
  consultationFeeMinor: number;
  hospitalFeeMinor: number;
  currency: string;
  /** IANA zone of the doctor's clinic: decides the service day and working hours. */
  timeZone: string;
  active: boolean;
  /** Grows with every change of the doctor or of their calendar. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Working hours of a weekday, minutes after local midnight, [startMinute, endMinute). */
export interface Session {
  /** ISO weekday: 1 = Monday ... 7 = Sunday. */
  weekday: number;
  startMinute: number;
  endMinute: number;
}

/** A weekly template, valid from validFrom to validTo (inclusive; null: open-ended). */
export interface WeeklySchedule {
  id: string;
  doctorId: string;
  validFrom: string;
  validTo: string | null;
  slotMinutes: number;
  sessions: Session[];
  createdAt: string;
  updatedAt: string;
}

export type ExceptionKind = 'LEAVE' | 'EXTRA' | 'BLOCKED';

export interface ScheduleException {
  id: string;
  doctorId: string;
  date: string;
  kind: ExceptionKind;
  startMinute: number | null;
  endMinute: number | null;
  slotMinutes: number | null;
  reason: string;
  createdAt: string;
}

/** A doctor's calendar: every weekly template and the exceptions from yesterday on. */
export interface Calendar {
  schedules: WeeklySchedule[];
  exceptions: ScheduleException[];
}

/** What the cache keeps per doctor: the doctor and their calendar, at one version. */
export interface DoctorRecord {
  doctor: Doctor;
  calendar: Calendar;
}

export interface Patient {
  id: string;
  tenantId: string;
  mrn: string;
  fullName: string;
  /** E.164, or null when unknown. */
  phone: string | null;
  /** YYYY-MM-DD, or null when unknown. */
  dateOfBirth: string | null;
  active: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface Appointment {
  id: string;
  tenantId: string;
  patientId: string;
  doctorId: string;
  departmentId: string;
  startsAt: Date;
  endsAt: Date;
  /** The doctor's local calendar day, YYYY-MM-DD. */
  serviceDate: string;
  status: AppointmentStatus;
  mode: ConsultationMode;
  reason: string;
  /** Why the status last changed. */
  statusReason: string;
  cancelledBy: CancelledBy | null;
  consultationFeeMinor: number;
  hospitalFeeMinor: number;
  currency: string;
  idempotencyKey: string | null;
  traceId: string;
  createdAt: Date;
  checkedInAt: Date | null;
  cancelledAt: Date | null;
  consultationStartedAt: Date | null;
  completedAt: Date | null;
}

/** One row of an appointment's history. */
export interface HistoryEntry {
  id: string;
  appointmentId: string;
  from: AppointmentStatus | null;
  to: AppointmentStatus;
  actorId: string;
  reason: string;
  movedFrom: Date | null;
  movedTo: Date | null;
  at: Date;
}

/** A patient's hold on a doctor's slot; it counts until expiresAt. */
export interface SlotHold {
  id: string;
  tenantId: string;
  doctorId: string;
  patientId: string;
  startsAt: Date;
  endsAt: Date;
  serviceDate: string;
  expiresAt: Date;
}

/** A hold or an appointment occupying a doctor's time, as the slot view needs it. */
export interface Claim {
  startsAt: Date;
  endsAt: Date;
  kind: 'HOLD' | 'APPOINTMENT';
  /** Holds only. */
  expiresAt: Date | null;
}

export interface SchedulingSettings {
  holdMinutes: number;
  cancellationWindowMinutes: number;
  noShowGraceMinutes: number;
  reminderOffsetsMinutes: number[];
  mrnFormat: string;
  phoneRegion: string;
}

export type SlotStatus = 'FREE' | 'HELD' | 'BOOKED';

export interface Slot {
  startsAt: Date;
  endsAt: Date;
  serviceDate: string;
}

export interface SlotWithStatus extends Slot {
  status: SlotStatus;
}

/** A reminder to send: due at an offset before the appointment's slot. */
export interface Reminder {
  appointmentId: string;
  offsetMinutes: number;
  dueAt: Date;
}

/** The day's counts of one doctor (or summed over several). */
export interface DayCounts {
  booked: number;
  checkedIn: number;
  inConsultation: number;
  seen: number;
  noShow: number;
  cancelled: number;
  waitSecondsTotal: number;
  waits: number;
}

export interface DoctorDayStats {
  serviceDate: string;
  doctorId: string;
  departmentId: string;
  counts: DayCounts;
  updatedAt: Date;
}
