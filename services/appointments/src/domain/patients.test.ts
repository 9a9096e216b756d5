import { AlreadyExistsError, InvalidArgumentError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import { clinic, failure, patient, tenantId } from '../testing/fixtures.js';
import { deactivatePatient, registerPatient, searchPatients, updatePatient } from './patients.js';

const details = { fullName: 'Meena  Krishnan', phone: '98765 43210', dateOfBirth: '1990-06-01' };

describe('patients', () => {
  it('registers with an MRN from the tenant sequence and the phone as E.164', async () => {
    const c = clinic();
    const { patient: p } = await registerPatient(c.deps, { tenantId, details, confirmNew: false });
    expect(p).toMatchObject({
      mrn: 'MRN-000001',
      fullName: 'Meena Krishnan',
      phone: '+919876543210',
      dateOfBirth: '1990-06-01',
      active: true,
    });
    const second = await registerPatient(c.deps, {
      tenantId,
      details: { ...details, fullName: 'Someone Else', phone: '' },
      confirmNew: false,
    });
    expect(second.patient).toMatchObject({ mrn: 'MRN-000002', phone: null });
    expect(c.state.events.map((e) => [e.def.type, e.data])).toEqual([
      ['patient.registered', { patientId: p.id, mrn: 'MRN-000001' }],
      ['patient.registered', { patientId: second.patient.id, mrn: 'MRN-000002' }],
    ]);
  });

  it('skips an MRN taken by hand, and uses the tenant format', async () => {
    const c = clinic();
    c.state.settings.set(tenantId, { ...(await c.reference.settings(tenantId)), mrnFormat: 'mrn-{SEQ:6}' });
    c.state.patients.push({ ...patient, id: '0192f0a0-0000-7000-8000-00000000abcd', mrn: 'MRN-000001' });
    const { patient: p } = await registerPatient(c.deps, { tenantId, details, confirmNew: false });
    expect(p.mrn).toBe('MRN-000002');
  });

  it('refuses a likely duplicate (same phone, similar name, same birth date) with the matches, unless confirmNew', async () => {
    const c = clinic();
    const again = { fullName: 'ravi kumar', phone: '+91 98123 00001', dateOfBirth: '1980-04-12' };
    const refused = await failure(registerPatient(c.deps, { tenantId, details: again, confirmNew: false }));
    expect(refused).toBeInstanceOf(AlreadyExistsError);
    expect(refused.details).toEqual({
      likelyMatches: [
        { id: patient.id, mrn: patient.mrn, fullName: 'Ravi Kumar', phone: '+919812300001', dateOfBirth: '1980-04-12' },
      ],
    });
    // Another birth date on the same phone (a family member of the same name) is someone else.
    await registerPatient(c.deps, { tenantId, details: { ...again, dateOfBirth: '2012-01-01' }, confirmNew: false });
    const confirmed = await registerPatient(c.deps, { tenantId, details: again, confirmNew: true });
    expect(confirmed.replayed).toBe(false);
  });

  it('names bad fields: no name, an invalid phone, a future birth date', async () => {
    const c = clinic();
    const bad = await failure(
      registerPatient(c.deps, {
        tenantId,
        details: { fullName: '  !! ', phone: '12345', dateOfBirth: '2999-01-01' },
        confirmNew: false,
      }),
    );
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect(bad.violations?.map((v) => v.field)).toEqual(['fullName', 'phone', 'dateOfBirth']);
    expect(c.state.patients).toHaveLength(3);
  });

  it('updates what changed, deactivates once, and hides inactive patients from search', async () => {
    const c = clinic();
    const updated = await updatePatient(c.deps, { tenantId, patientId: patient.id, changes: { phone: '98123 00099' } });
    expect(updated).toMatchObject({ phone: '+919812300099', version: 2 });
    expect(c.state.events.at(-1)?.data).toMatchObject({ changedFields: ['phone'] });
    expect(
      (await searchPatients(c.deps, { tenantId, q: 'kumar ravi', limit: 10 })).matches.map((m) => m.patient.id),
    ).toEqual([patient.id]);
    const off = await deactivatePatient(c.deps, { tenantId, patientId: patient.id });
    expect(off.active).toBe(false);
    expect(await deactivatePatient(c.deps, { tenantId, patientId: patient.id })).toEqual(off);
    expect((await searchPatients(c.deps, { tenantId, q: 'kumar ravi', limit: 10 })).matches).toEqual([]);
    expect(await failure(searchPatients(c.deps, { tenantId, q: 'x', limit: 10 }))).toBeInstanceOf(InvalidArgumentError);
  });
});
