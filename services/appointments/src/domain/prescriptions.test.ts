import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  PermissionDeniedError,
} from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import {
  admin,
  clinicalClinic,
  doctor,
  nurse,
  patientId,
  pharmacist,
  refusal,
  tenantId,
  visitAt,
} from '../testing/clinical-fixtures.js';
import { patientHistory, putFormularyItem, recordAllergy, updateClinicalSettings } from './clinical-record.js';
import {
  allergyConcerns,
  checkItems,
  dispensePrescription,
  issuePrescription,
  prescriptionWarnings,
} from './prescriptions.js';

const item = (medicineCode: string, durationDays = 5) => ({
  medicineCode,
  dose: '1 tablet',
  route: 'oral',
  frequency: 'three times a day',
  durationDays,
  quantity: 15,
  instructions: 'after food',
});

async function pharmacyClinic() {
  const clinic = clinicalClinic();
  clinic.setStatus(clinic.visit.id, 'IN_CONSULTATION');
  const put = (code: string, genericName: string, billingCode = '') =>
    putFormularyItem(clinic.deps, {
      tenantId,
      item: { code, genericName, form: 'tablet', strength: '500 mg', billingCode, active: true },
      actor: pharmacist,
    });
  await put('AMOX-500', 'amoxicillin', 'PH-AMOX-500');
  await put('PARA-500', 'paracetamol', 'PH-PARA-500');
  await put('AMCL-625', 'amoxicillin + clavulanic acid');
  const issue = (items = [item('PARA-500')], acknowledgeWarnings = false, appointmentId = clinic.visit.id) =>
    issuePrescription(clinic.deps, { tenantId, appointmentId, items, acknowledgeWarnings, actor: doctor });
  return { ...clinic, issue };
}

describe('allergy and duplicate warnings', () => {
  it('match an allergy by medicine, by class and in combinations', () => {
    expect(allergyConcerns('Amoxicillin', 'amoxicillin')).toBe(true);
    expect(allergyConcerns('penicillins', 'amoxicillin + clavulanic acid')).toBe(true);
    expect(allergyConcerns('sulfa', 'sulfamethoxazole / trimethoprim')).toBe(true);
    expect(allergyConcerns('penicillin', 'paracetamol')).toBe(false);
    expect(allergyConcerns('aspirin', 'paracetamol')).toBe(false);
  });

  it('warn of a medicine still running from another prescription', () => {
    const warnings = prescriptionWarnings(
      [{ code: 'PARA-500', genericName: 'paracetamol' }],
      [{ substance: 'penicillin', reaction: 'rash', severity: 'moderate' }],
      [{ prescriptionId: 'p1', medicineCode: 'PARA-650', genericName: 'Paracetamol' }],
    );
    expect(warnings).toEqual([
      { kind: 'duplicate', medicineCode: 'PARA-500', message: expect.stringContaining('already prescribed') },
    ]);
  });
});

describe('issuing prescriptions', () => {
  it('checks every item field at once', () => {
    const problems = checkItems([
      { ...item('X'), route: 'by mouth', durationDays: 0, quantity: 1.5, dose: '' },
      item('X'),
    ]);
    expect(problems.map((p) => p.field)).toEqual([
      'items[0].dose',
      'items[0].route',
      'items[0].durationDays',
      'items[0].quantity',
      'items[1].medicineCode',
    ]);
    expect(checkItems([]).map((p) => p.field)).toEqual(['items']);
  });

  it('issues from the formulary, snapshotting the medicine, with prescription.issued', async () => {
    const { issue, events } = await pharmacyClinic();
    const { prescription } = await issue([item('AMOX-500'), item('para-500')]);
    expect(prescription.items.map((i) => [i.medicineCode, i.genericName, i.strength, i.billingCode])).toEqual([
      ['AMOX-500', 'amoxicillin', '500 mg', 'PH-AMOX-500'],
      ['PARA-500', 'paracetamol', '500 mg', 'PH-PARA-500'],
    ]);
    expect(prescription).toMatchObject({ status: 'ISSUED', issuedBy: 'dr-rao', warnings: [] });
    expect(events().map((e) => e.def.type)).toEqual(['prescription.issued']);
  });

  it('refuses unknown medicines (400) and a nurse (403), and issues only while the patient is with the doctor (409)', async () => {
    const { issue, deps, visit, setStatus } = await pharmacyClinic();
    const unknown = await refusal(issue([item('IBU-400')]));
    expect(unknown).toBeInstanceOf(InvalidArgumentError);
    expect(unknown.violations).toEqual([
      { field: 'items[0].medicineCode', message: 'IBU-400 is not in the formulary' },
    ]);
    expect(
      await refusal(
        issuePrescription(deps, {
          tenantId,
          appointmentId: visit.id,
          items: [item('PARA-500')],
          acknowledgeWarnings: false,
          actor: nurse,
        }),
      ),
    ).toBeInstanceOf(PermissionDeniedError);
    setStatus(visit.id, 'COMPLETED');
    expect(await refusal(issue())).toBeInstanceOf(ConflictError);
  });

  it('refuses a prescription with warnings until they are acknowledged (422), then keeps them with it', async () => {
    const { issue, deps, prescriptions } = await pharmacyClinic();
    await recordAllergy(deps, {
      tenantId,
      patientId,
      substance: 'Penicillin',
      reaction: 'hives',
      severity: 'severe',
      actor: nurse,
    });
    await issue([item('PARA-500', 10)]);
    const error = await refusal(issue([item('AMCL-625'), item('PARA-500')]));
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect((error as FailedPreconditionError).details).toMatchObject({
      warnings: [
        { kind: 'allergy', medicineCode: 'AMCL-625', message: expect.stringContaining('Penicillin (severe: hives)') },
        { kind: 'duplicate', medicineCode: 'PARA-500' },
      ],
    });
    expect(prescriptions()).toHaveLength(1);
    const { prescription } = await issue([item('AMCL-625'), item('PARA-500')], true);
    expect(prescription.warnings.map((w) => `${w.kind}:${w.medicineCode}`)).toEqual([
      'allergy:AMCL-625',
      'duplicate:PARA-500',
    ]);
  });

  it('answers a retry with the same key with the first prescription', async () => {
    const { deps, visit, prescriptions } = await pharmacyClinic();
    const cmd = {
      tenantId,
      appointmentId: visit.id,
      items: [item('PARA-500')],
      acknowledgeWarnings: false,
      actor: doctor,
      idempotency: { operation: 'IssuePrescription', key: 'rx-1', fingerprint: 'f1' },
    };
    const first = await issuePrescription(deps, cmd);
    const again = await issuePrescription(deps, cmd);
    expect(again).toEqual({ prescription: first.prescription, replayed: true });
    expect(prescriptions()).toHaveLength(1);
  });
});

describe('dispensing', () => {
  it("needs a pharmacy of the hospital's own (422); then dispenses once, with prescription.dispensed", async () => {
    const { issue, deps, events } = await pharmacyClinic();
    const { prescription } = await issue([item('AMOX-500')]);
    const dispense = () => dispensePrescription(deps, { tenantId, prescriptionId: prescription.id, actor: pharmacist });
    expect(await refusal(dispense())).toBeInstanceOf(FailedPreconditionError);
    await updateClinicalSettings(deps, { tenantId, settings: { pharmacyEnabled: true }, actor: admin });
    const dispensed = await dispense();
    expect(dispensed).toMatchObject({ status: 'DISPENSED', dispensedBy: 'pharm-joy' });
    expect(await dispense()).toEqual(dispensed);
    expect(events().filter((e) => e.def.type === 'prescription.dispensed')).toHaveLength(1);
    expect(events().at(-1)!.data).toMatchObject({
      items: [{ billingCode: 'PH-AMOX-500', quantity: 15, medicineCode: 'AMOX-500' }],
    });
    expect(
      await refusal(dispensePrescription(deps, { tenantId, prescriptionId: prescription.id, actor: doctor })),
    ).toBeInstanceOf(PermissionDeniedError);
  });
});

describe("a patient's history", () => {
  it('lists the visits that reached the doctor, newest first, a page at a time, with prescriptions in summary', async () => {
    const { issue, deps, seedVisit, visit } = await pharmacyClinic();
    await issue([item('PARA-500')]);
    const older = [1, 2, 3].map((d) => visitAt(new Date(Date.UTC(2029, 11, d, 9)), 'COMPLETED'));
    older.forEach(seedVisit);
    seedVisit(visitAt(new Date(Date.UTC(2029, 11, 4, 9)), 'CANCELLED'));
    const first = await patientHistory(deps, { tenantId, patientId, limit: 2, actor: doctor });
    expect(first.more).toBe(true);
    expect(first.visits.map((v) => v.appointment.id)).toEqual([visit.id, older[2]!.id]);
    expect(first.visits[0]!.prescriptions).toEqual([
      { id: expect.any(String), status: 'ISSUED', medicines: ['paracetamol 500 mg tablet'] },
    ]);
    const last = first.visits.at(-1)!.appointment;
    const second = await patientHistory(deps, {
      tenantId,
      patientId,
      limit: 2,
      after: { startsAt: last.startsAt, id: last.id },
      actor: doctor,
    });
    expect(second).toEqual({ visits: expect.any(Array), more: false });
    expect(second.visits.map((v) => v.appointment.id)).toEqual([older[1]!.id, older[0]!.id]);
    expect(await refusal(patientHistory(deps, { tenantId, patientId, limit: 2, actor: pharmacist }))).toBeInstanceOf(
      PermissionDeniedError,
    );
  });
});
