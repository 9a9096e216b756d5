import { AlreadyExistsError, ConflictError, FailedPreconditionError, InvalidArgumentError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import { clinic, department, doctor, failure, MONDAY_1030, patient, tenantId } from '../testing/fixtures.js';
import { bookAppointment } from './book-appointment.js';
import {
  createDepartment,
  createDoctor,
  deactivateDepartment,
  deactivateDoctor,
  getDoctor,
  listDepartments,
  updateDepartment,
  updateDoctor,
  type DoctorProfile,
} from './directory.js';

const profile: DoctorProfile = {
  departmentId: department.id,
  fullName: 'Dr. New',
  specialization: 'Cardiology',
  qualifications: ['MBBS', 'MD'],
  languages: ['en'],
  consultationModes: ['IN_PERSON', 'VIDEO'],
  yearsOfExperience: 12,
  consultationFeeMinor: 90_000,
  hospitalFeeMinor: 10_000,
  currency: 'INR',
  timeZone: 'Asia/Kolkata',
};

describe('departments', () => {
  it('creates, renames and deactivates, each with department.updated and a new version', async () => {
    const c = clinic();
    const created = await createDepartment(c.deps, { tenantId, name: ' Cardiology ', description: 'Heart' });
    expect(created).toMatchObject({ name: 'Cardiology', active: true, version: 1 });
    expect(await failure(createDepartment(c.deps, { tenantId, name: 'Cardiology', description: '' }))).toBeInstanceOf(
      AlreadyExistsError,
    );
    const renamed = await updateDepartment(c.deps, {
      tenantId,
      departmentId: created.id,
      name: 'Cardiology & Vascular',
    });
    expect(renamed).toMatchObject({ version: 2, description: 'Heart' });
    expect(await deactivateDepartment(c.deps, { tenantId, departmentId: created.id })).toMatchObject({
      active: false,
      version: 3,
    });
    expect(c.state.events.map((e) => e.data)).toMatchObject([
      { change: 'created' },
      { change: 'updated' },
      { change: 'deactivated' },
    ]);
    expect(c.changedCalls.map((x) => x.version)).toEqual([2, 3]);
    const page = await listDepartments(c.deps, { tenantId, includeInactive: false, limit: 10 });
    expect(page.departments.map((d) => d.id)).toEqual([department.id]);
  });

  it('refuses deactivating a department that still has active doctors, and bad names', async () => {
    const c = clinic();
    expect(await failure(deactivateDepartment(c.deps, { tenantId, departmentId: department.id }))).toBeInstanceOf(
      FailedPreconditionError,
    );
    expect((await failure(createDepartment(c.deps, { tenantId, name: ' ', description: '' }))).violations).toEqual([
      { field: 'name', message: 'must be 1 to 120 characters' },
    ]);
  });
});

describe('doctors', () => {
  it('creates a doctor in an open department and names every bad field', async () => {
    const c = clinic();
    const created = await createDoctor(c.deps, { tenantId, profile });
    expect(created).toMatchObject({ fullName: 'Dr. New', version: 1, consultationModes: ['IN_PERSON', 'VIDEO'] });
    expect(c.state.events.at(-1)?.data).toMatchObject({ change: 'created', consultationFeeMinor: 90_000 });
    const bad = await failure(
      createDoctor(c.deps, {
        tenantId,
        profile: {
          ...profile,
          timeZone: 'Mars/Olympus',
          currency: 'rupees',
          consultationFeeMinor: -1,
          languages: ['English'],
          consultationModes: [],
        },
      }),
    );
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect(bad.violations?.map((v) => v.field)).toEqual([
      'languages.0',
      'consultationModes',
      'consultationFeeMinor',
      'currency',
      'timeZone',
    ]);
    expect(
      (
        await failure(
          createDoctor(c.deps, {
            tenantId,
            profile: { ...profile, departmentId: '0192f0a0-0000-7000-8000-00000000dddd' },
          }),
        )
      ).violations,
    ).toEqual([{ field: 'departmentId', message: 'no such department' }]);
  });

  it('changes fees with a new version and doctor.updated, and tells the cache', async () => {
    const c = clinic();
    const updated = await updateDoctor(c.deps, {
      tenantId,
      doctorId: doctor.id,
      changes: { consultationFeeMinor: 55_000 },
    });
    expect(updated).toMatchObject({ consultationFeeMinor: 55_000, version: 2 });
    expect(c.changedCalls).toEqual([{ kind: 'doctor', tenantId, id: doctor.id, version: 2 }]);
    expect((await getDoctor(c.deps, { tenantId, doctorId: doctor.id })).consultationFeeMinor).toBe(55_000);
    // Nothing changed: nothing written.
    await updateDoctor(c.deps, { tenantId, doctorId: doctor.id, changes: { consultationFeeMinor: 55_000 } });
    expect(c.state.events).toHaveLength(1);
  });

  it('refuses a time zone or a deactivation that strands booked appointments', async () => {
    const c = clinic();
    await bookAppointment(c.deps, {
      tenantId,
      actorId: 'x',
      patientId: patient.id,
      doctorId: doctor.id,
      startsAt: MONDAY_1030,
      reason: '',
      traceId: '',
    });
    const tz = await failure(
      updateDoctor(c.deps, { tenantId, doctorId: doctor.id, changes: { timeZone: 'America/New_York' } }),
    );
    expect(tz).toBeInstanceOf(ConflictError);
    const off = await failure(deactivateDoctor(c.deps, { tenantId, doctorId: doctor.id }));
    expect(off).toBeInstanceOf(ConflictError);
    expect((off.details?.affectedAppointments as unknown[]).length).toBe(1);
    expect(c.state.doctors.find((d) => d.id === doctor.id)).toMatchObject({ active: true, timeZone: 'Asia/Kolkata' });
  });
});
