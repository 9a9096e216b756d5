/**
 * The clinical record a load run reads and writes (issue 15): a patient of
 * the fixture with 200 past visits, each with two sets of vitals, a signed
 * consultation with an addendum and a prescription, made in PostgreSQL as the
 * schema's owner; the tenant's formulary and a pharmacy; and tokens of a
 * doctor and a nurse (the clinical routes need clinical roles): development
 * tokens where the stack accepts them (dev and test: they outlive a k6 soak),
 * else the tenant's own doctor and nurse signed in (15-minute access tokens,
 * ample for a benchmark's reads).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { DEVELOPMENT_PROFILES } from '../../services/gateway/src/config.js';
import { databaseUrl, ROOT, type StackEnv } from './stack.js';

const run = promisify(execFile);

export interface ClinicalFixture {
  doctorToken: string;
  nurseToken: string;
  /** The patient with `visits` past visits. */
  historyPatient: string;
  /** Those visits' appointment ids, newest first. */
  clinicalVisits: string[];
  /** Medicines of the tenant's formulary. */
  medicines: string[];
}

/** A token of the tenant's user `role` (DOCTOR, NURSE, ...), as the stack allows one to be had. */
async function roleToken(
  env: StackEnv,
  fixture: { api: string; tenantId: string; passwords: Record<string, string> },
  role: string,
): Promise<string> {
  if ((DEVELOPMENT_PROFILES as readonly string[]).includes(env.HMS_PROFILE ?? ''))
    return devToken(env, fixture.tenantId, `load-${role.toLowerCase()}`, role);
  const username = role.toLowerCase().replaceAll('_', '-');
  const response = await fetch(`${fixture.api}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: fixture.tenantId, username, password: fixture.passwords[username] }),
  });
  if (!response.ok) throw new Error(`signing in as ${username} failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

async function devToken(env: StackEnv, tenantId: string, user: string, roles: string): Promise<string> {
  const { stdout } = await run(
    'node',
    [
      path.join(ROOT, 'services/gateway/dist/dev-token.js'),
      '--tenant',
      tenantId,
      '--user',
      user,
      '--ttl',
      '12h',
      '--roles',
      roles,
    ],
    { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', JWT_SECRET: env.HMS_JWT_SECRET ?? '' } },
  );
  return stdout.trim();
}

/** `fixture`: the load's tenant, its doctors and patients (bench/lib/fixture.ts); the last of each is used. */
export async function makeClinicalHistory(
  env: StackEnv,
  fixture: { api: string; tenantId: string; doctors: string[]; patients: string[]; passwords: Record<string, string> },
  visits = 200,
): Promise<ClinicalFixture> {
  const db = new pg.Client({
    connectionString: databaseUrl(env, 'hms_appointments_owner', 'HMS_DB_PASSWORD_APPOINTMENTS_OWNER'),
  });
  await db.connect();
  const tenantId = fixture.tenantId;
  const patient = fixture.patients.at(-1)!;
  const doctor = fixture.doctors.at(-1)!;
  const medicines = ['PARA-500', 'CETI-10', 'AMOX-500', 'IBU-400', 'PANTO-40'];
  try {
    await db.query('BEGIN');
    await db.query(
      `INSERT INTO appointments.formulary_items (id, tenant_id, code, generic_name, form, strength)
       SELECT gen_random_uuid(), $1, code, name, 'tablet', strength
       FROM unnest($2::text[], $3::text[], $4::text[]) AS m(code, name, strength)`,
      [
        tenantId,
        medicines,
        ['paracetamol', 'cetirizine', 'amoxicillin', 'ibuprofen', 'pantoprazole'],
        ['500 mg', '10 mg', '500 mg', '400 mg', '40 mg'],
      ],
    );
    await db.query(
      `INSERT INTO appointments.clinical_settings (tenant_id, pharmacy_enabled) VALUES ($1, true)
       ON CONFLICT (tenant_id) DO NOTHING`,
      [tenantId],
    );
    // One visit a week going back from last week, each the last doctor's, completed.
    const { rows: made } = await db.query<{ id: string; starts_at: Date }>(
      `INSERT INTO appointments.appointments (id, tenant_id, patient_id, doctor_id, department_id, starts_at, ends_at,
         service_date, status, consultation_fee_minor, hospital_fee_minor, currency, checked_in_at,
         consultation_started_at, completed_at)
       SELECT gen_random_uuid(), $1, $2, d.id, d.department_id, t, t + interval '15 minutes', t::date, 'COMPLETED',
              50000, 10000, 'INR', t - interval '20 minutes', t, t + interval '15 minutes'
       FROM appointments.doctors d, generate_series(1, $4::int) AS w,
            LATERAL (SELECT date_trunc('hour', now()) - w * interval '7 days' AS t) x
       WHERE d.tenant_id = $1 AND d.id = $3
       RETURNING id, starts_at`,
      [tenantId, patient, doctor, visits],
    );
    const rows = made.sort((a, b) => b.starts_at.getTime() - a.starts_at.getTime());
    await db.query(
      `INSERT INTO appointments.visit_vitals (id, tenant_id, appointment_id, patient_id, taken_at, taken_by,
         temperature_c, pulse_bpm, systolic_mmhg, diastolic_mmhg, weight_kg, height_cm, bmi)
       SELECT gen_random_uuid(), a.tenant_id, a.id, a.patient_id, a.starts_at - n * interval '10 minutes', 'nurse',
              37.0, 72 + n, 120, 80, 70, 172, 23.7
       FROM appointments.appointments a, generate_series(0, 1) n WHERE a.id = ANY ($1::uuid[])`,
      [rows.map((r) => r.id)],
    );
    await db.query(
      `WITH c AS (
         INSERT INTO appointments.consultations (id, tenant_id, appointment_id, patient_id, doctor_id, status,
           chief_complaint, history, examination, diagnoses, follow_up_advice, signed_at, signed_by)
         SELECT gen_random_uuid(), a.tenant_id, a.id, a.patient_id, a.doctor_id, 'SIGNED', 'cough and fever',
                'three days', 'chest clear',
                '[{"code": "R50.9", "title": "Fever, unspecified", "primary": true},
                  {"code": "R05", "title": "Cough", "primary": false}]',
                'fluids, rest', a.completed_at, 'doctor'
         FROM appointments.appointments a WHERE a.id = ANY ($1::uuid[])
         RETURNING id, tenant_id, appointment_id, signed_at)
       INSERT INTO appointments.consultation_addenda (id, tenant_id, consultation_id, appointment_id, text, author_id,
         added_at)
       SELECT gen_random_uuid(), tenant_id, id, appointment_id, 'reports reviewed', 'doctor', signed_at + interval '1 day'
       FROM c`,
      [rows.map((r) => r.id)],
    );
    await db.query(
      `INSERT INTO appointments.prescriptions (id, tenant_id, appointment_id, patient_id, doctor_id, status, items,
         active_until, issued_at, issued_by)
       SELECT gen_random_uuid(), a.tenant_id, a.id, a.patient_id, a.doctor_id, 'ISSUED',
              jsonb_build_array(
                jsonb_build_object('medicineCode', 'PARA-500', 'genericName', 'paracetamol', 'form', 'tablet',
                  'strength', '500 mg', 'billingCode', '', 'dose', '1 tablet', 'route', 'oral',
                  'frequency', 'thrice daily', 'durationDays', 3, 'quantity', 9, 'instructions', 'after food'),
                jsonb_build_object('medicineCode', 'CETI-10', 'genericName', 'cetirizine', 'form', 'tablet',
                  'strength', '10 mg', 'billingCode', '', 'dose', '1 tablet', 'route', 'oral',
                  'frequency', 'at night', 'durationDays', 5, 'quantity', 5, 'instructions', '')),
              a.starts_at + interval '5 days', a.starts_at + interval '10 minutes', 'doctor'
       FROM appointments.appointments a WHERE a.id = ANY ($1::uuid[])`,
      [rows.map((r) => r.id)],
    );
    await db.query('COMMIT');
    for (const table of ['appointments', 'visit_vitals', 'consultations', 'consultation_addenda', 'prescriptions']) {
      await db.query(`ANALYZE appointments.${table}`);
    }
    return {
      doctorToken: await roleToken(env, fixture, 'DOCTOR'),
      nurseToken: await roleToken(env, fixture, 'NURSE'),
      historyPatient: patient,
      clinicalVisits: rows.map((r) => r.id),
      medicines,
    };
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await db.end();
  }
}
