/**
 * Reading the clinical record (a visit's vitals, consultation, prescriptions,
 * a patient's history of visits), the code list, the formulary, allergies and
 * the tenant's clinical settings. Each visit read is one statement whatever
 * the visit's history; each answers with the patient, so the caller can put
 * the read on the audit trail (the gateway's record.accessed).
 */
import { InvalidArgumentError, NotFoundError, type FieldViolation } from '@hms/platform/domain';
import { CLINICAL_PERMISSIONS, requireClinical, type ClinicalActor } from './clinical-permissions.js';
import type { DiagnosisSearch, HistoryCursor, VisitPart } from './clinical-store.js';
import {
  SEVERITIES,
  type Allergy,
  type ClinicalSettings,
  type Consultation,
  type DiagnosisCode,
  type FormularyItem,
  type Prescription,
  type Severity,
  type VisitSummary,
  type Vitals,
} from './clinical-types.js';
import type { ClinicalDeps } from './vitals.js';

interface VisitRead {
  tenantId: string;
  appointmentId: string;
  actor: ClinicalActor;
}

/**
 * For the reads of a visit and of a patient's history: statements that name only the conditions
 * given, planned generically, so a tenant the statistics have not seen yet still reads through
 * the visit's and the patient's indexes (ClinicalStore.read).
 */
const GENERIC = { genericPlans: true } as const;

function found<T>(part: VisitPart<T> | undefined, appointmentId: string): VisitPart<T> {
  if (!part) throw new NotFoundError(`appointment ${appointmentId} not found`);
  return part;
}

export async function visitVitals(deps: ClinicalDeps, q: VisitRead): Promise<VisitPart<Vitals[]>> {
  requireClinical(q.actor, CLINICAL_PERMISSIONS.read);
  return found(await deps.store.read(q.tenantId, (r) => r.vitals(q.appointmentId), GENERIC), q.appointmentId);
}

/** The visit's consultation with its addenda; NotFound when the visit has none yet. */
export async function visitConsultation(deps: ClinicalDeps, q: VisitRead): Promise<VisitPart<Consultation>> {
  requireClinical(q.actor, CLINICAL_PERMISSIONS.read);
  const { patientId, part } = found(
    await deps.store.read(q.tenantId, (r) => r.consultation(q.appointmentId), GENERIC),
    q.appointmentId,
  );
  if (!part) throw new NotFoundError(`appointment ${q.appointmentId} has no consultation yet`);
  return { patientId, part };
}

export async function visitPrescriptions(deps: ClinicalDeps, q: VisitRead): Promise<VisitPart<Prescription[]>> {
  requireClinical(q.actor, CLINICAL_PERMISSIONS.read, CLINICAL_PERMISSIONS.readPrescriptions);
  return found(await deps.store.read(q.tenantId, (r) => r.prescriptions(q.appointmentId), GENERIC), q.appointmentId);
}

export async function getPrescription(
  deps: ClinicalDeps,
  q: { tenantId: string; prescriptionId: string; actor: ClinicalActor },
): Promise<Prescription> {
  requireClinical(q.actor, CLINICAL_PERMISSIONS.read, CLINICAL_PERMISSIONS.readPrescriptions);
  const prescription = await deps.store.read(q.tenantId, (r) => r.prescription(q.prescriptionId), GENERIC);
  if (!prescription) throw new NotFoundError(`prescription ${q.prescriptionId} not found`);
  return prescription;
}

/** A page of the patient's past visits, newest first; `more` when another page follows. */
export async function patientHistory(
  deps: ClinicalDeps,
  q: { tenantId: string; patientId: string; limit: number; after?: HistoryCursor | undefined; actor: ClinicalActor },
): Promise<{ visits: VisitSummary[]; more: boolean }> {
  requireClinical(q.actor, CLINICAL_PERMISSIONS.read);
  const rows = await deps.store.read(q.tenantId, (r) => r.history(q.patientId, q.limit + 1, q.after), GENERIC);
  if (!rows) throw new NotFoundError(`patient ${q.patientId} not found`);
  return { visits: rows.slice(0, q.limit), more: rows.length > q.limit };
}

/** A code (or its start, e.g. "J45" or "j459") or words of a title ("asthma mild"). */
export function diagnosisSearchOf(query: string): DiagnosisSearch {
  const q = query.trim();
  if (/^[A-Za-z][0-9][0-9A-Za-z]?\.?[0-9A-Za-z]{0,4}$/.test(q)) {
    const bare = q.toUpperCase().replace('.', '');
    return { by: 'code', prefix: bare.length > 3 ? `${bare.slice(0, 3)}.${bare.slice(3)}` : bare };
  }
  const words = [
    ...new Set(
      q
        .toLowerCase()
        .split(/[^\p{L}\p{N}]+/u)
        .filter((w) => w.length >= 2 || /^\d$/.test(w)),
    ),
  ].slice(0, 8);
  if (words.length === 0) {
    throw new InvalidArgumentError('invalid search', [
      { field: 'q', message: 'a code (e.g. J45.9) or words (of at least 2 letters, or a digit)' },
    ]);
  }
  return { by: 'words', words };
}

export async function searchDiagnosisCodes(
  deps: ClinicalDeps,
  q: { tenantId: string; query: string; limit: number },
): Promise<DiagnosisCode[]> {
  const search = diagnosisSearchOf(q.query);
  return deps.store.read(q.tenantId, (r) => r.searchDiagnosisCodes(search, q.limit));
}

// --- the formulary, allergies, settings --------------------------------------------------------

export const MEDICINE_CODE = /^[A-Z0-9][A-Z0-9._-]{0,39}$/;

export async function putFormularyItem(
  deps: ClinicalDeps,
  cmd: {
    tenantId: string;
    item: Pick<FormularyItem, 'code' | 'genericName' | 'form' | 'strength' | 'billingCode' | 'active'>;
    actor: ClinicalActor;
  },
): Promise<FormularyItem> {
  requireClinical(cmd.actor, CLINICAL_PERMISSIONS.manageFormulary);
  const { item } = cmd;
  const problems: FieldViolation[] = [];
  if (!MEDICINE_CODE.test(item.code)) problems.push({ field: 'code', message: 'must be 1-40 of A-Z, 0-9, . _ -' });
  for (const field of ['genericName', 'form', 'strength'] as const) {
    if (!item[field].trim() || item[field].length > 200)
      problems.push({ field, message: 'required, at most 200 characters' });
  }
  if (item.billingCode && !MEDICINE_CODE.test(item.billingCode)) {
    problems.push({
      field: 'billingCode',
      message: "must be a billing catalogue code (1-40 of A-Z, 0-9, . _ -) or ''",
    });
  }
  if (problems.length > 0) throw new InvalidArgumentError('invalid formulary item', problems);
  return deps.store.change(cmd.tenantId, (tx) =>
    tx.putFormularyItem({
      id: deps.newId(),
      tenantId: cmd.tenantId,
      code: item.code,
      genericName: item.genericName.trim(),
      form: item.form.trim(),
      strength: item.strength.trim(),
      billingCode: item.billingCode,
      active: item.active,
    }),
  );
}

export async function listFormulary(
  deps: ClinicalDeps,
  q: { tenantId: string; query: string; limit: number; afterCode?: string | undefined },
): Promise<{ items: FormularyItem[]; more: boolean }> {
  const rows = await deps.store.read(q.tenantId, (r) => r.formulary(q.query.trim(), q.limit + 1, q.afterCode));
  return { items: rows.slice(0, q.limit), more: rows.length > q.limit };
}

export async function recordAllergy(
  deps: ClinicalDeps,
  cmd: {
    tenantId: string;
    patientId: string;
    substance: string;
    reaction: string;
    severity: string;
    actor: ClinicalActor;
  },
): Promise<Allergy> {
  requireClinical(cmd.actor, CLINICAL_PERMISSIONS.recordAllergies);
  const problems: FieldViolation[] = [];
  const substance = cmd.substance.trim();
  if (!substance || substance.length > 200)
    problems.push({ field: 'substance', message: 'required, at most 200 characters' });
  if (cmd.reaction.length > 500) problems.push({ field: 'reaction', message: 'must be at most 500 characters' });
  if (!(SEVERITIES as readonly string[]).includes(cmd.severity)) {
    problems.push({ field: 'severity', message: `must be one of ${SEVERITIES.join(', ')}` });
  }
  if (problems.length > 0) throw new InvalidArgumentError('invalid allergy', problems);
  return deps.store.change(cmd.tenantId, async (tx) => {
    if (!(await tx.allergies(cmd.patientId))) throw new NotFoundError(`patient ${cmd.patientId} not found`);
    const allergy: Allergy = {
      id: deps.newId(),
      tenantId: cmd.tenantId,
      patientId: cmd.patientId,
      substance,
      reaction: cmd.reaction.trim(),
      severity: cmd.severity as Severity,
      recordedBy: cmd.actor.id,
      recordedAt: deps.now(),
    };
    await tx.insertAllergy(allergy);
    return allergy;
  });
}

export async function listAllergies(
  deps: ClinicalDeps,
  q: { tenantId: string; patientId: string; actor: ClinicalActor },
): Promise<Allergy[]> {
  requireClinical(q.actor, CLINICAL_PERMISSIONS.read, CLINICAL_PERMISSIONS.readPrescriptions);
  const allergies = await deps.store.read(q.tenantId, (r) => r.allergies(q.patientId));
  if (!allergies) throw new NotFoundError(`patient ${q.patientId} not found`);
  return allergies;
}

export async function getClinicalSettings(deps: ClinicalDeps, tenantId: string): Promise<ClinicalSettings> {
  return deps.store.read(tenantId, (r) => r.settings());
}

export async function updateClinicalSettings(
  deps: ClinicalDeps,
  cmd: { tenantId: string; settings: ClinicalSettings; actor: ClinicalActor },
): Promise<ClinicalSettings> {
  requireClinical(cmd.actor, CLINICAL_PERMISSIONS.manageSettings);
  await deps.store.change(cmd.tenantId, (tx) => tx.saveSettings(cmd.settings));
  return cmd.settings;
}
