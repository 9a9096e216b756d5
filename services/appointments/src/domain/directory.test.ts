import { InvalidArgumentError, NotFoundError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import { getDoctor, registerPatient, walkInMrn, type Directory, type PatientRecord } from './directory.js';

function memoryDirectory() {
  const patients: PatientRecord[] = [];
  const directory: Directory = {
    findDoctor: async () => undefined,
    findPatient: async (_t, id) => patients.find((p) => p.id === id),
    registerPatient: async (_t, patient) => {
      patients.push(patient);
      return { patient, replayed: false };
    },
  };
  return { directory, patients };
}

const deps = (directory: Directory) => ({
  directory,
  newId: () => '0192f0a0-0000-7000-8000-00000000abcd',
  today: () => '2030-01-07',
});

describe('registerPatient', () => {
  it('registers a walk-in with a record number made from its id', async () => {
    const { directory, patients } = memoryDirectory();
    const { patient } = await registerPatient(deps(directory), {
      tenantId: 't',
      patient: { fullName: '  Asha Rao ', phone: '+91 98450 12345', dateOfBirth: '1950-02-01' },
      idempotency: undefined,
    });
    expect(patient).toEqual({
      id: '0192f0a0-0000-7000-8000-00000000abcd',
      mrn: walkInMrn('0192f0a0-0000-7000-8000-00000000abcd'),
      fullName: 'Asha Rao',
      phone: '+91 98450 12345',
      dateOfBirth: '1950-02-01',
    });
    expect(patient.mrn).toBe('W-00000000ABCD');
    expect(patients).toHaveLength(1);
  });

  it('refuses an empty name, a phone of letters and a birth date in the future, saving nothing', async () => {
    const { directory, patients } = memoryDirectory();
    const error = await registerPatient(deps(directory), {
      tenantId: 't',
      patient: { fullName: ' ', phone: 'call me', dateOfBirth: '2031-01-01' },
      idempotency: undefined,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).violations.map((v) => v.field)).toEqual([
      'fullName',
      'phone',
      'dateOfBirth',
    ]);
    expect(patients).toEqual([]);
  });
});

describe('getDoctor', () => {
  it('is NOT_FOUND for a doctor the tenant does not have', async () => {
    await expect(getDoctor(memoryDirectory().directory, 't', 'd')).rejects.toBeInstanceOf(NotFoundError);
  });
});
