import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  PermissionDeniedError,
} from '@hms/platform/domain';
import { EVENTS } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { clinicalClinic, doctor, nurse, refusal, tenantId } from '../testing/clinical-fixtures.js';
import { visitConsultation } from './clinical-record.js';
import { addAddendum, normaliseCode, saveConsultation, signConsultation } from './consultation.js';

const notes = {
  chiefComplaint: 'wheeze for two days',
  history: 'known asthmatic',
  examination: 'bilateral wheeze',
  notes: '',
  followUpAdvice: 'return if worse',
  followUpDate: '2030-01-14',
};

function withDoctor() {
  const clinic = clinicalClinic();
  clinic.setStatus(clinic.visit.id, 'IN_CONSULTATION');
  const draft = (expectedVersion: number, diagnoses = [{ code: 'j459', primary: true }]) =>
    saveConsultation(clinic.deps, {
      tenantId,
      appointmentId: clinic.visit.id,
      notes,
      diagnoses,
      expectedVersion,
      actor: doctor,
    });
  return { ...clinic, draft };
}

describe('ICD-10-CM codes', () => {
  it('are normalised the way the list writes them', () => {
    expect(normaliseCode(' j459 ')).toBe('J45.9');
    expect(normaliseCode('I10')).toBe('I10');
    expect(normaliseCode('e11.9')).toBe('E11.9');
  });
});

describe('the consultation: draft, signed, addenda', () => {
  it('saves drafts version by version, with titles from the code list and the primary first', async () => {
    const { draft } = withDoctor();
    const first = await draft(0, [
      { code: 'R50.9', primary: false },
      { code: 'J45.9', primary: true },
    ]);
    expect(first).toMatchObject({ status: 'DRAFT', version: 1 });
    expect(first.diagnoses).toEqual([
      { code: 'J45.9', title: 'Other and unspecified asthma', primary: true },
      { code: 'R50.9', title: 'Fever, unspecified', primary: false },
    ]);
    const second = await draft(1);
    expect(second).toMatchObject({ id: first.id, version: 2 });
  });

  it('refuses a save over a version that is not the current one (409), and a first save that expects one', async () => {
    const { draft } = withDoctor();
    await draft(0);
    expect(await refusal(draft(0))).toBeInstanceOf(ConflictError);
    expect(await refusal(draft(5))).toBeInstanceOf(ConflictError);
  });

  it('refuses unknown codes, codes twice and two primaries, naming each field', async () => {
    const { draft } = withDoctor();
    const unknown = await refusal(draft(0, [{ code: 'J45.8', primary: true }]));
    expect(unknown).toBeInstanceOf(InvalidArgumentError);
    expect(unknown.violations).toEqual([{ field: 'diagnoses[0].code', message: 'J45.8 is not an ICD-10-CM code' }]);
    const twice = await refusal(
      draft(0, [
        { code: 'I10', primary: true },
        { code: 'i10', primary: false },
      ]),
    );
    expect(twice.violations?.map((v) => v.field)).toEqual(['diagnoses[1].code']);
    const primaries = await refusal(
      draft(0, [
        { code: 'I10', primary: true },
        { code: 'J45', primary: true },
      ]),
    );
    expect(primaries).toBeInstanceOf(InvalidArgumentError);
  });

  it('is written only while the patient is with the doctor, by a doctor', async () => {
    const clinic = clinicalClinic();
    const save = (actor = doctor) =>
      saveConsultation(clinic.deps, {
        tenantId,
        appointmentId: clinic.visit.id,
        notes,
        diagnoses: [],
        expectedVersion: 0,
        actor,
      });
    expect(await refusal(save())).toBeInstanceOf(ConflictError);
    clinic.setStatus(clinic.visit.id, 'IN_CONSULTATION');
    expect(await refusal(save(nurse))).toBeInstanceOf(PermissionDeniedError);
    expect(await save()).toMatchObject({ version: 1 });
  });

  it('refuses a follow-up date that is not after the visit', async () => {
    const { deps, visit } = withDoctor();
    const error = await refusal(
      saveConsultation(deps, {
        tenantId,
        appointmentId: visit.id,
        notes: { ...notes, followUpDate: '2030-01-07' },
        diagnoses: [],
        expectedVersion: 0,
        actor: doctor,
      }),
    );
    expect(error.violations?.map((v) => v.field)).toEqual(['followUpDate']);
  });

  it('signs a complete draft once: then it is immutable and grows only by addenda that reference it', async () => {
    const { deps, visit, draft, events } = withDoctor();
    await draft(0);
    const signed = await signConsultation(deps, {
      tenantId,
      appointmentId: visit.id,
      expectedVersion: 1,
      actor: doctor,
    });
    expect(signed).toMatchObject({ status: 'SIGNED', signedBy: 'dr-rao' });
    // Signing again (a retry) answers with the signed consultation; saving over it is refused.
    expect(
      await signConsultation(deps, { tenantId, appointmentId: visit.id, expectedVersion: 1, actor: doctor }),
    ).toEqual(signed);
    expect(await refusal(draft(1))).toBeInstanceOf(ConflictError);

    const amended = await addAddendum(deps, {
      tenantId,
      appointmentId: visit.id,
      text: 'spirometry booked',
      diagnoses: [{ code: 'R50', primary: true }],
      actor: doctor,
    });
    expect(amended.addenda).toHaveLength(1);
    expect(amended.addenda[0]).toMatchObject({
      consultationId: signed.id,
      text: 'spirometry booked',
      diagnoses: [{ code: 'R50', title: 'Fever of other and unknown origin', primary: false }],
    });
    const read = await visitConsultation(deps, { tenantId, appointmentId: visit.id, actor: nurse });
    expect(read.part).toMatchObject({ status: 'SIGNED', diagnoses: signed.diagnoses, version: 1 });
    expect(read.part.addenda.map((a) => a.text)).toEqual(['spirometry booked']);
    expect(events().map((e) => e.def.type)).toEqual(['consultation.signed', 'consultation.amended']);
    expect(events()[0]!.data).toMatchObject({ diagnosisCodes: ['J45.9'], signedBy: 'dr-rao' });
    expect(events()[1]!.def).toBe(EVENTS.consultationAmended);
  });

  it('signs only a draft with a chief complaint and a diagnosis (422), and adds no addendum to a draft (409)', async () => {
    const { deps, visit, draft } = withDoctor();
    await draft(0, []);
    const error = await refusal(
      signConsultation(deps, { tenantId, appointmentId: visit.id, expectedVersion: 1, actor: doctor }),
    );
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error.violations?.map((v) => v.field)).toEqual(['diagnoses']);
    expect(
      await refusal(addAddendum(deps, { tenantId, appointmentId: visit.id, text: 'x', diagnoses: [], actor: doctor })),
    ).toBeInstanceOf(ConflictError);
  });
});
