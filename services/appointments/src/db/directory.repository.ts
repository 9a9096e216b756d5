/** The Directory in SQL: doctors and patients of the tenant, and registering a patient. */
import { claimIdempotencyKey, rememberResult, type Database } from '@hms/platform';
import type { Directory, PatientRecord } from '../domain/directory.js';
import type { Doctor } from '../domain/types.js';

interface PatientRow {
  id: string;
  mrn: string;
  full_name: string;
  phone: string | null;
  date_of_birth: string | null;
}

const toPatient = (row: PatientRow): PatientRecord => ({
  id: row.id,
  mrn: row.mrn,
  fullName: row.full_name,
  phone: row.phone ?? undefined,
  dateOfBirth: row.date_of_birth ?? undefined,
});

export function createDirectory(db: Database): Directory {
  return {
    findDoctor: (tenantId, id) =>
      db.read(tenantId, async (sql) => {
        const [row] = await sql.query<{
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
        }>(
          `SELECT id, tenant_id, department_id, full_name, consultation_fee_minor, hospital_fee_minor, currency,
             time_zone, slot_minutes, day_start_minute, day_end_minute, working_days, active
           FROM doctors WHERE tenant_id = $1 AND id = $2`,
          [tenantId, id],
        );
        if (!row) return undefined;
        const doctor: Doctor = {
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
        return doctor;
      }),
    findPatient: (tenantId, id) =>
      db.read(tenantId, async (sql) => {
        const [row] = await sql.query<PatientRow>(
          'SELECT id, mrn, full_name, phone, date_of_birth FROM patients WHERE tenant_id = $1 AND id = $2',
          [tenantId, id],
        );
        return row ? toPatient(row) : undefined;
      }),
    registerPatient: (tenantId, patient, claim) =>
      db.transaction(tenantId, async (tx) => {
        if (claim) {
          const earlier = await claimIdempotencyKey(tx, claim);
          if (earlier !== undefined) return { patient: earlier as PatientRecord, replayed: true };
        }
        await tx.execute(
          `INSERT INTO patients (id, tenant_id, mrn, full_name, phone, date_of_birth) VALUES ($1, $2, $3, $4, $5, $6)`,
          [patient.id, tenantId, patient.mrn, patient.fullName, patient.phone ?? null, patient.dateOfBirth ?? null],
        );
        if (claim) await rememberResult(tx, claim, patient);
        return { patient, replayed: false };
      }),
  };
}
