/**
 * SchedulingStore and SweepStore in SQL on the service's database (the write
 * path of @hms/platform). Hot paths are single statements: a booking (its
 * checks, the claim, the appointment, the history row, the reminders and the
 * idempotent result) and a status change are one round trip each.
 */
import {
  claimIdempotencyKey,
  newId,
  rememberResult,
  violatedConstraint,
  type Database,
  type Sql,
  type Transaction,
  GENERIC_PLANS,
} from '@hms/platform';
import { AlreadyExistsError, type PendingEvent } from '@hms/platform/domain';
import {
  PatientBusyError,
  SlotTakenError,
  type AppointmentCursor,
  type AppointmentFilter,
  type BookingOutcome,
  type DoctorFilter,
  type MatchCursor,
  type NewBooking,
  type PatientMatch,
  type PatientSearch,
  type QuotaCounted,
  type SchedulingReads,
  type SchedulingStore,
  type SchedulingTx,
  type SweepStore,
  type TransitionEffects,
} from '../domain/scheduling-store.js';
import type {
  Appointment,
  Claim,
  Department,
  Doctor,
  DoctorDayStats,
  DoctorRecord,
  HistoryEntry,
  Patient,
  ScheduleException,
  SchedulingSettings,
  SlotHold,
  WeeklySchedule,
} from '../domain/types.js';

// --- rows and their mapping ----------------------------------------------------------------

export const APPOINTMENT_COLUMNS = `id, tenant_id, patient_id, doctor_id, department_id, starts_at, ends_at, service_date,
  status, mode, reason, status_reason, cancelled_by, consultation_fee_minor, hospital_fee_minor, currency,
  idempotency_key, trace_id, created_at, checked_in_at, cancelled_at, consultation_started_at, completed_at`;

export interface AppointmentRow {
  id: string;
  tenant_id: string;
  patient_id: string;
  doctor_id: string;
  department_id: string;
  starts_at: Date;
  ends_at: Date;
  service_date: string;
  status: Appointment['status'];
  mode: Appointment['mode'];
  reason: string;
  status_reason: string;
  cancelled_by: Appointment['cancelledBy'];
  consultation_fee_minor: number;
  hospital_fee_minor: number;
  currency: string;
  idempotency_key: string | null;
  trace_id: string;
  created_at: Date;
  checked_in_at: Date | null;
  cancelled_at: Date | null;
  consultation_started_at: Date | null;
  completed_at: Date | null;
}

export function toAppointment(r: AppointmentRow): Appointment {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    patientId: r.patient_id,
    doctorId: r.doctor_id,
    departmentId: r.department_id,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    serviceDate: r.service_date,
    status: r.status,
    mode: r.mode,
    reason: r.reason,
    statusReason: r.status_reason,
    cancelledBy: r.cancelled_by,
    consultationFeeMinor: r.consultation_fee_minor,
    hospitalFeeMinor: r.hospital_fee_minor,
    currency: r.currency,
    idempotencyKey: r.idempotency_key,
    traceId: r.trace_id,
    createdAt: r.created_at,
    checkedInAt: r.checked_in_at,
    cancelledAt: r.cancelled_at,
    consultationStartedAt: r.consultation_started_at,
    completedAt: r.completed_at,
  };
}

const DEPARTMENT_COLUMNS = 'id, tenant_id, name, description, active, version, created_at, updated_at';

interface DepartmentRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string;
  active: boolean;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

const iso = (v: Date | string) => new Date(v).toISOString();

function toDepartment(r: DepartmentRow): Department {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    description: r.description,
    active: r.active,
    version: r.version,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

const DOCTOR_COLUMNS = `id, tenant_id, department_id, full_name, specialization, qualifications, languages,
  consultation_modes::text[] AS consultation_modes, years_of_experience, consultation_fee_minor, hospital_fee_minor,
  currency, time_zone, active, version, created_at, updated_at`;

interface DoctorRow {
  id: string;
  tenant_id: string;
  department_id: string;
  full_name: string;
  specialization: string;
  qualifications: string[];
  languages: string[];
  consultation_modes: Doctor['consultationModes'];
  years_of_experience: number;
  consultation_fee_minor: number;
  hospital_fee_minor: number;
  currency: string;
  time_zone: string;
  active: boolean;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

function toDoctor(r: DoctorRow): Doctor {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    departmentId: r.department_id,
    fullName: r.full_name,
    specialization: r.specialization,
    qualifications: r.qualifications,
    languages: r.languages,
    consultationModes: r.consultation_modes,
    yearsOfExperience: r.years_of_experience,
    consultationFeeMinor: Number(r.consultation_fee_minor),
    hospitalFeeMinor: Number(r.hospital_fee_minor),
    currency: r.currency,
    timeZone: r.time_zone,
    active: r.active,
    version: r.version,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

interface ScheduleRow {
  id: string;
  doctor_id: string;
  valid_from: string;
  valid_to: string | null;
  slot_minutes: number;
  sessions: WeeklySchedule['sessions'];
  created_at: Date | string;
  updated_at: Date | string;
}

function toSchedule(r: ScheduleRow): WeeklySchedule {
  return {
    id: r.id,
    doctorId: r.doctor_id,
    validFrom: r.valid_from,
    validTo: r.valid_to,
    slotMinutes: r.slot_minutes,
    sessions: r.sessions,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

interface ExceptionRow {
  id: string;
  doctor_id: string;
  date: string;
  kind: ScheduleException['kind'];
  start_minute: number | null;
  end_minute: number | null;
  slot_minutes: number | null;
  reason: string;
  created_at: Date | string;
}

function toException(r: ExceptionRow): ScheduleException {
  return {
    id: r.id,
    doctorId: r.doctor_id,
    date: r.date,
    kind: r.kind,
    startMinute: r.start_minute,
    endMinute: r.end_minute,
    slotMinutes: r.slot_minutes,
    reason: r.reason,
    createdAt: iso(r.created_at),
  };
}

const SCHEDULE_COLUMNS =
  'id, doctor_id, valid_from::text AS valid_from, valid_to::text AS valid_to, slot_minutes, sessions, created_at, updated_at';
const EXCEPTION_COLUMNS =
  'id, doctor_id, date::text AS date, kind, start_minute, end_minute, slot_minutes, reason, created_at';

const PATIENT_COLUMNS = 'id, tenant_id, mrn, full_name, phone, date_of_birth, active, version, created_at, updated_at';

interface PatientRow {
  id: string;
  tenant_id: string;
  mrn: string;
  full_name: string;
  phone: string | null;
  date_of_birth: string | null;
  active: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

function toPatient(r: PatientRow): Patient {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    mrn: r.mrn,
    fullName: r.full_name,
    phone: r.phone,
    dateOfBirth: r.date_of_birth,
    active: r.active,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

interface HoldRow {
  id: string;
  tenant_id: string;
  doctor_id: string;
  patient_id: string;
  starts_at: Date;
  ends_at: Date;
  hold_expires_at: Date;
  service_date: string;
}

const HOLD_SELECT = `SELECT c.id, c.tenant_id, c.doctor_id, c.patient_id, c.starts_at, c.ends_at, c.hold_expires_at,
    (c.starts_at AT TIME ZONE d.time_zone)::date::text AS service_date
  FROM slot_claims c JOIN doctors d ON d.tenant_id = c.tenant_id AND d.id = c.doctor_id
  WHERE c.tenant_id = $1 AND c.id = $2 AND c.kind = 'HOLD'`;

function toHold(r: HoldRow): SlotHold {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    doctorId: r.doctor_id,
    patientId: r.patient_id,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    serviceDate: r.service_date,
    expiresAt: r.hold_expires_at,
  };
}

/** The exclusion constraints on claims, as the domain's errors. */
function claimConflict(error: unknown, field = 'startsAt'): Error | undefined {
  const constraint = violatedConstraint(error, 'exclusion');
  if (constraint === 'slot_claims_doctor_no_overlap') return new SlotTakenError(field);
  if (constraint === 'slot_claims_patient_no_overlap') return new PatientBusyError();
  return undefined;
}

async function claiming<T>(run: () => Promise<T>, field?: string): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw claimConflict(error, field) ?? error;
  }
}

/** The longest a claim may last: slot_claims_length_check (a claim is one slot, of at most 240 minutes). */
const LONGEST_CLAIM = `interval '4 hours'`;

/**
 * Claims (alias `c`) overlapping [from, to), written for the runtime role's index scans:
 * row-level security keeps conditions built on functions that are not leakproof (`&&`,
 * tstzrange()) off them, so a range overlap searched the GiST indexes by tenant and doctor
 * alone, every claim the doctor ever had. Compared by time (leakproof operators), the
 * (tenant_id, doctor_id, starts_at) and (tenant_id, patient_id, starts_at) b-trees find
 * just the claims starting from the longest claim's length before `from` until `to`.
 */
function overlapping(c: string, from: string, to: string): string {
  return `${c}.starts_at > ${from}::timestamptz - ${LONGEST_CLAIM} AND ${c}.starts_at < ${to} AND ${c}.ends_at > ${from}`;
}

/**
 * The claims of some doctors ($2) over [$3, $4), through the doctors' b-tree by time. As
 * `doctor_id = ANY`, not a probe per doctor joined laterally: the GiST indexes cannot serve
 * `= ANY`, and a lateral join's `doctor_id = d.id` is one the planner weighed at a row (the
 * dependency statistics apply to a condition on a value, not on another table's column) and
 * searched through the exclusion constraint's index, every claim of the doctor's history.
 */
export const CLAIMS_OVER_SPAN = `SELECT s.doctor_id, s.starts_at, s.ends_at, s.kind, s.hold_expires_at FROM slot_claims s
  WHERE s.tenant_id = $1 AND s.doctor_id = ANY($2::uuid[]) AND ${overlapping('s', '$3', '$4')}`;

// --- the store -------------------------------------------------------------------------------

/** Exceptions older than this many days are history: not part of a doctor's cached calendar. */
const EXCEPTIONS_KEPT_DAYS = 2;

export interface SchedulingStoreOptions {
  /**
   * Called once a change that touched doctors' slots (a hold, a booking, a release, a move,
   * their calendar or the doctor) has committed, before the caller answers. Leave it out for
   * a store inside another transaction (an event consumer's): that one commits later.
   */
  onSlotsChanged?: (tenantId: string, doctorIds: string[]) => Promise<void>;
}

export function createSchedulingStore(db: Database, options: SchedulingStoreOptions = {}): SchedulingStore {
  const { onSlotsChanged } = options;
  return {
    async change(tenantId, fn) {
      const touched = new Set<string>();
      // Planned generically: plans made for a new tenant's values walk its rows through
      // tenant_id-only indexes (PlanOptions.genericPlans).
      const result = await db.transaction(
        tenantId,
        (tx) => fn(changesIn(tx, (id) => touched.add(id.toLowerCase()))),
        GENERIC_PLANS,
      );
      if (onSlotsChanged && touched.size > 0) await onSlotsChanged(tenantId, [...touched]);
      return result;
    },
    // Reads too: planned for a new tenant's values, a read of one appointment by id walked the
    // tenant's appointments through (tenant_id, created_at), and a doctor's record its doctors.
    // The catch-all lists among them (a tenant's doctors, a doctor's exceptions, a day's counters)
    // read the same short list of the tenant's either way.
    read: (tenantId, fn, options) =>
      db.read(tenantId, (sql) => fn(readsIn(sql, tenantId)), { genericPlans: !options?.plannedForValues }),
  };
}

/** A doctor and their calendar (exceptions of the last days and the future), in one query. */
async function loadDoctorRecord(sql: Sql, tenantId: string, id: string, lock = ''): Promise<DoctorRecord | undefined> {
  const [row] = await sql.query<{ doctor: DoctorRow; schedules: ScheduleRow[]; exceptions: ExceptionRow[] }>(
    `SELECT row_to_json(d) AS doctor,
         (SELECT coalesce(json_agg(s ORDER BY s.valid_from), '[]') FROM
            (SELECT ${SCHEDULE_COLUMNS} FROM doctor_schedules WHERE tenant_id = $1 AND doctor_id = $2) s) AS schedules,
         (SELECT coalesce(json_agg(e ORDER BY e.date), '[]') FROM
            (SELECT ${EXCEPTION_COLUMNS} FROM schedule_exceptions
             WHERE tenant_id = $1 AND doctor_id = $2 AND date >= current_date - ${EXCEPTIONS_KEPT_DAYS}) e) AS exceptions
       FROM (SELECT ${DOCTOR_COLUMNS} FROM doctors WHERE tenant_id = $1 AND id = $2 ${lock}) d`,
    [tenantId, id],
  );
  if (!row) return undefined;
  return {
    doctor: toDoctor(row.doctor),
    calendar: { schedules: row.schedules.map(toSchedule), exceptions: row.exceptions.map(toException) },
  };
}

function readsIn(sql: Sql, tenantId: string): SchedulingReads {
  return {
    async department(id) {
      const [row] = await sql.query<DepartmentRow>(
        `SELECT ${DEPARTMENT_COLUMNS} FROM departments WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id],
      );
      return row ? toDepartment(row) : undefined;
    },
    async departments(includeInactive, limit, afterId) {
      const rows = await sql.query<DepartmentRow>(
        `SELECT ${DEPARTMENT_COLUMNS} FROM departments
         WHERE tenant_id = $1 AND ($2 OR active) AND ($3::uuid IS NULL OR id > $3)
         ORDER BY id LIMIT $4`,
        [tenantId, includeInactive, afterId ?? null, limit],
      );
      return rows.map(toDepartment);
    },
    doctorRecord: (id) => loadDoctorRecord(sql, tenantId, id),
    async doctors(filter: DoctorFilter, limit, afterId) {
      const rows = await sql.query<DoctorRow>(
        `SELECT ${DOCTOR_COLUMNS} FROM doctors
         WHERE tenant_id = $1 AND ($2::uuid IS NULL OR department_id = $2)
           AND ($3::text IS NULL OR lower(specialization) = lower($3))
           AND ($4::text IS NULL OR $4 = ANY (consultation_modes::text[]))
           AND ($5::text IS NULL OR $5 = ANY (languages))
           AND ($6 OR active) AND ($7::uuid IS NULL OR id > $7)
         ORDER BY id LIMIT $8`,
        [
          tenantId,
          filter.departmentId ?? null,
          filter.specialization ?? null,
          filter.mode ?? null,
          filter.language ?? null,
          filter.includeInactive,
          afterId ?? null,
          limit,
        ],
      );
      return rows.map(toDoctor);
    },
    async claims(doctorIds, from, to) {
      const rows = await sql.query<{
        doctor_id: string;
        starts_at: Date;
        ends_at: Date;
        kind: Claim['kind'];
        hold_expires_at: Date | null;
      }>(CLAIMS_OVER_SPAN, [tenantId, doctorIds, from, to]);
      const byDoctor = new Map<string, Claim[]>();
      for (const r of rows) {
        const list = byDoctor.get(r.doctor_id) ?? [];
        list.push({ startsAt: r.starts_at, endsAt: r.ends_at, kind: r.kind, expiresAt: r.hold_expires_at });
        byDoctor.set(r.doctor_id, list);
      }
      return byDoctor;
    },
    async exceptions(doctorId, from, to) {
      const rows = await sql.query<ExceptionRow>(
        `SELECT ${EXCEPTION_COLUMNS} FROM schedule_exceptions
         WHERE tenant_id = $1 AND doctor_id = $2 AND date >= $3 AND ($4::date IS NULL OR date <= $4)
         ORDER BY date, start_minute NULLS FIRST, id`,
        [tenantId, doctorId, from, to],
      );
      return rows.map(toException);
    },
    async schedules(doctorId) {
      const rows = await sql.query<ScheduleRow>(
        `SELECT ${SCHEDULE_COLUMNS} FROM doctor_schedules WHERE tenant_id = $1 AND doctor_id = $2 ORDER BY valid_from`,
        [tenantId, doctorId],
      );
      return rows.map(toSchedule);
    },
    async patient(id) {
      const [row] = await sql.query<PatientRow>(
        `SELECT ${PATIENT_COLUMNS} FROM patients WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id],
      );
      return row ? toPatient(row) : undefined;
    },
    async searchPatients(search, limit, after) {
      const { text, values } = patientSearchQuery(tenantId, search, limit, after);
      const rows = await sql.query<PatientRow & { matched_by: PatientMatch['matchedBy']; score: number }>(text, values);
      return rows.map((r) => ({ patient: toPatient(r), matchedBy: r.matched_by, score: Number(r.score) }));
    },
    async appointment(id) {
      const [row] = await sql.query<AppointmentRow>(
        `SELECT ${APPOINTMENT_COLUMNS} FROM appointments WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id],
      );
      return row ? toAppointment(row) : undefined;
    },
    async appointments(filter, limit, after) {
      const { text, values } = appointmentListQuery(tenantId, filter, limit, after);
      const rows = await sql.query<AppointmentRow>(text, values);
      return rows.map(toAppointment);
    },
    async history(appointmentId, limit, afterId) {
      const rows = await sql.query<{
        id: string;
        appointment_id: string;
        from_status: HistoryEntry['from'];
        to_status: HistoryEntry['to'];
        actor_id: string;
        reason: string;
        moved_from: Date | null;
        moved_to: Date | null;
        changed_at: Date;
      }>(
        `SELECT id, appointment_id, from_status, to_status, actor_id, reason, moved_from, moved_to, changed_at
         FROM appointment_history
         WHERE tenant_id = $1 AND appointment_id = $2 AND ($3::uuid IS NULL OR id > $3)
         ORDER BY id LIMIT $4`,
        [tenantId, appointmentId, afterId ?? null, limit],
      );
      return rows.map((r) => ({
        id: r.id,
        appointmentId: r.appointment_id,
        from: r.from_status,
        to: r.to_status,
        actorId: r.actor_id,
        reason: r.reason,
        movedFrom: r.moved_from,
        movedTo: r.moved_to,
        at: r.changed_at,
      }));
    },
    async hold(id) {
      const [row] = await sql.query<HoldRow>(HOLD_SELECT, [tenantId, id]);
      return row ? toHold(row) : undefined;
    },
    async dayStats(serviceDate, departmentId) {
      const rows = await sql.query<{
        service_date: string;
        doctor_id: string;
        department_id: string;
        booked: number;
        checked_in: number;
        in_consultation: number;
        seen: number;
        no_show: number;
        cancelled: number;
        wait_seconds_total: number;
        waits: number;
        updated_at: Date;
      }>(
        `SELECT service_date, doctor_id, department_id, booked, checked_in, in_consultation, seen, no_show, cancelled,
                wait_seconds_total, waits, updated_at
         FROM daily_stats
         WHERE tenant_id = $1 AND service_date = $2 AND ($3::uuid IS NULL OR department_id = $3)
         ORDER BY department_id, doctor_id`,
        [tenantId, serviceDate, departmentId ?? null],
      );
      return rows.map((r): DoctorDayStats => ({
        serviceDate: r.service_date,
        doctorId: r.doctor_id,
        departmentId: r.department_id,
        counts: {
          booked: r.booked,
          checkedIn: r.checked_in,
          inConsultation: r.in_consultation,
          seen: r.seen,
          noShow: r.no_show,
          cancelled: r.cancelled,
          waitSecondsTotal: Number(r.wait_seconds_total),
          waits: r.waits,
        },
        updatedAt: r.updated_at,
      }));
    },
    async settings() {
      const [row] = await sql.query<{
        hold_minutes: number;
        cancellation_window_minutes: number;
        no_show_grace_minutes: number;
        reminder_offsets_minutes: number[];
        mrn_format: string;
        phone_region: string;
      }>(
        `SELECT hold_minutes, cancellation_window_minutes, no_show_grace_minutes, reminder_offsets_minutes,
                mrn_format, phone_region
         FROM scheduling_settings WHERE tenant_id = $1`,
        [tenantId],
      );
      return row
        ? {
            holdMinutes: row.hold_minutes,
            cancellationWindowMinutes: row.cancellation_window_minutes,
            noShowGraceMinutes: row.no_show_grace_minutes,
            reminderOffsetsMinutes: row.reminder_offsets_minutes,
            mrnFormat: row.mrn_format,
            phoneRegion: row.phone_region,
          }
        : undefined;
    },
  };
}

/** The table each quota counts, and the namespace (first key) of its per-tenant transaction lock. */
const QUOTA_TABLES: Record<QuotaCounted, string> = {
  doctors: 'doctors',
  patients: 'patients',
  appointments: 'appointments',
};
const QUOTA_LOCK_NAMESPACE: Record<QuotaCounted, number> = {
  doctors: 0x5144, // "QD"
  patients: 0x5150, // "QP"
  appointments: 0x5154, // "QT"
};

/** `touch(doctorId)`: the transaction changes what the doctor's slots look like. */
function changesIn(tx: Transaction, touch: (doctorId: string) => void): SchedulingTx {
  const tenantId = tx.tenantId!;
  const reads = readsIn(tx, tenantId);
  const scheduleValues = (doctorId: string, s: WeeklySchedule) => [
    s.id,
    tenantId,
    doctorId,
    s.validFrom,
    s.validTo,
    s.slotMinutes,
    JSON.stringify(s.sessions),
    s.createdAt,
    s.updatedAt,
  ];
  const overlapToConflict = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      if (violatedConstraint(error, 'exclusion') === 'doctor_schedules_no_overlap') {
        throw new AlreadyExistsError('another weekly template covers some of those days', [
          { field: 'validFrom', message: 'overlaps another template of the doctor' },
        ]);
      }
      throw error;
    }
  };
  return {
    ...reads,
    replayOf: (claim) => claimIdempotencyKey(tx, claim),
    remember: (claim, result) => rememberResult(tx, claim, result),
    emit: (events) => tx.emit(...events),
    async countForQuota(what, since) {
      // The lock serialises creations of one kind in one tenant, only for plans with that quota.
      const [row] = await tx.query<{ n: number }>(
        `WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($2::int, hashtext($1::uuid::text)))
         SELECT count(*)::int AS n FROM ${QUOTA_TABLES[what]}, locked
         WHERE tenant_id = $1::uuid${since ? ' AND created_at >= $3' : ''}`,
        since ? [tenantId, QUOTA_LOCK_NAMESPACE[what], since] : [tenantId, QUOTA_LOCK_NAMESPACE[what]],
      );
      return row?.n ?? 0;
    },

    // --- departments and doctors -----------------------------------------------------------
    async lockDepartment(id) {
      const [row] = await tx.query<DepartmentRow>(
        `SELECT ${DEPARTMENT_COLUMNS} FROM departments WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [tenantId, id],
      );
      return row ? toDepartment(row) : undefined;
    },
    async insertDepartment(d, events) {
      try {
        await tx.execute(
          `INSERT INTO departments (id, tenant_id, name, description, active, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [d.id, tenantId, d.name, d.description, d.active, d.version, d.createdAt, d.updatedAt],
        );
      } catch (error) {
        if (violatedConstraint(error, 'unique') === 'departments_tenant_id_name_key') {
          throw new AlreadyExistsError('a department of that name exists', [{ field: 'name', message: 'is taken' }]);
        }
        throw error;
      }
      tx.emit(...events);
    },
    async saveDepartment(d, events) {
      try {
        await tx.execute(
          `UPDATE departments SET name = $3, description = $4, active = $5, version = $6, updated_at = $7
           WHERE tenant_id = $1 AND id = $2`,
          [tenantId, d.id, d.name, d.description, d.active, d.version, d.updatedAt],
        );
      } catch (error) {
        if (violatedConstraint(error, 'unique') === 'departments_tenant_id_name_key') {
          throw new AlreadyExistsError('a department of that name exists', [{ field: 'name', message: 'is taken' }]);
        }
        throw error;
      }
      tx.emit(...events);
    },
    async activeDoctorsIn(departmentId) {
      const [row] = await tx.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM doctors WHERE tenant_id = $1 AND department_id = $2 AND active',
        [tenantId, departmentId],
      );
      return row?.n ?? 0;
    },
    lockDoctor: (id) => loadDoctorRecord(tx, tenantId, id, 'FOR UPDATE'),
    async doctorVersion(id) {
      const [row] = await tx.query<{ version: number }>(
        'SELECT version FROM doctors WHERE tenant_id = $1 AND id = $2 FOR SHARE',
        [tenantId, id],
      );
      return row?.version;
    },
    async insertDoctor(d, schedules, events) {
      await tx.execute(
        `INSERT INTO doctors (id, tenant_id, department_id, full_name, specialization, qualifications, languages,
           consultation_modes, years_of_experience, consultation_fee_minor, hospital_fee_minor, currency, time_zone,
           active, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[]::"ConsultationMode"[], $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
        [
          d.id,
          tenantId,
          d.departmentId,
          d.fullName,
          d.specialization,
          d.qualifications,
          d.languages,
          d.consultationModes,
          d.yearsOfExperience,
          d.consultationFeeMinor,
          d.hospitalFeeMinor,
          d.currency,
          d.timeZone,
          d.active,
          d.version,
          d.createdAt,
          d.updatedAt,
        ],
      );
      for (const s of schedules) {
        await tx.execute(
          `INSERT INTO doctor_schedules (id, tenant_id, doctor_id, valid_from, valid_to, slot_minutes, sessions, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          scheduleValues(d.id, s),
        );
      }
      tx.emit(...events);
    },
    async saveDoctor(d, events) {
      touch(d.id);
      await tx.execute(
        `UPDATE doctors SET department_id = $3, full_name = $4, specialization = $5, qualifications = $6,
           languages = $7, consultation_modes = $8::text[]::"ConsultationMode"[], years_of_experience = $9,
           consultation_fee_minor = $10, hospital_fee_minor = $11, currency = $12, time_zone = $13, active = $14,
           version = $15, updated_at = $16
         WHERE tenant_id = $1 AND id = $2`,
        [
          tenantId,
          d.id,
          d.departmentId,
          d.fullName,
          d.specialization,
          d.qualifications,
          d.languages,
          d.consultationModes,
          d.yearsOfExperience,
          d.consultationFeeMinor,
          d.hospitalFeeMinor,
          d.currency,
          d.timeZone,
          d.active,
          d.version,
          d.updatedAt,
        ],
      );
      tx.emit(...events);
    },
    async insertSchedule(doctorId, s) {
      touch(doctorId);
      await overlapToConflict(() =>
        tx.execute(
          `INSERT INTO doctor_schedules (id, tenant_id, doctor_id, valid_from, valid_to, slot_minutes, sessions, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          scheduleValues(doctorId, s),
        ),
      );
    },
    async saveSchedule(doctorId, s) {
      touch(doctorId);
      await overlapToConflict(() =>
        tx.execute(
          `UPDATE doctor_schedules SET valid_from = $4, valid_to = $5, slot_minutes = $6, sessions = $7, updated_at = $8
           WHERE id = $1 AND tenant_id = $2 AND doctor_id = $3`,
          [s.id, tenantId, doctorId, s.validFrom, s.validTo, s.slotMinutes, JSON.stringify(s.sessions), s.updatedAt],
        ),
      );
    },
    async deleteSchedule(doctorId, scheduleId) {
      touch(doctorId);
      await tx.execute('DELETE FROM doctor_schedules WHERE tenant_id = $1 AND doctor_id = $2 AND id = $3', [
        tenantId,
        doctorId,
        scheduleId,
      ]);
    },
    async insertException(doctorId, e) {
      touch(doctorId);
      await tx.execute(
        `INSERT INTO schedule_exceptions (id, tenant_id, doctor_id, date, kind, start_minute, end_minute, slot_minutes, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [e.id, tenantId, doctorId, e.date, e.kind, e.startMinute, e.endMinute, e.slotMinutes, e.reason, e.createdAt],
      );
    },
    async deleteException(doctorId, exceptionId) {
      touch(doctorId);
      await tx.execute('DELETE FROM schedule_exceptions WHERE tenant_id = $1 AND doctor_id = $2 AND id = $3', [
        tenantId,
        doctorId,
        exceptionId,
      ]);
    },

    // --- patients ----------------------------------------------------------------------------
    async lockPatient(id) {
      const [row] = await tx.query<PatientRow>(
        `SELECT ${PATIENT_COLUMNS} FROM patients WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [tenantId, id],
      );
      return row ? toPatient(row) : undefined;
    },
    async patientForBooking(id) {
      const [row] = await tx.query<PatientRow>(
        `SELECT ${PATIENT_COLUMNS} FROM patients WHERE tenant_id = $1 AND id = $2 FOR SHARE`,
        [tenantId, id],
      );
      return row ? toPatient(row) : undefined;
    },
    async nextMrnSequence() {
      const [row] = await tx.query<{ last_value: number }>(
        `INSERT INTO patient_mrn_counters (tenant_id, last_value) VALUES ($1, 1)
         ON CONFLICT (tenant_id) DO UPDATE SET last_value = patient_mrn_counters.last_value + 1
         RETURNING last_value`,
        [tenantId],
      );
      return row!.last_value;
    },
    async likelyDuplicates(phone, nameText) {
      const rows = await tx.query<PatientRow>(
        // The patients with that number, through the owner's function (see patientSearchQuery); a family shares one.
        `SELECT ${PATIENT_COLUMNS} FROM patients
         WHERE tenant_id = $1 AND id IN (SELECT patient_ids_by_phone($2, $3, true, NULL, 100))
           AND similarity(search_name, $4) >= 0.4
         ORDER BY similarity(search_name, $4) DESC, id LIMIT 10`,
        [tenantId, ...reversedRange(phone), nameText],
      );
      return rows.map(toPatient);
    },
    async insertPatient(p, words, events) {
      const [row] = await tx.query<{ inserted: boolean }>(
        `WITH patient AS (
           INSERT INTO patients (id, tenant_id, mrn, full_name, phone, date_of_birth, active, version, search_name,
             name_tokens, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
           ON CONFLICT (tenant_id, mrn) DO NOTHING
           RETURNING 1),
         words AS (
           INSERT INTO patient_name_words (tenant_id, word)
           SELECT $2, w FROM unnest($10::text[]) AS w, patient ON CONFLICT DO NOTHING)
         SELECT EXISTS (SELECT 1 FROM patient) AS inserted`,
        [
          p.id,
          tenantId,
          p.mrn,
          p.fullName,
          p.phone,
          p.dateOfBirth,
          p.active,
          p.version,
          words.join(' '),
          words,
          p.createdAt,
        ],
      );
      if (!row?.inserted) return false;
      tx.emit(...events);
      return true;
    },
    async savePatient(p, words, events) {
      await tx.execute(
        `WITH patient AS (
           UPDATE patients SET full_name = $3, phone = $4, date_of_birth = $5, active = $6, version = $7,
             search_name = $8, name_tokens = $9, updated_at = $10
           WHERE tenant_id = $1 AND id = $2 RETURNING 1)
         INSERT INTO patient_name_words (tenant_id, word)
         SELECT $1, w FROM unnest($9::text[]) AS w, patient ON CONFLICT DO NOTHING`,
        [tenantId, p.id, p.fullName, p.phone, p.dateOfBirth, p.active, p.version, words.join(' '), words, p.updatedAt],
      );
      tx.emit(...events);
    },

    // --- holds and appointments --------------------------------------------------------------
    async clearExpiredHolds(c) {
      await tx.execute(
        `DELETE FROM slot_claims
         WHERE tenant_id = $1 AND kind = 'HOLD' AND hold_expires_at <= $5
           AND ${overlapping('slot_claims', '$3', '$4')}
           AND (doctor_id = $2 OR patient_id = $6) AND id IS DISTINCT FROM $7::uuid`,
        [tenantId, c.doctorId, c.startsAt, c.endsAt, c.now, c.patientId, c.except ?? null],
      );
    },
    async insertHold(h) {
      touch(h.doctorId);
      await claiming(() =>
        tx.execute(
          `INSERT INTO slot_claims (id, tenant_id, doctor_id, patient_id, starts_at, ends_at, kind, hold_expires_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'HOLD', $7, now())`,
          [h.id, tenantId, h.doctorId, h.patientId, h.startsAt, h.endsAt, h.expiresAt],
        ),
      );
    },
    async lockHold(id) {
      const [row] = await tx.query<HoldRow>(`${HOLD_SELECT} FOR UPDATE OF c`, [tenantId, id]);
      return row ? toHold(row) : undefined;
    },
    async deleteHold(id) {
      const rows = await tx.query<{ doctor_id: string }>(
        `DELETE FROM slot_claims WHERE tenant_id = $1 AND id = $2 AND kind = 'HOLD' RETURNING doctor_id`,
        [tenantId, id],
      );
      for (const row of rows) touch(row.doctor_id);
    },
    insertBooking(booking) {
      touch(booking.appointment.doctorId);
      return insertBooking(tx, tenantId, booking);
    },
    async lockAppointment(id) {
      const [row] = await tx.query<AppointmentRow>(
        `SELECT ${APPOINTMENT_COLUMNS} FROM appointments WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [tenantId, id],
      );
      return row ? toAppointment(row) : undefined;
    },
    saveTransition(appointment, history, events, effects) {
      if (effects?.claim) touch(appointment.doctorId);
      return saveTransition(tx, tenantId, appointment, history, events, effects);
    },
    async openAppointments(doctorId, from) {
      const rows = await tx.query<AppointmentRow>(
        `SELECT ${APPOINTMENT_COLUMNS} FROM appointments
         WHERE tenant_id = $1 AND doctor_id = $2 AND status IN ('BOOKED', 'CHECKED_IN') AND ends_at > $3
         ORDER BY starts_at, id`,
        [tenantId, doctorId, from],
      );
      return rows.map(toAppointment);
    },
    async takeDueReminders(now, limit) {
      const rows = await tx.query<{
        appointment_id: string;
        offset_minutes: number;
        due_at: Date;
        patient_id: string;
        doctor_id: string;
        starts_at: Date;
        service_date: string;
        time_zone: string;
      }>(
        `WITH due AS (
           SELECT appointment_id, offset_minutes FROM appointment_reminders
           WHERE tenant_id = $1 AND sent_at IS NULL AND due_at <= $2
           ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED),
         marked AS (
           UPDATE appointment_reminders r SET sent_at = $2 FROM due
           WHERE r.tenant_id = $1 AND r.appointment_id = due.appointment_id AND r.offset_minutes = due.offset_minutes
           RETURNING r.appointment_id, r.offset_minutes, r.due_at)
         SELECT m.appointment_id, m.offset_minutes, m.due_at, a.patient_id, a.doctor_id, a.starts_at,
                a.service_date, d.time_zone
         FROM marked m
         JOIN appointments a ON a.tenant_id = $1 AND a.id = m.appointment_id
         JOIN doctors d ON d.tenant_id = $1 AND d.id = a.doctor_id
         WHERE a.status = 'BOOKED' AND a.starts_at > $2`,
        [tenantId, now, limit],
      );
      return rows.map((r) => ({
        reminder: { appointmentId: r.appointment_id, offsetMinutes: r.offset_minutes, dueAt: r.due_at },
        appointment: {
          id: r.appointment_id,
          tenantId,
          patientId: r.patient_id,
          doctorId: r.doctor_id,
          startsAt: r.starts_at,
          serviceDate: r.service_date,
        },
        timeZone: r.time_zone,
      }));
    },

    // --- settings and the read model -----------------------------------------------------------
    async saveSettings(s: SchedulingSettings) {
      await tx.execute(
        `INSERT INTO scheduling_settings (tenant_id, hold_minutes, cancellation_window_minutes, no_show_grace_minutes,
           reminder_offsets_minutes, mrn_format, phone_region, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now())
         ON CONFLICT (tenant_id) DO UPDATE SET hold_minutes = EXCLUDED.hold_minutes,
           cancellation_window_minutes = EXCLUDED.cancellation_window_minutes,
           no_show_grace_minutes = EXCLUDED.no_show_grace_minutes,
           reminder_offsets_minutes = EXCLUDED.reminder_offsets_minutes, mrn_format = EXCLUDED.mrn_format,
           phone_region = EXCLUDED.phone_region, version = scheduling_settings.version + 1, updated_at = now()`,
        [
          tenantId,
          s.holdMinutes,
          s.cancellationWindowMinutes,
          s.noShowGraceMinutes,
          s.reminderOffsetsMinutes,
          s.mrnFormat,
          s.phoneRegion,
        ],
      );
    },
    async addDayCounts(deltas, at) {
      if (deltas.length === 0) return;
      const column = (pick: (d: (typeof deltas)[number]) => unknown) => deltas.map(pick);
      await tx.execute(
        `INSERT INTO daily_stats AS s (tenant_id, service_date, doctor_id, department_id, booked, checked_in,
           in_consultation, seen, no_show, cancelled, wait_seconds_total, waits, updated_at)
         SELECT $1, d.*, $13 FROM unnest($2::date[], $3::uuid[], $4::uuid[], $5::int[], $6::int[], $7::int[], $8::int[],
           $9::int[], $10::int[], $11::bigint[], $12::int[]) AS d
         ON CONFLICT (tenant_id, service_date, doctor_id) DO UPDATE SET
           department_id = EXCLUDED.department_id,
           booked = s.booked + EXCLUDED.booked, checked_in = s.checked_in + EXCLUDED.checked_in,
           in_consultation = s.in_consultation + EXCLUDED.in_consultation, seen = s.seen + EXCLUDED.seen,
           no_show = s.no_show + EXCLUDED.no_show, cancelled = s.cancelled + EXCLUDED.cancelled,
           wait_seconds_total = s.wait_seconds_total + EXCLUDED.wait_seconds_total, waits = s.waits + EXCLUDED.waits,
           updated_at = EXCLUDED.updated_at`,
        [
          tenantId,
          column((d) => d.serviceDate),
          column((d) => d.doctorId),
          column((d) => d.departmentId),
          column((d) => d.counts.booked),
          column((d) => d.counts.checkedIn),
          column((d) => d.counts.inConsultation),
          column((d) => d.counts.seen),
          column((d) => d.counts.noShow),
          column((d) => d.counts.cancelled),
          column((d) => d.counts.waitSecondsTotal),
          column((d) => d.counts.waits),
          at,
        ],
      );
    },
  };
}

/** The booking's one statement (insertBooking, below); exported for the plan test. */
export const BOOKING_STATEMENT = `WITH doctor AS (
  SELECT version FROM doctors WHERE tenant_id = $1 AND id = $2 FOR SHARE),
patient AS (
  SELECT active FROM patients WHERE tenant_id = $1 AND id = $3 FOR SHARE),
hold AS (
  SELECT id FROM slot_claims
  WHERE $4::uuid IS NOT NULL AND tenant_id = $1 AND id = $4 AND kind = 'HOLD' AND hold_expires_at > $5
    AND doctor_id = $2 AND patient_id = $3 AND starts_at = $6 AND ends_at = $7
  FOR UPDATE),
-- Taken by a claim committed before this statement began: refused here, without writing (and so
-- without queueing behind the doctor's claim lock). Claims committed since are the constraint's.
taken AS (
  SELECT EXISTS (
    SELECT 1 FROM slot_claims c
    WHERE c.tenant_id = $1 AND c.doctor_id = $2 AND ${overlapping('c', '$6', '$7')}
      AND (c.kind = 'APPOINTMENT' OR c.hold_expires_at > $5) AND c.id IS DISTINCT FROM $4::uuid) AS yes),
ok AS (
  SELECT 1 FROM doctor, patient, taken
  WHERE doctor.version = $8 AND patient.active AND NOT taken.yes
    AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM hold))),
cleared AS (
  DELETE FROM slot_claims c USING ok
  WHERE c.tenant_id = $1 AND c.kind = 'HOLD' AND c.hold_expires_at <= $5
    AND ${overlapping('c', '$6', '$7')} AND (c.doctor_id = $2 OR c.patient_id = $3)
  RETURNING 1),
appointment AS (
  INSERT INTO appointments (id, tenant_id, patient_id, doctor_id, department_id, starts_at, ends_at, service_date,
    status, mode, reason, consultation_fee_minor, hospital_fee_minor, currency, idempotency_key, trace_id,
    created_at, updated_at)
  SELECT $9, $1, $3, $2, $10, $6, $7, $11, 'BOOKED', $12, $13, $14, $15, $16, $17, $18, $19, $19
  FROM ok, (SELECT count(*) FROM cleared) AS c
  RETURNING id),
claim AS (
  INSERT INTO slot_claims (id, tenant_id, doctor_id, patient_id, starts_at, ends_at, kind, appointment_id, created_at)
  SELECT $20, $1, $2, $3, $6, $7, 'APPOINTMENT', id, $19 FROM appointment WHERE $4::uuid IS NULL),
converted AS (
  UPDATE slot_claims SET kind = 'APPOINTMENT', hold_expires_at = NULL, appointment_id = appointment.id
  FROM appointment WHERE slot_claims.tenant_id = $1 AND slot_claims.id = $4),
history AS (
  INSERT INTO appointment_history (id, tenant_id, appointment_id, from_status, to_status, actor_id, reason, changed_at)
  SELECT $21, $1, id, NULL, 'BOOKED', $22, '', $23 FROM appointment),
reminders AS (
  INSERT INTO appointment_reminders (tenant_id, appointment_id, offset_minutes, due_at)
  SELECT $1, appointment.id, r.o, r.d FROM appointment, unnest($24::int[], $25::timestamptz[]) AS r(o, d)),
result AS (
  UPDATE idempotency_key SET result = $26
  WHERE $26::jsonb IS NOT NULL AND tenant_id = $1 AND operation = $27 AND key = $28
    AND EXISTS (SELECT 1 FROM appointment))
SELECT (SELECT version FROM doctor) AS doctor_version, (SELECT active FROM patient) AS patient_active,
       (SELECT yes FROM taken) AS taken, EXISTS (SELECT 1 FROM appointment) AS inserted`;

/**
 * The booking in one statement: the doctor's version and the patient
 * (share-locked, so neither changes until commit), the hold to convert (if
 * any), expired holds on that time cleared, then the appointment, its claim,
 * its history row, its reminders and its idempotent result. Nothing is
 * written when a precondition fails; the answer says which.
 */
async function insertBooking(tx: Transaction, tenantId: string, b: NewBooking): Promise<BookingOutcome> {
  const a = b.appointment;
  const rows = await claiming(() =>
    tx.query<{ doctor_version: number | null; patient_active: boolean | null; taken: boolean; inserted: boolean }>(
      BOOKING_STATEMENT,
      [
        tenantId,
        a.doctorId,
        a.patientId,
        b.holdId ?? null,
        b.now,
        a.startsAt,
        a.endsAt,
        b.doctorVersion,
        a.id,
        a.departmentId,
        a.serviceDate,
        a.mode,
        a.reason,
        a.consultationFeeMinor,
        a.hospitalFeeMinor,
        a.currency,
        a.idempotencyKey,
        a.traceId,
        a.createdAt,
        newId(),
        b.history.id,
        b.history.actorId,
        b.history.at,
        b.reminders.map((r) => r.offsetMinutes),
        b.reminders.map((r) => r.dueAt),
        b.idempotency ? JSON.stringify(a) : null,
        b.idempotency?.operation ?? null,
        b.idempotency?.key ?? null,
      ],
    ),
  );
  const row = rows[0]!;
  if (row.inserted) {
    tx.emit(...b.events);
    return { inserted: true };
  }
  if (row.doctor_version === null || row.doctor_version !== b.doctorVersion) {
    return { inserted: false, reason: 'doctor-changed' };
  }
  if (row.taken) throw new SlotTakenError();
  if (row.patient_active === null) return { inserted: false, reason: 'unknown-patient' };
  if (!row.patient_active) return { inserted: false, reason: 'inactive-patient' };
  return { inserted: false, reason: 'hold-not-usable' };
}

/**
 * A status change in one statement: the appointment's new state, its history
 * row, and what it does to its claim and unsent reminders. A move of the claim
 * (a reschedule) and new reminders are further statements, after it.
 */
async function saveTransition(
  tx: Transaction,
  tenantId: string,
  a: Appointment,
  h: HistoryEntry,
  events: PendingEvent[],
  effects: TransitionEffects = {},
): Promise<void> {
  await tx.execute(
    `WITH appointment AS (
       UPDATE appointments SET status = $3, status_reason = $4, cancelled_by = $5, checked_in_at = $6, cancelled_at = $7,
         consultation_started_at = $8, completed_at = $9, starts_at = $10, ends_at = $11, service_date = $12,
         updated_at = $13
       WHERE tenant_id = $1 AND id = $2 RETURNING id),
     history AS (
       INSERT INTO appointment_history (id, tenant_id, appointment_id, from_status, to_status, actor_id, reason,
         moved_from, moved_to, changed_at)
       SELECT $14, $1, id, $15, $16, $17, $18, $19, $20, $13 FROM appointment),
     released AS (
       DELETE FROM slot_claims WHERE $21 AND tenant_id = $1 AND appointment_id = $2),
     dropped AS (
       DELETE FROM appointment_reminders WHERE $22 AND tenant_id = $1 AND appointment_id = $2 AND sent_at IS NULL)
     SELECT 1`,
    [
      tenantId,
      a.id,
      a.status,
      a.statusReason,
      a.cancelledBy,
      a.checkedInAt,
      a.cancelledAt,
      a.consultationStartedAt,
      a.completedAt,
      a.startsAt,
      a.endsAt,
      a.serviceDate,
      h.at,
      h.id,
      h.from,
      h.to,
      h.actorId,
      h.reason,
      h.movedFrom,
      h.movedTo,
      effects.claim === 'release',
      effects.reminders !== undefined,
    ],
  );
  const claim = effects.claim;
  if (claim && claim !== 'release') {
    await claiming(() =>
      tx.execute(
        // The patient's hold on the new time is used up first, in the same statement.
        `WITH used AS (
           DELETE FROM slot_claims WHERE $5::uuid IS NOT NULL AND tenant_id = $1 AND id = $5 AND kind = 'HOLD' RETURNING 1)
         UPDATE slot_claims SET starts_at = $3, ends_at = $4
         FROM (SELECT count(*) FROM used) AS u
         WHERE tenant_id = $1 AND appointment_id = $2`,
        [tenantId, a.id, claim.startsAt, claim.endsAt, claim.holdId ?? null],
      ),
    );
  }
  if (Array.isArray(effects.reminders) && effects.reminders.length > 0) {
    await tx.execute(
      `INSERT INTO appointment_reminders (tenant_id, appointment_id, offset_minutes, due_at)
       SELECT $1, $2, r.o, r.d FROM unnest($3::int[], $4::timestamptz[]) AS r(o, d)
       ON CONFLICT (tenant_id, appointment_id, offset_minutes) DO UPDATE SET due_at = EXCLUDED.due_at, sent_at = NULL`,
      [tenantId, a.id, effects.reminders.map((r) => r.offsetMinutes), effects.reminders.map((r) => r.dueAt)],
    );
  }
  tx.emit(...events);
}

// --- queries built per request ----------------------------------------------------------------

/** The page of a list of appointments: its index's order, the cursor's position, the statuses asked for. */
export function appointmentListQuery(
  tenantId: string,
  filter: AppointmentFilter,
  limit: number,
  after?: AppointmentCursor,
): { text: string; values: unknown[] } {
  const values: unknown[] = [tenantId];
  const where = ['tenant_id = $1'];
  const param = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  let descending = false;
  if (filter.by === 'doctor-day') {
    where.push(`doctor_id = ${param(filter.doctorId)}`, `service_date = ${param(filter.serviceDate)}`);
  } else if (filter.by === 'day') {
    where.push(`service_date = ${param(filter.serviceDate)}`);
    if (filter.departmentId) where.push(`department_id = ${param(filter.departmentId)}`);
  } else {
    where.push(`patient_id = ${param(filter.patientId)}`);
    descending = filter.timeframe === 'past';
    where.push(`starts_at ${descending ? '<' : '>='} ${param(filter.now)}`);
  }
  if (filter.statuses.length > 0) where.push(`status = ANY (${param(filter.statuses)}::"AppointmentStatus"[])`);
  if (after) {
    where.push(`(starts_at, id) ${descending ? '<' : '>'} (${param(after.startsAt)}, ${param(after.id)}::uuid)`);
  }
  const order = descending ? 'starts_at DESC, id DESC' : 'starts_at, id';
  return {
    text: `SELECT ${APPOINTMENT_COLUMNS} FROM appointments WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${param(limit)}`,
    values,
  };
}

/**
 * A phone number's (or its last digits') reversed form and the end of its range: reversed, the last
 * digits are a prefix, so the numbers ending in them are those in [reversed, reversed with its last
 * character raised).
 */
function reversedRange(digits: string): [string, string] {
  const reversed = [...digits].reverse().join('');
  return [reversed, reversed.slice(0, -1) + String.fromCharCode(reversed.charCodeAt(reversed.length - 1) + 1)];
}

/**
 * How many patients holding every word of a name query are ranked at most: what
 * bounds a search's work whatever the tenant's size. A query more common than
 * that is answered with the best of that many (the same set on every page).
 */
export const NAME_SEARCH_CANDIDATES = 500;

/**
 * Patient search: an exact MRN; a phone number (whole, or its last digits: a
 * prefix of the reversed number); a name: for every query word the tenant's
 * words it may mean (trigram similarity or prefix, the most similar first), and
 * the patients who hold one of them for every word, in any order, ranked by the
 * name's similarity to the query. Exact MRN and phone matches first. Paged by
 * (score, id).
 *
 * Phone and name matches are found by the schema owner's functions
 * `patient_ids_by_phone` and `patients_by_name` (migration
 * 20261128104500_patient_search_at_scale): row-level security keeps their
 * non-leakproof conditions (reverse(), LIKE, %, && on arrays) off this role's
 * index scans. They read only the transaction's tenant and return ids; the rows
 * are read here, under the policies.
 */
export function patientSearchQuery(
  tenantId: string,
  search: PatientSearch,
  limit: number,
  after?: MatchCursor,
): { text: string; values: unknown[] } {
  const values: unknown[] = [tenantId];
  const param = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  const cols = PATIENT_COLUMNS.split(', ')
    .map((c) => `p.${c}`)
    .join(', ');
  const parts = [
    `SELECT ${cols}, 'mrn' AS matched_by, 1.0::float8 AS score FROM patients p
     WHERE p.tenant_id = $1 AND p.mrn = ${param(search.mrn)} AND p.active`,
  ];
  if (search.phone) {
    const [reversed, upper] = reversedRange(search.phone.e164 ?? search.phone.digits);
    const score = search.phone.e164 ? 1 : 0.9;
    // Phone matches share a score and go by id: a cursor at that score continues after its id.
    const afterId = after?.score === score ? after.id : null;
    parts.push(
      `SELECT ${cols}, 'phone', ${score.toFixed(1)}::float8 FROM patients p
       WHERE p.tenant_id = $1 AND p.id IN (SELECT patient_ids_by_phone(${param(reversed)}, ${param(upper)},
         ${search.phone.e164 ? 'true' : 'false'}, ${param(afterId)}::uuid, ${param(limit + 1)}))`,
    );
  }
  if (search.name) {
    parts.push(
      `SELECT ${cols}, 'name', s.score FROM patients_by_name(${param(search.name.text)}, ${param(search.name.words)}::text[],
         ${param(after?.score ?? null)}::float8, ${param(after?.id ?? null)}::uuid, ${param(limit + 2)},
         ${NAME_SEARCH_CANDIDATES}) s
       JOIN patients p ON p.tenant_id = $1 AND p.id = s.patient_id`,
    );
  }
  const page = after
    ? `WHERE m.score < ${param(after.score)} OR (m.score = ${param(after.score)} AND m.id > ${param(after.id)}::uuid)`
    : '';
  return {
    text: `WITH found AS (${parts.join('\nUNION ALL\n')}),
      best AS (SELECT DISTINCT ON (id) * FROM found ORDER BY id, score DESC)
      SELECT * FROM best m ${page} ORDER BY m.score DESC, m.id LIMIT ${param(limit)}`,
    values,
  };
}

// --- across tenants: the recurring jobs ---------------------------------------------------------

/**
 * Across tenants through the schema owner's functions (row-level security keeps
 * the runtime role inside one tenant; migration 20261127000100 defines them).
 */
export function createSweepStore(sql: Sql): SweepStore {
  return {
    async overdueAppointments(now, defaultGraceMinutes, limit) {
      const rows = await sql.query<{ tenant_id: string; id: string }>(
        'SELECT tenant_id, id FROM appointments.overdue_appointments($1, $2, $3)',
        [now, defaultGraceMinutes, limit],
      );
      return rows.map((r) => ({ tenantId: r.tenant_id, appointmentId: r.id }));
    },
    async tenantsWithDueReminders(now, limit) {
      const rows = await sql.query<{ tenant_id: string }>(
        'SELECT tenant_id FROM appointments.tenants_with_due_reminders($1, $2) AS tenant_id',
        [now, limit],
      );
      return rows.map((r) => r.tenant_id);
    },
    async deleteExpiredHolds(before, limit) {
      const [row] = await sql.query<{ removed: number }>(
        'SELECT appointments.delete_expired_holds($1, $2) AS removed',
        [before, limit],
      );
      return row?.removed ?? 0;
    },
  };
}
