/** A small clinic for the use cases' unit tests: one tenant, a department, two doctors, patients, a clock. */
import type { SchedulingDeps } from '../domain/book-appointment.js';
import type { Department, Doctor, Patient, WeeklySchedule } from '../domain/types.js';
import { fakeSchedulingStore } from './fake-scheduling-store.js';

export const tenantId = '0192f0a0-0000-7000-8000-000000000001';
export const department: Department = {
  id: '0192f0a0-0000-7000-8000-0000000000de',
  tenantId,
  name: 'General Medicine',
  description: '',
  active: true,
  version: 1,
  createdAt: '2029-01-01T00:00:00.000Z',
  updatedAt: '2029-01-01T00:00:00.000Z',
};
const profile = {
  tenantId,
  departmentId: department.id,
  specialization: 'General Physician',
  qualifications: ['MBBS'],
  languages: ['en', 'hi'],
  consultationModes: ['IN_PERSON' as const],
  yearsOfExperience: 10,
  consultationFeeMinor: 50_000,
  hospitalFeeMinor: 10_000,
  currency: 'INR',
  active: true,
  version: 1,
  createdAt: '2029-01-01T00:00:00.000Z',
  updatedAt: '2029-01-01T00:00:00.000Z',
};
/** Kolkata; Monday to Saturday 09:00-13:00 and 14:00-17:00, 15-minute slots. */
export const doctor: Doctor = {
  ...profile,
  id: '0192f0a0-0000-7000-8000-00000000000d',
  fullName: 'Dr. Test',
  timeZone: 'Asia/Kolkata',
};
/** UTC, every day, round the clock, 15-minute slots. */
export const nightDoctor: Doctor = {
  ...profile,
  id: '0192f0a0-0000-7000-8000-00000000000e',
  fullName: 'Dr. Night',
  timeZone: 'UTC',
  consultationModes: ['IN_PERSON', 'VIDEO'],
  consultationFeeMinor: 70_000,
};
export const schedules: WeeklySchedule[] = [
  {
    id: '0192f0a0-0000-7000-8000-0000000005c1',
    doctorId: doctor.id,
    validFrom: '2000-01-01',
    validTo: null,
    slotMinutes: 15,
    sessions: [1, 2, 3, 4, 5, 6].flatMap((weekday) => [
      { weekday, startMinute: 540, endMinute: 780 },
      { weekday, startMinute: 840, endMinute: 1020 },
    ]),
    createdAt: '2029-01-01T00:00:00.000Z',
    updatedAt: '2029-01-01T00:00:00.000Z',
  },
  {
    id: '0192f0a0-0000-7000-8000-0000000005c2',
    doctorId: nightDoctor.id,
    validFrom: '2000-01-01',
    validTo: null,
    slotMinutes: 15,
    sessions: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 })),
    createdAt: '2029-01-01T00:00:00.000Z',
    updatedAt: '2029-01-01T00:00:00.000Z',
  },
];
const person = (n: number, fullName: string, phone: string | null, dateOfBirth: string | null): Patient => ({
  id: `0192f0a0-0000-7000-8000-0000000000a${n}`,
  tenantId,
  mrn: `OLD-${n}`,
  fullName,
  phone,
  dateOfBirth,
  active: true,
  version: 1,
  createdAt: new Date('2029-01-01T00:00:00Z'),
  updatedAt: new Date('2029-01-01T00:00:00Z'),
});
export const patient = person(1, 'Ravi Kumar', '+919812300001', '1980-04-12');
export const otherPatient = person(2, 'Priya Sharma', '+919812300002', '1992-11-03');
export const inactivePatient = { ...person(3, 'Old Record', null, null), active: false };

/** Monday 2030-01-07, 10:30 in Kolkata. */
export const MONDAY_1030 = new Date('2030-01-07T05:00:00Z');
/** The day before, 10:30 in Kolkata. */
export const SUNDAY = new Date('2030-01-06T05:00:00Z');

/** The clinic, its fake store and a settable clock. */
export function clinic(start = SUNDAY) {
  const fake = fakeSchedulingStore({
    departments: [department],
    doctors: [doctor, nightDoctor],
    schedules,
    patients: [patient, otherPatient, inactivePatient],
  });
  let n = 0;
  const clock = { now: start };
  const deps: SchedulingDeps = {
    store: fake.store,
    reference: fake.reference,
    now: () => clock.now,
    newId: () => `0192f0a0-0000-7000-9000-${String(++n).padStart(12, '0')}`,
    policy: { maxDaysAhead: 180, checkInOpensMinutesBefore: 240 },
  };
  const { store, sweeps, reference, changedCalls, cacheOverrides, state } = fake;
  return { store, sweeps, reference, changedCalls, cacheOverrides, state, deps, clock };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function failure(
  promise: Promise<unknown>,
): Promise<Error & { violations?: { field: string; message: string }[]; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}
