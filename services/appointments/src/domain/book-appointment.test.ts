import { AlreadyExistsError, FailedPreconditionError } from '@hms/platform/domain';
import { EVENTS } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { fakeAppointmentStore } from '../testing/fake-appointment-store.js';
import { bookAppointment, type BookAppointment } from './book-appointment.js';
import { checkIn } from './check-in.js';
import type { Doctor, Patient } from './types.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const doctor: Doctor = {
  id: '0192f0a0-0000-7000-8000-00000000000d',
  tenantId,
  departmentId: '0192f0a0-0000-7000-8000-0000000000de',
  fullName: 'Dr. Test',
  consultationFeeMinor: 50_000,
  hospitalFeeMinor: 10_000,
  currency: 'INR',
  timeZone: 'Asia/Kolkata',
  slotMinutes: 15,
  dayStartMinute: 9 * 60,
  dayEndMinute: 17 * 60,
  workingDays: [1, 2, 3, 4, 5, 6],
  active: true,
};
const patient: Patient = { id: '0192f0a0-0000-7000-8000-0000000000aa', tenantId, mrn: 'MRN-1', fullName: 'P' };
// Monday 2030-01-07, 10:30 in Kolkata; "now" is the day before.
const slot = new Date('2030-01-07T05:00:00Z');
const policy = { maxDaysAhead: 180, checkInOpensMinutesBefore: 240 };

function setup(now = new Date('2030-01-06T05:00:00Z')) {
  const fake = fakeAppointmentStore({ doctors: [doctor], patients: [patient] });
  let n = 0;
  const deps = {
    store: fake.store,
    now: () => now,
    newId: () => `0192f0a0-0000-7000-9000-${String(++n).padStart(12, '0')}`,
    policy,
  };
  return { ...fake, deps };
}

const booking = (overrides: Partial<BookAppointment> = {}): BookAppointment => ({
  tenantId,
  actorId: 'front-desk',
  patientId: patient.id,
  doctorId: doctor.id,
  startsAt: slot,
  reason: 'fever',
  traceId: 'trace',
  ...overrides,
});

describe('bookAppointment', () => {
  it("books the slot with the doctor's fees, its first history row and appointment.booked", async () => {
    const { deps, appointments, history, events } = setup();
    const { appointment, replayed } = await bookAppointment(deps, booking());
    expect(replayed).toBe(false);
    expect(appointment).toMatchObject({
      status: 'BOOKED',
      startsAt: slot,
      endsAt: new Date('2030-01-07T05:15:00Z'),
      serviceDate: '2030-01-07',
      consultationFeeMinor: 50_000,
      hospitalFeeMinor: 10_000,
      departmentId: doctor.departmentId,
    });
    expect(appointments).toEqual([appointment]);
    expect(history).toEqual([
      { appointmentId: appointment.id, from: null, to: 'BOOKED', actorId: 'front-desk', at: deps.now() },
    ]);
    expect(events.map((e) => [e.def, e.key])).toEqual([
      [EVENTS.appointmentBooked, `${tenantId}:${doctor.id}:2030-01-07`],
    ]);
  });

  it('refuses a taken slot and saves nothing of the second booking', async () => {
    const { deps, appointments, events } = setup();
    await bookAppointment(deps, booking());
    await expect(bookAppointment(deps, booking({ patientId: patient.id }))).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(appointments).toHaveLength(1);
    expect(events).toHaveLength(1);
  });

  it('names unknown doctors and patients, and slots the doctor cannot take', async () => {
    const { deps, appointments } = setup();
    const unknown = await bookAppointment(deps, booking({ doctorId: 'x', patientId: 'y' })).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(FailedPreconditionError);
    expect((unknown as FailedPreconditionError).violations.map((v) => v.field)).toEqual(['doctorId', 'patientId']);
    const sunday = await bookAppointment(deps, booking({ startsAt: new Date('2030-01-06T05:00:00Z') })).catch(
      (e: unknown) => e,
    );
    expect(sunday).toBeInstanceOf(FailedPreconditionError);
    expect(appointments).toEqual([]);
  });

  it('answers a retry with the same key with the first booking, and refuses the key for another request', async () => {
    const { deps, appointments, events } = setup();
    const claim = { operation: 'BookAppointment', key: 'k1', fingerprint: 'f1' };
    const first = await bookAppointment(deps, booking({ idempotency: claim }));
    const again = await bookAppointment(deps, booking({ idempotency: claim }));
    expect(again).toEqual({ appointment: first.appointment, replayed: true });
    await expect(
      bookAppointment(deps, booking({ idempotency: { ...claim, fingerprint: 'f2' } })),
    ).rejects.toBeInstanceOf(FailedPreconditionError);
    expect(appointments).toHaveLength(1);
    expect(events).toHaveLength(1);
  });
});

describe('checkIn', () => {
  it('moves BOOKED to CHECKED_IN once, with history and appointment.checked_in; a retry changes nothing', async () => {
    const { deps, history, events, store } = setup();
    const { appointment } = await bookAppointment(deps, booking());
    const atDesk = { ...deps, now: () => new Date('2030-01-07T04:30:00Z') };
    const checkedIn = await checkIn(atDesk, { tenantId, appointmentId: appointment.id, actorId: 'nurse' });
    expect(checkedIn).toMatchObject({ status: 'CHECKED_IN', checkedInAt: atDesk.now() });
    expect(await checkIn(atDesk, { tenantId, appointmentId: appointment.id, actorId: 'nurse' })).toEqual(checkedIn);
    expect(history.map((h) => [h.from, h.to, h.actorId])).toEqual([
      [null, 'BOOKED', 'front-desk'],
      ['BOOKED', 'CHECKED_IN', 'nurse'],
    ]);
    expect(events.map((e) => e.def.type)).toEqual(['appointment.booked', 'appointment.checked_in']);
    expect(events[1]!.data).toMatchObject({ timeZone: 'Asia/Kolkata', serviceDate: '2030-01-07' });
    expect(await store.findAppointment(tenantId, appointment.id)).toEqual(checkedIn);
  });

  it('refuses before the check-in window and for unknown appointments, changing nothing', async () => {
    const { deps, events } = setup();
    const { appointment } = await bookAppointment(deps, booking());
    await expect(checkIn(deps, { tenantId, appointmentId: appointment.id, actorId: 'nurse' })).rejects.toBeInstanceOf(
      FailedPreconditionError,
    );
    await expect(checkIn(deps, { tenantId, appointmentId: 'nope', actorId: 'nurse' })).rejects.toThrow(/not found/);
    expect(events).toHaveLength(1);
  });
});
