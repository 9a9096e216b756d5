import { QuotaExceededError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import {
  clinic,
  department,
  failure,
  MONDAY_1030,
  otherPatient,
  patient,
  tenantId,
  doctor,
} from '../testing/fixtures.js';
import { bookAppointment } from './book-appointment.js';
import { createDoctor } from './directory.js';
import { registerPatient } from './patients.js';
import { monthStartUtc } from './quotas.js';

const profile = {
  departmentId: department.id,
  fullName: 'Dr. Quota',
  specialization: 'General Physician',
  qualifications: ['MBBS'],
  languages: ['en'],
  consultationModes: ['IN_PERSON' as const],
  yearsOfExperience: 3,
  consultationFeeMinor: 50_000,
  hospitalFeeMinor: 10_000,
  currency: 'INR',
  timeZone: 'Asia/Kolkata',
};

describe("the plan's quotas", () => {
  it('refuses a doctor past the doctors quota, naming it, and saves nothing', async () => {
    const c = clinic();
    const have = c.state.doctors.filter((d) => d.tenantId === tenantId).length;
    await createDoctor(c.deps, { tenantId, profile, quota: have + 1 });
    const refused = await failure(createDoctor(c.deps, { tenantId, profile, quota: have + 1 }));
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused).toMatchObject({ kind: 'permission-denied', reason: 'quota-exceeded' });
    expect(refused.message).toContain('doctors');
    expect(c.state.doctors.filter((d) => d.tenantId === tenantId)).toHaveLength(have + 1);
    // No quota (an ENTERPRISE plan): no limit.
    await createDoctor(c.deps, { tenantId, profile });
    expect(c.state.doctors.filter((d) => d.tenantId === tenantId)).toHaveLength(have + 2);
  });

  it('refuses a patient past the patients quota, naming it, and saves nothing', async () => {
    const c = clinic();
    const have = c.state.patients.filter((p) => p.tenantId === tenantId).length;
    const details = { fullName: 'Nandini Rao', phone: '', dateOfBirth: '' };
    await registerPatient(c.deps, { tenantId, details, confirmNew: true, quota: have + 1 });
    const refused = await failure(registerPatient(c.deps, { tenantId, details, confirmNew: true, quota: have + 1 }));
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused.message).toContain('patients');
    expect(c.state.patients.filter((p) => p.tenantId === tenantId)).toHaveLength(have + 1);
  });

  it("counts appointments booked since the month's start (UTC) against appointments per month", async () => {
    const c = clinic();
    const book = (patientId: string, startsAt: Date) =>
      bookAppointment(c.deps, {
        tenantId,
        actorId: 'front-desk',
        patientId,
        doctorId: doctor.id,
        startsAt,
        reason: '',
        traceId: 'trace',
        monthlyQuota: 1,
      });
    await book(patient.id, MONDAY_1030);
    const refused = await failure(book(otherPatient.id, new Date(MONDAY_1030.getTime() + 15 * 60_000)));
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused.message).toContain('appointmentsPerMonth');
    expect(c.state.appointments).toHaveLength(1);
    expect(monthStartUtc(new Date('2030-01-31T23:59:59+05:30'))).toEqual(new Date('2030-01-01T00:00:00Z'));
  });
});
