/** AppointmentStore in SQL on the service's database (the write path of @hms/platform). */
import { claimIdempotencyKey, newId, violates, type Database, type Sql, type Transaction } from '@hms/platform';
import { SlotTakenError, type AppointmentChanges, type AppointmentStore } from '../domain/appointment-store.js';
import type { Appointment, AppointmentStatus, Doctor, Patient } from '../domain/types.js';

/** Namespace (first key) of the per-tenant transaction locks of the monthly quota. */
const QUOTA_LOCK_NAMESPACE = 0x5154; // "QT"

/** The partial unique index that makes a double booking impossible. */
const SLOT_INDEX = 'appointments_doctor_slot_active_key';

interface AppointmentRow {
  id: string;
  tenant_id: string;
  patient_id: string;
  doctor_id: string;
  department_id: string;
  starts_at: Date;
  ends_at: Date;
  service_date: string;
  status: AppointmentStatus;
  reason: string;
  consultation_fee_minor: number;
  hospital_fee_minor: number;
  currency: string;
  idempotency_key: string | null;
  trace_id: string;
  created_at: Date;
  checked_in_at: Date | null;
}

interface PatientRow {
  id: string;
  tenant_id: string;
  mrn: string;
  full_name: string;
}

interface DoctorRow {
  id: string;
  tenant_id: string;
  department_id: string;
  full_name: string;
  consultation_fee_minor: number;
  hospital_fee_minor: number;
  currency: string;
  time_zone: string;
  slot_minutes: number;
  day_start_minute: number;
  day_end_minute: number;
  working_days: number[];
  active: boolean;
}

const APPOINTMENT_COLUMNS = `id, tenant_id, patient_id, doctor_id, department_id, starts_at, ends_at, service_date,
  status, reason, consultation_fee_minor, hospital_fee_minor, currency, idempotency_key, trace_id, created_at, checked_in_at`;
const DOCTOR_COLUMNS = `id, tenant_id, department_id, full_name, consultation_fee_minor, hospital_fee_minor, currency,
  time_zone, slot_minutes, day_start_minute, day_end_minute, working_days, active`;

export function createAppointmentStore(db: Database): AppointmentStore {
  return {
    change: (tenantId, fn) => db.transaction(tenantId, (tx) => fn(changesIn(tx))),
    findAppointment: (tenantId, id) => db.read(tenantId, (sql) => selectAppointment(sql, tenantId, id)),
  };
}

function changesIn(tx: Transaction): AppointmentChanges {
  const tenantId = tx.tenantId!;
  return {
    async replayOf(claim) {
      const earlier = await claimIdempotencyKey(tx, claim);
      return earlier === undefined ? undefined : appointmentFromJson(earlier);
    },
    async findDoctor(id) {
      const [row] = await tx.query<DoctorRow>(
        `SELECT ${DOCTOR_COLUMNS} FROM doctors WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id],
      );
      return row ? toDoctor(row) : undefined;
    },
    async findDoctorAndPatient(doctorId, patientId) {
      const [row] = await tx.query<{ doctor: DoctorRow | null; patient: PatientRow | null }>(
        `SELECT (SELECT row_to_json(d) FROM (SELECT ${DOCTOR_COLUMNS} FROM doctors WHERE tenant_id = $1 AND id = $2) d) AS doctor,
                (SELECT row_to_json(p) FROM (SELECT id, tenant_id, mrn, full_name FROM patients WHERE tenant_id = $1 AND id = $3) p) AS patient`,
        [tenantId, doctorId, patientId],
      );
      return {
        ...(row?.doctor ? { doctor: toDoctor(row.doctor) } : {}),
        ...(row?.patient ? { patient: toPatient(row.patient) } : {}),
      };
    },
    async countBookedSince(since) {
      // The lock serialises bookings of one tenant at their quota's edge only (plans without a quota never ask).
      const [row] = await tx.query<{ n: number }>(
        `WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($3::int, hashtext($1::uuid::text)))
         SELECT count(*)::int AS n FROM appointments, locked WHERE tenant_id = $1::uuid AND created_at >= $2`,
        [tenantId, since, QUOTA_LOCK_NAMESPACE],
      );
      return row?.n ?? 0;
    },
    lockAppointment: (id) => selectAppointment(tx, tenantId, id, 'FOR UPDATE'),
    async insertBooking(a, transition, events, claim) {
      // The appointment, its first history row and the idempotent result: one statement.
      try {
        await tx.execute(
          `WITH appointment AS (
             INSERT INTO appointments (id, tenant_id, patient_id, doctor_id, department_id, starts_at, ends_at, service_date,
               status, reason, consultation_fee_minor, hospital_fee_minor, currency, idempotency_key, trace_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
             RETURNING id),
           history AS (
             INSERT INTO appointment_history (id, tenant_id, appointment_id, from_status, to_status, actor_id, changed_at)
             SELECT $17, $2, id, $18, $19, $20, $21 FROM appointment)
           UPDATE idempotency_key SET result = $22
           WHERE $22::jsonb IS NOT NULL AND tenant_id = $2 AND operation = $23 AND key = $24`,
          [
            a.id,
            a.tenantId,
            a.patientId,
            a.doctorId,
            a.departmentId,
            a.startsAt,
            a.endsAt,
            a.serviceDate,
            a.status,
            a.reason,
            a.consultationFeeMinor,
            a.hospitalFeeMinor,
            a.currency,
            a.idempotencyKey,
            a.traceId,
            a.createdAt,
            newId(),
            transition.from,
            transition.to,
            transition.actorId,
            transition.at,
            claim ? JSON.stringify(a) : null,
            claim?.operation ?? null,
            claim?.key ?? null,
          ],
        );
      } catch (error) {
        if (violates(error, 'unique', SLOT_INDEX)) throw new SlotTakenError();
        throw error;
      }
      tx.emit(...events);
    },
    async saveTransition(a, transition, events) {
      await tx.execute(
        `UPDATE appointments SET status = $3, checked_in_at = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2`,
        [a.tenantId, a.id, a.status, a.checkedInAt, transition.at],
      );
      await insertHistory(tx, a, transition);
      tx.emit(...events);
    },
  };
}

async function insertHistory(
  tx: Transaction,
  a: Appointment,
  t: { from: AppointmentStatus | null; to: AppointmentStatus; actorId: string; at: Date },
): Promise<void> {
  await tx.execute(
    `INSERT INTO appointment_history (id, tenant_id, appointment_id, from_status, to_status, actor_id, changed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [newId(), a.tenantId, a.id, t.from, t.to, t.actorId, t.at],
  );
}

async function selectAppointment(
  sql: Sql,
  tenantId: string,
  id: string,
  lock: '' | 'FOR UPDATE' = '',
): Promise<Appointment | undefined> {
  const [row] = await sql.query<AppointmentRow>(
    `SELECT ${APPOINTMENT_COLUMNS} FROM appointments WHERE tenant_id = $1 AND id = $2 ${lock}`,
    [tenantId, id],
  );
  return row ? toAppointment(row) : undefined;
}

function toPatient(row: PatientRow): Patient {
  return { id: row.id, tenantId: row.tenant_id, mrn: row.mrn, fullName: row.full_name };
}

function toDoctor(row: DoctorRow): Doctor {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    departmentId: row.department_id,
    fullName: row.full_name,
    consultationFeeMinor: row.consultation_fee_minor,
    hospitalFeeMinor: row.hospital_fee_minor,
    currency: row.currency,
    timeZone: row.time_zone,
    slotMinutes: row.slot_minutes,
    dayStartMinute: row.day_start_minute,
    dayEndMinute: row.day_end_minute,
    workingDays: row.working_days,
    active: row.active,
  };
}

function toAppointment(row: AppointmentRow): Appointment {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    patientId: row.patient_id,
    doctorId: row.doctor_id,
    departmentId: row.department_id,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    serviceDate: row.service_date,
    status: row.status,
    reason: row.reason,
    consultationFeeMinor: row.consultation_fee_minor,
    hospitalFeeMinor: row.hospital_fee_minor,
    currency: row.currency,
    idempotencyKey: row.idempotency_key,
    traceId: row.trace_id,
    createdAt: row.created_at,
    checkedInAt: row.checked_in_at,
  };
}

/** An appointment stored as an idempotent result (JSON: instants as ISO strings). */
function appointmentFromJson(value: unknown): Appointment {
  const a = value as Record<string, unknown> & Appointment;
  const instant = (v: unknown) => new Date(v as string);
  return {
    ...a,
    startsAt: instant(a.startsAt),
    endsAt: instant(a.endsAt),
    createdAt: instant(a.createdAt),
    checkedInAt: a.checkedInAt === null ? null : instant(a.checkedInAt),
  };
}
