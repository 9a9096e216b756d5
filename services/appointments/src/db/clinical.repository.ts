/**
 * ClinicalStore in SQL on the service's database. Each read of a visit's part
 * is one statement: the appointment (which says whether the visit exists and
 * whose it is) with the part aggregated beside it through its
 * (tenant_id, appointment_id) index, however long the visit's history.
 */
import { claimIdempotencyKey, rememberResult, type Database, type Sql, type Transaction } from '@hms/platform';
import type {
  ActiveMedicine,
  ClinicalReads,
  ClinicalStore,
  ClinicalTx,
  DiagnosisSearch,
  HistoryCursor,
} from '../domain/clinical-store.js';
import type {
  Addendum,
  Allergy,
  Consultation,
  Diagnosis,
  FormularyItem,
  Prescription,
  PrescriptionItem,
  PrescriptionWarning,
  Severity,
  VisitSummary,
  Vitals,
} from '../domain/clinical-types.js';
import { APPOINTMENT_COLUMNS, toAppointment, type AppointmentRow } from './scheduling.repository.js';

// --- rows (as json_agg and row_to_json give them: instants as strings, numerics as numbers) ---

const num = (v: number | string | null | undefined) => (v === null || v === undefined ? undefined : Number(v));

const VITALS_COLUMNS = `id, tenant_id, appointment_id, patient_id, taken_at, taken_by, temperature_c, pulse_bpm,
  systolic_mmhg, diastolic_mmhg, respiratory_rate_per_min, spo2_percent, weight_kg, height_cm, bmi`;

interface VitalsRow {
  id: string;
  tenant_id: string;
  appointment_id: string;
  patient_id: string;
  taken_at: string | Date;
  taken_by: string;
  temperature_c: number | string | null;
  pulse_bpm: number | null;
  systolic_mmhg: number | null;
  diastolic_mmhg: number | null;
  respiratory_rate_per_min: number | null;
  spo2_percent: number | null;
  weight_kg: number | string | null;
  height_cm: number | string | null;
  bmi: number | string | null;
}

function toVitals(r: VitalsRow): Vitals {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    appointmentId: r.appointment_id,
    patientId: r.patient_id,
    takenAt: new Date(r.taken_at),
    takenBy: r.taken_by,
    temperatureC: num(r.temperature_c),
    pulseBpm: num(r.pulse_bpm),
    systolicMmhg: num(r.systolic_mmhg),
    diastolicMmhg: num(r.diastolic_mmhg),
    respiratoryRatePerMin: num(r.respiratory_rate_per_min),
    spo2Percent: num(r.spo2_percent),
    weightKg: num(r.weight_kg),
    heightCm: num(r.height_cm),
    bmi: num(r.bmi),
  };
}

const CONSULTATION_COLUMNS = `id, tenant_id, appointment_id, patient_id, doctor_id, status, chief_complaint, history,
  examination, notes, diagnoses, follow_up_advice, follow_up_date, version, created_at, updated_at, signed_at, signed_by`;

interface ConsultationRow {
  id: string;
  tenant_id: string;
  appointment_id: string;
  patient_id: string;
  doctor_id: string;
  status: Consultation['status'];
  chief_complaint: string;
  history: string;
  examination: string;
  notes: string;
  diagnoses: Diagnosis[];
  follow_up_advice: string;
  follow_up_date: string | null;
  version: number;
  created_at: string | Date;
  updated_at: string | Date;
  signed_at: string | Date | null;
  signed_by: string | null;
}

const ADDENDUM_COLUMNS = 'id, consultation_id, appointment_id, text, diagnoses, author_id, added_at';

interface AddendumRow {
  id: string;
  consultation_id: string;
  appointment_id: string;
  text: string;
  diagnoses: Diagnosis[];
  author_id: string;
  added_at: string | Date;
}

const toAddendum = (r: AddendumRow): Addendum => ({
  id: r.id,
  consultationId: r.consultation_id,
  appointmentId: r.appointment_id,
  text: r.text,
  diagnoses: r.diagnoses,
  authorId: r.author_id,
  addedAt: new Date(r.added_at),
});

function toConsultation(r: ConsultationRow, addenda: AddendumRow[]): Consultation {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    appointmentId: r.appointment_id,
    patientId: r.patient_id,
    doctorId: r.doctor_id,
    status: r.status,
    chiefComplaint: r.chief_complaint,
    history: r.history,
    examination: r.examination,
    notes: r.notes,
    diagnoses: r.diagnoses,
    followUpAdvice: r.follow_up_advice,
    followUpDate: r.follow_up_date,
    version: r.version,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    signedAt: r.signed_at === null ? null : new Date(r.signed_at),
    signedBy: r.signed_by,
    addenda: addenda.map(toAddendum),
  };
}

/** The visit's addenda, oldest first, as one JSON array (a sub-select of a statement with $1 tenant, $2 visit). */
const ADDENDA_OF_VISIT = `(SELECT coalesce(json_agg(x ORDER BY x.added_at, x.id), '[]') FROM
    (SELECT ${ADDENDUM_COLUMNS} FROM consultation_addenda WHERE tenant_id = $1 AND appointment_id = $2) x)`;

const PRESCRIPTION_COLUMNS = `id, tenant_id, appointment_id, patient_id, doctor_id, status, items, warnings,
  active_until, issued_at, issued_by, dispensed_at, dispensed_by`;

interface PrescriptionRow {
  id: string;
  tenant_id: string;
  appointment_id: string;
  patient_id: string;
  doctor_id: string;
  status: Prescription['status'];
  items: PrescriptionItem[];
  warnings: PrescriptionWarning[];
  active_until: string | Date;
  issued_at: string | Date;
  issued_by: string;
  dispensed_at: string | Date | null;
  dispensed_by: string | null;
}

function toPrescription(r: PrescriptionRow): Prescription {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    appointmentId: r.appointment_id,
    patientId: r.patient_id,
    doctorId: r.doctor_id,
    status: r.status,
    items: r.items,
    warnings: r.warnings,
    activeUntil: new Date(r.active_until),
    issuedAt: new Date(r.issued_at),
    issuedBy: r.issued_by,
    dispensedAt: r.dispensed_at === null ? null : new Date(r.dispensed_at),
    dispensedBy: r.dispensed_by,
  };
}

const FORMULARY_COLUMNS = 'id, tenant_id, code, generic_name, form, strength, billing_code, active';

interface FormularyRow {
  id: string;
  tenant_id: string;
  code: string;
  generic_name: string;
  form: string;
  strength: string;
  billing_code: string;
  active: boolean;
}

const toFormularyItem = (r: FormularyRow): FormularyItem => ({
  id: r.id,
  tenantId: r.tenant_id,
  code: r.code,
  genericName: r.generic_name,
  form: r.form,
  strength: r.strength,
  billingCode: r.billing_code,
  active: r.active,
});

const ALLERGY_COLUMNS = 'id, tenant_id, patient_id, substance, reaction, severity, recorded_by, recorded_at';

interface AllergyRow {
  id: string;
  tenant_id: string;
  patient_id: string;
  substance: string;
  reaction: string;
  severity: Severity;
  recorded_by: string;
  recorded_at: string | Date;
}

const toAllergy = (r: AllergyRow): Allergy => ({
  id: r.id,
  tenantId: r.tenant_id,
  patientId: r.patient_id,
  substance: r.substance,
  reaction: r.reaction,
  severity: r.severity,
  recordedBy: r.recorded_by,
  recordedAt: new Date(r.recorded_at),
});

// --- the statements of the split reads (exported: the integration test EXPLAINs them) ------------

/** $1 tenant, $2 appointment. */
export const VITALS_OF_VISIT = `SELECT a.patient_id,
    (SELECT coalesce(json_agg(v ORDER BY v.taken_at, v.id), '[]') FROM
       (SELECT ${VITALS_COLUMNS} FROM visit_vitals WHERE tenant_id = $1 AND appointment_id = $2) v) AS part
  FROM appointments a WHERE a.tenant_id = $1 AND a.id = $2`;

/** $1 tenant, $2 appointment. */
export const CONSULTATION_OF_VISIT = `SELECT a.patient_id,
    (SELECT row_to_json(c) FROM (SELECT ${CONSULTATION_COLUMNS} FROM consultations
       WHERE tenant_id = $1 AND appointment_id = $2) c) AS part,
    ${ADDENDA_OF_VISIT} AS addenda
  FROM appointments a WHERE a.tenant_id = $1 AND a.id = $2`;

/** $1 tenant, $2 appointment. */
export const PRESCRIPTIONS_OF_VISIT = `SELECT a.patient_id,
    (SELECT coalesce(json_agg(p ORDER BY p.issued_at, p.id), '[]') FROM
       (SELECT ${PRESCRIPTION_COLUMNS} FROM prescriptions WHERE tenant_id = $1 AND appointment_id = $2) p) AS part
  FROM appointments a WHERE a.tenant_id = $1 AND a.id = $2`;

/**
 * $1 tenant, $2 patient, $3 the page size; with `continued`, $4 and $5 the
 * cursor (starts_at, id). A row per visit, newest first; one row with no visit
 * when the patient has none; no row when there is no such patient. Two texts
 * rather than one with `($4 IS NULL OR ...)`, so each can be planned
 * generically (the read's `genericPlans`): for a tenant the statistics have
 * not seen, a plan made for its values may take any index that starts with
 * tenant_id to the patient's visits.
 */
export function historyOfPatient(continued: boolean): string {
  return `SELECT a.*, c.status AS consultation_status, c.diagnoses AS diagnoses,
    (SELECT coalesce(json_agg(json_build_object('id', p.id, 'status', p.status, 'medicines',
        (SELECT coalesce(json_agg(concat_ws(' ', i->>'genericName', i->>'strength', i->>'form')), '[]')
           FROM jsonb_array_elements(p.items) i)) ORDER BY p.issued_at, p.id), '[]')
       FROM prescriptions p WHERE p.tenant_id = $1 AND p.appointment_id = a.id) AS prescriptions
  FROM patients pt
  LEFT JOIN LATERAL (
    SELECT ${APPOINTMENT_COLUMNS} FROM appointments
    WHERE tenant_id = $1 AND patient_id = $2 AND status IN ('IN_CONSULTATION', 'COMPLETED')
      ${continued ? 'AND (starts_at, id) < ($4::timestamptz, $5::uuid)' : ''}
    ORDER BY starts_at DESC, id DESC LIMIT $3) a ON true
  LEFT JOIN consultations c ON c.tenant_id = $1 AND c.appointment_id = a.id
  WHERE pt.tenant_id = $1 AND pt.id = $2
  ORDER BY a.starts_at DESC, a.id DESC`;
}

type HistoryRow = Partial<AppointmentRow> & {
  consultation_status: Consultation['status'] | null;
  diagnoses: Diagnosis[] | null;
  prescriptions: { id: string; status: Prescription['status']; medicines: string[] }[];
};

/** Escapes LIKE's wildcards in a user's word. */
const likeWord = (word: string) => `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createClinicalStore(db: Database): ClinicalStore {
  return {
    change: (tenantId, fn) => db.transaction(tenantId, (tx) => fn(changesIn(tx, tenantId))),
    read: (tenantId, fn, options) => db.read(tenantId, (sql) => fn(readsIn(sql, tenantId)), options),
  };
}

function readsIn(sql: Sql, tenantId: string): ClinicalReads {
  return {
    async vitals(appointmentId) {
      const [row] = await sql.query<{ patient_id: string; part: VitalsRow[] }>(VITALS_OF_VISIT, [
        tenantId,
        appointmentId,
      ]);
      return row ? { patientId: row.patient_id, part: row.part.map(toVitals) } : undefined;
    },
    async consultation(appointmentId) {
      const [row] = await sql.query<{ patient_id: string; part: ConsultationRow | null; addenda: AddendumRow[] }>(
        CONSULTATION_OF_VISIT,
        [tenantId, appointmentId],
      );
      if (!row) return undefined;
      return { patientId: row.patient_id, part: row.part ? toConsultation(row.part, row.addenda) : null };
    },
    async prescriptions(appointmentId) {
      const [row] = await sql.query<{ patient_id: string; part: PrescriptionRow[] }>(PRESCRIPTIONS_OF_VISIT, [
        tenantId,
        appointmentId,
      ]);
      return row ? { patientId: row.patient_id, part: row.part.map(toPrescription) } : undefined;
    },
    async prescription(id) {
      const [row] = await sql.query<PrescriptionRow>(
        `SELECT ${PRESCRIPTION_COLUMNS} FROM prescriptions WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id],
      );
      return row ? toPrescription(row) : undefined;
    },
    async history(patientId, limit, after?: HistoryCursor) {
      const rows = await sql.query<HistoryRow>(
        historyOfPatient(after !== undefined),
        after ? [tenantId, patientId, limit, after.startsAt, after.id] : [tenantId, patientId, limit],
      );
      if (rows.length === 0) return undefined;
      return rows
        .filter((r) => r.id)
        .map((r): VisitSummary => ({
          appointment: toAppointment(r as AppointmentRow),
          consultationStatus: r.consultation_status,
          diagnoses: r.diagnoses ?? [],
          prescriptions: r.prescriptions,
        }));
    },
    async diagnosisCodes(codes) {
      if (codes.length === 0) return [];
      return sql.query<{ code: string; title: string }>(
        'SELECT code, title FROM diagnosis_codes WHERE code = ANY ($1::text[])',
        [codes],
      );
    },
    async searchDiagnosisCodes(search: DiagnosisSearch, limit) {
      if (search.by === 'code') {
        // A range on the text_pattern_ops index: its use does not depend on the plan knowing the value.
        return sql.query<{ code: string; title: string }>(
          `SELECT code, title FROM diagnosis_codes WHERE code ~>=~ $1 AND code ~<~ ($1 || '~')
           ORDER BY code LIMIT $2`,
          [search.prefix, limit],
        );
      }
      // One LIKE per word, all on the title's trigram index; the closest titles first.
      const conditions = search.words.map((_, i) => `lower(title) LIKE $${i + 3}`).join(' AND ');
      return sql.query<{ code: string; title: string }>(
        `SELECT code, title FROM diagnosis_codes WHERE ${conditions}
         ORDER BY similarity(lower(title), $1) DESC, length(code), code LIMIT $2`,
        [search.words.join(' '), limit, ...search.words.map(likeWord)],
      );
    },
    async formulary(query, limit, afterCode) {
      const rows = await sql.query<FormularyRow>(
        `SELECT ${FORMULARY_COLUMNS} FROM formulary_items
         WHERE tenant_id = $1 AND ($2 = '' OR code LIKE upper($4) OR lower(generic_name) LIKE lower($4)
                                  OR lower(generic_name) LIKE lower($5))
           AND ($3::text IS NULL OR code > $3)
         ORDER BY code LIMIT $6`,
        [
          tenantId,
          query,
          afterCode ?? null,
          `${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
          `% ${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
          limit,
        ],
      );
      return rows.map(toFormularyItem);
    },
    async formularyItems(codes) {
      if (codes.length === 0) return [];
      const rows = await sql.query<FormularyRow>(
        `SELECT ${FORMULARY_COLUMNS} FROM formulary_items WHERE tenant_id = $1 AND code = ANY ($2::text[])`,
        [tenantId, codes],
      );
      return rows.map(toFormularyItem);
    },
    async allergies(patientId) {
      const [row] = await sql.query<{ allergies: AllergyRow[] }>(
        `SELECT (SELECT coalesce(json_agg(x ORDER BY x.recorded_at, x.id), '[]') FROM
            (SELECT ${ALLERGY_COLUMNS} FROM patient_allergies WHERE tenant_id = $1 AND patient_id = $2) x) AS allergies
         FROM patients WHERE tenant_id = $1 AND id = $2`,
        [tenantId, patientId],
      );
      return row ? row.allergies.map(toAllergy) : undefined;
    },
    async activeMedicines(patientId, at): Promise<ActiveMedicine[]> {
      return (
        await sql.query<{ prescription_id: string; medicine_code: string; generic_name: string }>(
          `SELECT p.id AS prescription_id, i->>'medicineCode' AS medicine_code, i->>'genericName' AS generic_name
           FROM prescriptions p CROSS JOIN LATERAL jsonb_array_elements(p.items) i
           WHERE p.tenant_id = $1 AND p.patient_id = $2 AND p.active_until > $3`,
          [tenantId, patientId, at],
        )
      ).map((r) => ({ prescriptionId: r.prescription_id, medicineCode: r.medicine_code, genericName: r.generic_name }));
    },
    async settings() {
      const [row] = await sql.query<{ pharmacy_enabled: boolean }>(
        'SELECT pharmacy_enabled FROM clinical_settings WHERE tenant_id = $1',
        [tenantId],
      );
      return { pharmacyEnabled: row?.pharmacy_enabled ?? false };
    },
  };
}

function changesIn(tx: Transaction, tenantId: string): ClinicalTx {
  const reads = readsIn(tx, tenantId);
  return {
    ...reads,
    replayOf: (claim) => claimIdempotencyKey(tx, claim),
    remember: (claim, result) => rememberResult(tx, claim, result),
    emit: (events) => tx.emit(...events),
    async lockVisit(appointmentId) {
      const [row] = await tx.query<AppointmentRow>(
        `SELECT ${APPOINTMENT_COLUMNS} FROM appointments WHERE tenant_id = $1 AND id = $2 FOR SHARE`,
        [tenantId, appointmentId],
      );
      return row ? toAppointment(row) : undefined;
    },
    async lockConsultation(appointmentId) {
      const [row] = await tx.query<ConsultationRow & { addenda: AddendumRow[] }>(
        `SELECT ${CONSULTATION_COLUMNS}, ${ADDENDA_OF_VISIT} AS addenda FROM consultations
         WHERE tenant_id = $1 AND appointment_id = $2 FOR UPDATE`,
        [tenantId, appointmentId],
      );
      return row ? toConsultation(row, row.addenda) : undefined;
    },
    async insertVitals(v: Vitals, events) {
      await tx.execute(
        `INSERT INTO visit_vitals (id, tenant_id, appointment_id, patient_id, taken_at, taken_by, temperature_c,
           pulse_bpm, systolic_mmhg, diastolic_mmhg, respiratory_rate_per_min, spo2_percent, weight_kg, height_cm, bmi)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        [
          v.id,
          tenantId,
          v.appointmentId,
          v.patientId,
          v.takenAt,
          v.takenBy,
          v.temperatureC ?? null,
          v.pulseBpm ?? null,
          v.systolicMmhg ?? null,
          v.diastolicMmhg ?? null,
          v.respiratoryRatePerMin ?? null,
          v.spo2Percent ?? null,
          v.weightKg ?? null,
          v.heightCm ?? null,
          v.bmi ?? null,
        ],
      );
      tx.emit(...events);
    },
    async saveConsultation(c: Consultation, events) {
      await tx.execute(
        `INSERT INTO consultations (${CONSULTATION_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, chief_complaint = EXCLUDED.chief_complaint,
           history = EXCLUDED.history, examination = EXCLUDED.examination, notes = EXCLUDED.notes,
           diagnoses = EXCLUDED.diagnoses, follow_up_advice = EXCLUDED.follow_up_advice,
           follow_up_date = EXCLUDED.follow_up_date, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at,
           signed_at = EXCLUDED.signed_at, signed_by = EXCLUDED.signed_by`,
        [
          c.id,
          tenantId,
          c.appointmentId,
          c.patientId,
          c.doctorId,
          c.status,
          c.chiefComplaint,
          c.history,
          c.examination,
          c.notes,
          JSON.stringify(c.diagnoses),
          c.followUpAdvice,
          c.followUpDate,
          c.version,
          c.createdAt,
          c.updatedAt,
          c.signedAt,
          c.signedBy,
        ],
      );
      tx.emit(...events);
    },
    async insertAddendum(a: Addendum, events) {
      await tx.execute(
        `INSERT INTO consultation_addenda (${ADDENDUM_COLUMNS}, tenant_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [a.id, a.consultationId, a.appointmentId, a.text, JSON.stringify(a.diagnoses), a.authorId, a.addedAt, tenantId],
      );
      tx.emit(...events);
    },
    async insertPrescription(p: Prescription, events) {
      await tx.execute(
        `INSERT INTO prescriptions (${PRESCRIPTION_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          p.id,
          tenantId,
          p.appointmentId,
          p.patientId,
          p.doctorId,
          p.status,
          JSON.stringify(p.items),
          JSON.stringify(p.warnings),
          p.activeUntil,
          p.issuedAt,
          p.issuedBy,
          p.dispensedAt,
          p.dispensedBy,
        ],
      );
      tx.emit(...events);
    },
    async lockPrescription(id) {
      const [row] = await tx.query<PrescriptionRow>(
        `SELECT ${PRESCRIPTION_COLUMNS} FROM prescriptions WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [tenantId, id],
      );
      return row ? toPrescription(row) : undefined;
    },
    async savePrescription(p: Prescription, events) {
      await tx.execute(
        `UPDATE prescriptions SET status = $3, dispensed_at = $4, dispensed_by = $5 WHERE tenant_id = $1 AND id = $2`,
        [tenantId, p.id, p.status, p.dispensedAt, p.dispensedBy],
      );
      tx.emit(...events);
    },
    async putFormularyItem(item: FormularyItem) {
      const [row] = await tx.query<FormularyRow>(
        `INSERT INTO formulary_items (id, tenant_id, code, generic_name, form, strength, billing_code, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (tenant_id, code) DO UPDATE SET generic_name = EXCLUDED.generic_name, form = EXCLUDED.form,
           strength = EXCLUDED.strength, billing_code = EXCLUDED.billing_code, active = EXCLUDED.active,
           updated_at = CURRENT_TIMESTAMP
         RETURNING ${FORMULARY_COLUMNS}`,
        [item.id, tenantId, item.code, item.genericName, item.form, item.strength, item.billingCode, item.active],
      );
      return toFormularyItem(row!);
    },
    async insertAllergy(a: Allergy) {
      await tx.execute(`INSERT INTO patient_allergies (${ALLERGY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        a.id,
        tenantId,
        a.patientId,
        a.substance,
        a.reaction,
        a.severity,
        a.recordedBy,
        a.recordedAt,
      ]);
    },
    async saveSettings(settings) {
      await tx.execute(
        `INSERT INTO clinical_settings (tenant_id, pharmacy_enabled) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET pharmacy_enabled = EXCLUDED.pharmacy_enabled, updated_at = CURRENT_TIMESTAMP`,
        [tenantId, settings.pharmacyEnabled],
      );
    },
  };
}
