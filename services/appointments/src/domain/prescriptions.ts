/**
 * Prescriptions of a visit: items of medicines from the tenant's formulary
 * with dose, route, frequency, duration, quantity and instructions, checked
 * against the patient's recorded allergies and against the medicines of their
 * prescriptions still running. A prescription with warnings is issued only
 * when the prescriber acknowledges them (the warnings are kept with it).
 * The hospital's pharmacy dispenses it, when the tenant has one, and billing
 * hears of it (prescription.dispensed).
 */
import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  type FieldViolation,
  type IdempotencyClaim,
} from '@hms/platform/domain';
import { prescriptionDispensed, prescriptionIssued } from './clinical-events.js';
import { CLINICAL_PERMISSIONS, requireClinical, type ClinicalActor } from './clinical-permissions.js';
import type { ActiveMedicine } from './clinical-store.js';
import type { Allergy, FormularyItem, Prescription, PrescriptionItem, PrescriptionWarning } from './clinical-types.js';
import type { ClinicalDeps } from './vitals.js';

export const ROUTES = [
  'oral',
  'sublingual',
  'topical',
  'inhaled',
  'nasal',
  'ophthalmic',
  'otic',
  'rectal',
  'vaginal',
  'iv',
  'im',
  'sc',
  'intradermal',
  'transdermal',
] as const;
export const MAX_ITEMS = 30;
const DAY_MS = 24 * 60 * 60_000;

export interface ItemInput {
  medicineCode: string;
  dose: string;
  route: string;
  frequency: string;
  durationDays: number;
  quantity: number;
  instructions: string;
}

/**
 * Substances an allergy is commonly recorded as, with the medicines that share
 * it. An allergy names a medicine or one of these; anything else is matched by
 * name only.
 */
export const ALLERGY_CLASSES: Readonly<Record<string, readonly string[]>> = {
  penicillin: [
    'amoxicillin',
    'ampicillin',
    'penicillin',
    'phenoxymethylpenicillin',
    'benzylpenicillin',
    'cloxacillin',
    'flucloxacillin',
    'piperacillin',
  ],
  cephalosporin: ['cefalexin', 'cephalexin', 'cefuroxime', 'ceftriaxone', 'cefixime', 'cefpodoxime', 'cefazolin'],
  sulfonamide: ['sulfamethoxazole', 'sulfasalazine', 'sulfadiazine'],
  nsaid: ['ibuprofen', 'diclofenac', 'naproxen', 'aspirin', 'acetylsalicylic acid', 'mefenamic acid', 'ketorolac'],
  macrolide: ['azithromycin', 'clarithromycin', 'erythromycin'],
  fluoroquinolone: ['ciprofloxacin', 'levofloxacin', 'ofloxacin', 'moxifloxacin', 'norfloxacin'],
  tetracycline: ['doxycycline', 'tetracycline', 'minocycline'],
  opioid: ['codeine', 'tramadol', 'morphine', 'tapentadol', 'oxycodone'],
};
const CLASS_ALIASES: Readonly<Record<string, string>> = {
  penicillins: 'penicillin',
  cephalosporins: 'cephalosporin',
  sulfa: 'sulfonamide',
  sulpha: 'sulfonamide',
  sulfonamides: 'sulfonamide',
  nsaids: 'nsaid',
  macrolides: 'macrolide',
  fluoroquinolones: 'fluoroquinolone',
  quinolones: 'fluoroquinolone',
  tetracyclines: 'tetracycline',
  opioids: 'opioid',
};

const plain = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');

/** Whether an allergy to `substance` concerns the medicine `genericName`. */
export function allergyConcerns(substance: string, genericName: string): boolean {
  const allergy = plain(substance);
  const medicine = plain(genericName);
  if (!allergy || !medicine) return false;
  // Combinations ("amoxicillin + clavulanic acid") concern each of their parts.
  const parts = medicine.split(/\s*(?:\+|\/|,| and | with )\s*/).filter(Boolean);
  const klass = ALLERGY_CLASSES[CLASS_ALIASES[allergy] ?? allergy];
  return parts.some((part) => part === allergy || (klass?.includes(part) ?? false));
}

/** The warnings a prescription of these medicines raises for this patient. */
export function prescriptionWarnings(
  medicines: Pick<FormularyItem, 'code' | 'genericName'>[],
  allergies: Pick<Allergy, 'substance' | 'reaction' | 'severity'>[],
  active: ActiveMedicine[],
): PrescriptionWarning[] {
  const warnings: PrescriptionWarning[] = [];
  for (const medicine of medicines) {
    for (const allergy of allergies) {
      if (allergyConcerns(allergy.substance, medicine.genericName)) {
        warnings.push({
          kind: 'allergy',
          medicineCode: medicine.code,
          message: `the patient is allergic to ${allergy.substance} (${allergy.severity}${allergy.reaction ? `: ${allergy.reaction}` : ''})`,
        });
      }
    }
    const running = active.find((a) => plain(a.genericName) === plain(medicine.genericName));
    if (running) {
      warnings.push({
        kind: 'duplicate',
        medicineCode: medicine.code,
        message: `${medicine.genericName} is already prescribed (prescription ${running.prescriptionId}, still running)`,
      });
    }
  }
  return warnings;
}

const text = (value: string, field: string, max: number, required: boolean, problems: FieldViolation[]) => {
  if (required && !value.trim()) problems.push({ field, message: 'required' });
  else if (value.length > max) problems.push({ field, message: `must be at most ${max} characters` });
};

/** The violations of the items' shape (before the formulary is read). */
export function checkItems(items: ItemInput[]): FieldViolation[] {
  const problems: FieldViolation[] = [];
  if (items.length === 0) problems.push({ field: 'items', message: 'at least one item' });
  if (items.length > MAX_ITEMS) problems.push({ field: 'items', message: `at most ${MAX_ITEMS} items` });
  const codes = items.map((i) => i.medicineCode.trim().toUpperCase());
  items.forEach((item, i) => {
    const at = `items[${i}]`;
    text(item.medicineCode, `${at}.medicineCode`, 40, true, problems);
    if (codes.indexOf(codes[i]!) !== i)
      problems.push({ field: `${at}.medicineCode`, message: 'is listed twice: one item per medicine' });
    text(item.dose, `${at}.dose`, 100, true, problems);
    if (!(ROUTES as readonly string[]).includes(item.route)) {
      problems.push({ field: `${at}.route`, message: `must be one of ${ROUTES.join(', ')}` });
    }
    text(item.frequency, `${at}.frequency`, 100, true, problems);
    if (!Number.isInteger(item.durationDays) || item.durationDays < 1 || item.durationDays > 365) {
      problems.push({ field: `${at}.durationDays`, message: 'must be a whole number of days from 1 to 365' });
    }
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > 10_000) {
      problems.push({ field: `${at}.quantity`, message: 'must be a whole number from 1 to 10000' });
    }
    text(item.instructions, `${at}.instructions`, 1_000, false, problems);
  });
  return problems;
}

export interface IssuePrescription {
  tenantId: string;
  appointmentId: string;
  items: ItemInput[];
  acknowledgeWarnings: boolean;
  idempotency?: IdempotencyClaim | undefined;
  actor: ClinicalActor;
}

export async function issuePrescription(
  deps: ClinicalDeps,
  cmd: IssuePrescription,
): Promise<{ prescription: Prescription; replayed: boolean }> {
  requireClinical(cmd.actor, CLINICAL_PERMISSIONS.prescribe);
  const shape = checkItems(cmd.items);
  if (shape.length > 0) throw new InvalidArgumentError('invalid prescription', shape);
  return deps.store.change(cmd.tenantId, async (tx) => {
    if (cmd.idempotency) {
      const earlier = (await tx.replayOf(cmd.idempotency)) as { prescriptionId: string } | undefined;
      if (earlier) {
        const prescription = await tx.prescription(earlier.prescriptionId);
        if (prescription) return { prescription, replayed: true };
      }
    }
    const visit = await tx.lockVisit(cmd.appointmentId);
    if (!visit) throw new NotFoundError(`appointment ${cmd.appointmentId} not found`);
    if (visit.status !== 'IN_CONSULTATION') {
      throw new ConflictError(
        `prescriptions are issued while the patient is with the doctor; the appointment is ${visit.status.toLowerCase()}`,
        [{ field: 'status', message: `is ${visit.status.toLowerCase()}` }],
      );
    }
    const codes = cmd.items.map((i) => i.medicineCode.trim().toUpperCase());
    const formulary = await tx.formularyItems(codes);
    const allergies = await tx.allergies(visit.patientId);
    const active = await tx.activeMedicines(visit.patientId, deps.now());
    const byCode = new Map(formulary.map((f) => [f.code, f]));
    const unknown: FieldViolation[] = [];
    codes.forEach((code, i) => {
      const medicine = byCode.get(code);
      if (!medicine) unknown.push({ field: `items[${i}].medicineCode`, message: `${code} is not in the formulary` });
      else if (!medicine.active)
        unknown.push({ field: `items[${i}].medicineCode`, message: `${code} is no longer prescribed here` });
    });
    if (unknown.length > 0) throw new InvalidArgumentError('unknown medicines', unknown);
    const medicines = codes.map((code) => byCode.get(code)!);
    const warnings = prescriptionWarnings(medicines, allergies ?? [], active);
    if (warnings.length > 0 && !cmd.acknowledgeWarnings) {
      throw new FailedPreconditionError(
        'the prescription raises warnings: review them and issue again acknowledging them',
        warnings.map((w) => ({
          field: `items[${codes.indexOf(w.medicineCode)}].medicineCode`,
          message: `${w.kind}: ${w.message}`,
        })),
        { warnings },
      );
    }
    const now = deps.now();
    const items: PrescriptionItem[] = cmd.items.map((input, i) => {
      const m = medicines[i]!;
      return {
        medicineId: m.id,
        medicineCode: m.code,
        genericName: m.genericName,
        form: m.form,
        strength: m.strength,
        billingCode: m.billingCode,
        dose: input.dose.trim(),
        route: input.route,
        frequency: input.frequency.trim(),
        durationDays: input.durationDays,
        quantity: input.quantity,
        instructions: input.instructions.trim(),
      };
    });
    const prescription: Prescription = {
      id: deps.newId(),
      tenantId: cmd.tenantId,
      appointmentId: visit.id,
      patientId: visit.patientId,
      doctorId: visit.doctorId,
      status: 'ISSUED',
      items,
      warnings,
      activeUntil: new Date(now.getTime() + Math.max(...items.map((i) => i.durationDays)) * DAY_MS),
      issuedAt: now,
      issuedBy: cmd.actor.id,
      dispensedAt: null,
      dispensedBy: null,
    };
    await tx.insertPrescription(prescription, [prescriptionIssued(prescription)]);
    if (cmd.idempotency) await tx.remember(cmd.idempotency, { prescriptionId: prescription.id });
    return { prescription, replayed: false };
  });
}

/** The pharmacy hands the prescription over; dispensing it again answers with it unchanged. */
export async function dispensePrescription(
  deps: ClinicalDeps,
  cmd: { tenantId: string; prescriptionId: string; actor: ClinicalActor },
): Promise<Prescription> {
  requireClinical(cmd.actor, CLINICAL_PERMISSIONS.dispense);
  return deps.store.change(cmd.tenantId, async (tx) => {
    const prescription = await tx.lockPrescription(cmd.prescriptionId);
    if (!prescription) throw new NotFoundError(`prescription ${cmd.prescriptionId} not found`);
    if (prescription.status === 'DISPENSED') return prescription;
    if (!(await tx.settings()).pharmacyEnabled) {
      throw new FailedPreconditionError(
        'this hospital has no pharmacy of its own: prescriptions are not dispensed here',
        [{ field: 'pharmacyEnabled', message: 'is false in the clinical settings' }],
      );
    }
    const dispensed: Prescription = {
      ...prescription,
      status: 'DISPENSED',
      dispensedAt: deps.now(),
      dispensedBy: cmd.actor.id,
    };
    await tx.savePrescription(dispensed, [prescriptionDispensed(dispensed)]);
    return dispensed;
  });
}
