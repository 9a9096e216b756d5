/**
 * What the scheduling use cases need from storage (src/db implements it in
 * SQL on the service's database; src/testing in memory for unit tests), and
 * from the reference-data cache.
 */
import { AlreadyExistsError, type IdempotencyClaim, type PendingEvent } from '@hms/platform/domain';
import type {
  Appointment,
  AppointmentStatus,
  Claim,
  DayCounts,
  Department,
  Doctor,
  DoctorDayStats,
  DoctorRecord,
  HistoryEntry,
  Patient,
  Reminder,
  ScheduleException,
  SchedulingSettings,
  SlotHold,
  WeeklySchedule,
} from './types.js';

/** What a plan's quotas count here. */
export type QuotaCounted = 'doctors' | 'patients' | 'appointments';

export interface SchedulingStore {
  /** Runs `fn` in one transaction of the tenant: its changes and their events commit together, or not at all. */
  change<T>(tenantId: string, fn: (tx: SchedulingTx) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in a read-only transaction of the tenant. Its statements are planned generically
   * unless `plannedForValues` (the patient search's functions, tuned for their values).
   */
  read<T>(
    tenantId: string,
    fn: (reads: SchedulingReads) => Promise<T>,
    options?: { plannedForValues?: boolean },
  ): Promise<T>;
}

export interface DoctorFilter {
  departmentId?: string | undefined;
  /** Compared case-insensitively, whole. */
  specialization?: string | undefined;
  mode?: 'IN_PERSON' | 'VIDEO' | undefined;
  language?: string | undefined;
  includeInactive: boolean;
}

export type AppointmentFilter =
  | { by: 'doctor-day'; doctorId: string; serviceDate: string; statuses: AppointmentStatus[] }
  | { by: 'day'; serviceDate: string; departmentId?: string | undefined; statuses: AppointmentStatus[] }
  | { by: 'patient'; patientId: string; timeframe: 'upcoming' | 'past'; now: Date; statuses: AppointmentStatus[] };

/** Where a page of appointments continues: after this appointment in the list's order. */
export interface AppointmentCursor {
  startsAt: Date;
  id: string;
}

export interface PatientSearch {
  /** Matched exactly, case-insensitively, in any case. */
  mrn: string;
  phone?: { digits: string; e164: string | undefined } | undefined;
  name?: { text: string; words: string[] } | undefined;
}

export interface PatientMatch {
  patient: Patient;
  matchedBy: 'mrn' | 'phone' | 'name';
  score: number;
}

/** Where a page of search results continues: after this score and id. */
export interface MatchCursor {
  score: number;
  id: string;
}

export interface SchedulingReads {
  department(id: string): Promise<Department | undefined>;
  departments(includeInactive: boolean, limit: number, afterId?: string): Promise<Department[]>;
  /** The doctor and their calendar, fresh from storage (the cache's loader). */
  doctorRecord(id: string): Promise<DoctorRecord | undefined>;
  /** Doctors matching the filter, by id, after `afterId`. */
  doctors(filter: DoctorFilter, limit: number, afterId?: string): Promise<Doctor[]>;
  /** Holds and appointments of the doctors overlapping [from, to). */
  claims(doctorIds: string[], from: Date, to: Date): Promise<Map<string, Claim[]>>;
  exceptions(doctorId: string, from: string, to: string | null): Promise<ScheduleException[]>;
  schedules(doctorId: string): Promise<WeeklySchedule[]>;
  patient(id: string): Promise<Patient | undefined>;
  searchPatients(search: PatientSearch, limit: number, after?: MatchCursor): Promise<PatientMatch[]>;
  appointment(id: string): Promise<Appointment | undefined>;
  appointments(filter: AppointmentFilter, limit: number, after?: AppointmentCursor): Promise<Appointment[]>;
  /** History rows oldest first, after the row `afterId`. */
  history(appointmentId: string, limit: number, afterId?: string): Promise<HistoryEntry[]>;
  hold(id: string): Promise<SlotHold | undefined>;
  dayStats(serviceDate: string, departmentId?: string): Promise<DoctorDayStats[]>;
  settings(): Promise<SchedulingSettings | undefined>;
}

/** A booking to insert with its effects, in one statement where the store can. */
export interface NewBooking {
  appointment: Appointment;
  history: HistoryEntry;
  events: PendingEvent[];
  reminders: Reminder[];
  /** The doctor's version the booking was planned against (the row is share-locked and compared). */
  doctorVersion: number;
  /** The patient's hold to turn into the appointment, if any. */
  holdId?: string | undefined;
  idempotency?: IdempotencyClaim | undefined;
  now: Date;
}

export type BookingOutcome =
  | { inserted: true }
  /** The doctor changed since it was read (the cache was behind): plan again with `version`. */
  | { inserted: false; reason: 'doctor-changed' }
  | { inserted: false; reason: 'unknown-patient' | 'inactive-patient' | 'hold-not-usable' };

/** What a status change does to the appointment's claim on the doctor's time and to its reminders. */
export interface TransitionEffects {
  /** 'release': the slot is free again; a range: the claim moves there. */
  claim?: 'release' | { startsAt: Date; endsAt: Date; holdId?: string | undefined } | undefined;
  /** 'drop': no more reminders; a list: these replace the unsent ones. */
  reminders?: 'drop' | Reminder[] | undefined;
}

export interface SchedulingTx extends SchedulingReads {
  /**
   * Claims an idempotency key for this transaction: undefined when it is new,
   * the stored result of the first request when the same request comes again.
   * A key reused for a different request is refused.
   */
  replayOf(claim: IdempotencyClaim): Promise<unknown>;
  remember(claim: IdempotencyClaim, result: unknown): Promise<void>;
  /**
   * The tenant's doctors, patients, or appointments booked since `since` (the
   * month's start), counted under a transaction lock of the tenant's count of
   * that kind: two creations at a quota's edge cannot both see room. Asked
   * only when the plan has that quota.
   */
  countForQuota(what: QuotaCounted, since?: Date): Promise<number>;

  // --- departments and doctors ---------------------------------------------------------
  lockDepartment(id: string): Promise<Department | undefined>;
  /** Throws AlreadyExistsError when the tenant has a department of that name. */
  insertDepartment(department: Department, events: PendingEvent[]): Promise<void>;
  saveDepartment(department: Department, events: PendingEvent[]): Promise<void>;
  activeDoctorsIn(departmentId: string): Promise<number>;
  /** The doctor and calendar, locked until the transaction ends: calendar changes go one at a time. */
  lockDoctor(id: string): Promise<DoctorRecord | undefined>;
  /** The doctor's current version, share-locked (a calendar change waits for this transaction). */
  doctorVersion(id: string): Promise<number | undefined>;
  insertDoctor(doctor: Doctor, schedules: WeeklySchedule[], events: PendingEvent[]): Promise<void>;
  saveDoctor(doctor: Doctor, events: PendingEvent[]): Promise<void>;
  insertSchedule(doctorId: string, schedule: WeeklySchedule): Promise<void>;
  saveSchedule(doctorId: string, schedule: WeeklySchedule): Promise<void>;
  deleteSchedule(doctorId: string, scheduleId: string): Promise<void>;
  insertException(doctorId: string, exception: ScheduleException): Promise<void>;
  deleteException(doctorId: string, exceptionId: string): Promise<void>;

  // --- patients ------------------------------------------------------------------------
  lockPatient(id: string): Promise<Patient | undefined>;
  /** The patient, share-locked: not deactivated until this transaction ends. */
  patientForBooking(id: string): Promise<Patient | undefined>;
  nextMrnSequence(): Promise<number>;
  /** Active patients with this phone whose name is similar to these words. */
  likelyDuplicates(phone: string, nameText: string): Promise<Patient[]>;
  /** Saves the patient with its name words and events; false (nothing saved) when its MRN is taken. */
  insertPatient(patient: Patient, nameWords: string[], events: PendingEvent[]): Promise<boolean>;
  savePatient(patient: Patient, nameWords: string[], events: PendingEvent[]): Promise<void>;

  // --- holds and appointments ----------------------------------------------------------
  /**
   * Deletes expired holds overlapping [startsAt, endsAt) of the doctor or the
   * patient (but `except`): an expired hold never blocks anyone.
   */
  clearExpiredHolds(c: {
    doctorId: string;
    patientId: string;
    startsAt: Date;
    endsAt: Date;
    now: Date;
    except?: string | undefined;
  }): Promise<void>;
  /** Throws SlotTakenError or PatientBusyError when the time is claimed. */
  insertHold(hold: SlotHold): Promise<void>;
  lockHold(id: string): Promise<SlotHold | undefined>;
  deleteHold(id: string): Promise<void>;
  /**
   * Saves a new booking (claim, appointment, first history row, reminders,
   * events, idempotent result) unless its preconditions fail. Throws
   * SlotTakenError or PatientBusyError when the time is claimed.
   */
  insertBooking(booking: NewBooking): Promise<BookingOutcome>;
  /** The appointment, locked until the transaction ends. */
  lockAppointment(id: string): Promise<Appointment | undefined>;
  /**
   * Saves the appointment's new state, the history row of the change, its
   * events and its effects on the claim and the reminders. Throws
   * SlotTakenError or PatientBusyError when a moved claim lands on claimed time.
   */
  saveTransition(
    appointment: Appointment,
    history: HistoryEntry,
    events: PendingEvent[],
    effects?: TransitionEffects,
  ): Promise<void>;
  /** The doctor's BOOKED and CHECKED_IN appointments starting from `from`, in order. */
  openAppointments(doctorId: string, from: Date): Promise<Appointment[]>;

  /**
   * Marks up to `limit` of the tenant's unsent reminders due by `now` as sent
   * (skipping any another transaction holds) and returns them with what their
   * events say; a reminder whose slot has begun is marked and not returned.
   */
  takeDueReminders(now: Date, limit: number): Promise<DueReminder[]>;
  /** Adds events to the transaction (written with its changes, or not at all). */
  emit(events: PendingEvent[]): void;

  // --- settings and the read model -----------------------------------------------------
  saveSettings(settings: SchedulingSettings): Promise<void>;
  /** Adds counts to the day rows of doctors (creating them). */
  addDayCounts(
    deltas: { serviceDate: string; doctorId: string; departmentId: string; counts: DayCounts }[],
    at: Date,
  ): Promise<void>;
}

export interface DueReminder {
  reminder: Reminder;
  appointment: Pick<Appointment, 'id' | 'tenantId' | 'patientId' | 'doctorId' | 'startsAt' | 'serviceDate'>;
  timeZone: string;
}

/** What the recurring jobs read across tenants before working in each tenant's transactions. */
export interface SweepStore {
  /** BOOKED or CHECKED_IN appointments whose slot ended more than the tenant's grace period ago. */
  overdueAppointments(
    now: Date,
    defaultGraceMinutes: number,
    limit: number,
  ): Promise<{ tenantId: string; appointmentId: string }[]>;
  /** Tenants with unsent reminders due by `now`. */
  tenantsWithDueReminders(now: Date, limit: number): Promise<string[]>;
  /** Deletes holds that expired before `before`; how many. */
  deleteExpiredHolds(before: Date, limit: number): Promise<number>;
}

/** Reference data through the cache: what most requests read, rarely changes. */
export interface ReferenceData {
  doctor(tenantId: string, id: string): Promise<DoctorRecord | undefined>;
  department(tenantId: string, id: string): Promise<Department | undefined>;
  settings(tenantId: string): Promise<SchedulingSettings>;
  /** Called after a change committed: every process drops what it held of it. */
  changed(kind: 'doctor' | 'department' | 'settings', tenantId: string, id: string, version?: number): Promise<void>;
}

/** The database refused a claim: the doctor's time is already held or booked. */
export class SlotTakenError extends AlreadyExistsError {
  override readonly name = 'SlotTakenError';
  constructor(field = 'startsAt') {
    super('that slot is already held or booked', [{ field, message: 'slot taken' }]);
  }
}

/** The database refused a claim: the patient has another hold or appointment at that time. */
export class PatientBusyError extends AlreadyExistsError {
  override readonly name = 'PatientBusyError';
  constructor() {
    super('the patient already has an appointment or a hold at that time', [
      { field: 'patientId', message: 'has an overlapping appointment or hold' },
    ]);
  }
}
