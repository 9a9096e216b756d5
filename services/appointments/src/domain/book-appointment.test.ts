import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@hms/platform/domain';
import { EVENTS } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import {
  clinic,
  doctor,
  failure,
  inactivePatient,
  MONDAY_1030,
  nightDoctor,
  otherPatient,
  patient,
  tenantId,
} from '../testing/fixtures.js';
import { bookAppointment, type BookAppointment } from './book-appointment.js';
import { holdSlot } from './holds.js';
import { cancelAppointment } from './lifecycle-actions.js';
import { createRecentlyTaken } from './recently-taken.js';

const booking = (overrides: Partial<BookAppointment> = {}): BookAppointment => ({
  tenantId,
  actorId: 'front-desk',
  patientId: patient.id,
  doctorId: doctor.id,
  startsAt: MONDAY_1030,
  reason: 'fever',
  traceId: 'trace',
  ...overrides,
});

describe('bookAppointment', () => {
  it("books the slot with the doctor's fees, its claim, first history row, reminders and appointment.booked", async () => {
    const { deps, state } = clinic();
    const { appointment, replayed } = await bookAppointment(deps, booking());
    expect(replayed).toBe(false);
    expect(appointment).toMatchObject({
      status: 'BOOKED',
      mode: 'IN_PERSON',
      startsAt: MONDAY_1030,
      endsAt: new Date('2030-01-07T05:15:00Z'),
      serviceDate: '2030-01-07',
      consultationFeeMinor: 50_000,
      hospitalFeeMinor: 10_000,
      departmentId: doctor.departmentId,
    });
    expect(state.appointments).toEqual([appointment]);
    expect(state.claims).toMatchObject([{ kind: 'APPOINTMENT', appointmentId: appointment.id, startsAt: MONDAY_1030 }]);
    expect(state.history).toMatchObject([
      { appointmentId: appointment.id, from: null, to: 'BOOKED', actorId: 'front-desk' },
    ]);
    // Booked a day ahead: the 24-hour reminder is already past, the 2-hour one is due at 08:30 IST.
    expect(state.reminders.map((r) => [r.offsetMinutes, r.dueAt.toISOString()])).toEqual([
      [120, '2030-01-07T03:00:00.000Z'],
    ]);
    expect(state.events.map((e) => [e.def, e.key])).toEqual([
      [EVENTS.appointmentBooked, `${tenantId}:${doctor.id}:2030-01-07`],
    ]);
  });

  it('refuses a taken slot, and a patient already booked at that time, saving nothing', async () => {
    const { deps, state } = clinic();
    await bookAppointment(deps, booking());
    expect(await failure(bookAppointment(deps, booking({ patientId: otherPatient.id })))).toBeInstanceOf(
      AlreadyExistsError,
    );
    const busy = await failure(bookAppointment(deps, booking({ doctorId: nightDoctor.id })));
    expect(busy).toBeInstanceOf(AlreadyExistsError);
    expect(busy.violations?.[0]?.field).toBe('patientId');
    expect(state.appointments).toHaveLength(1);
    expect(state.events).toHaveLength(1);
  });

  it('names unknown doctors, unknown or inactive patients, and modes the doctor does not offer', async () => {
    const { deps, state } = clinic();
    const unknownDoctor = await failure(
      bookAppointment(deps, booking({ doctorId: '0192f0a0-0000-7000-8000-00000000ffff' })),
    );
    expect(unknownDoctor).toBeInstanceOf(FailedPreconditionError);
    expect(unknownDoctor.violations?.map((v) => v.field)).toEqual(['doctorId']);
    const unknownPatient = await failure(
      bookAppointment(deps, booking({ patientId: '0192f0a0-0000-7000-8000-00000000fffe' })),
    );
    expect(unknownPatient.violations).toEqual([{ field: 'patientId', message: 'no such patient' }]);
    const inactive = await failure(bookAppointment(deps, booking({ patientId: inactivePatient.id })));
    expect(inactive.violations).toEqual([{ field: 'patientId', message: 'patient is inactive' }]);
    const video = await failure(bookAppointment(deps, booking({ mode: 'VIDEO' })));
    expect(video.violations?.[0]?.field).toBe('mode');
    expect(state.appointments).toEqual([]);
  });

  it('answers a retry with the same key with the first booking, and refuses the key for another request', async () => {
    const { deps, state } = clinic();
    const claim = { operation: 'BookAppointment', key: 'k1', fingerprint: 'f1' };
    const first = await bookAppointment(deps, booking({ idempotency: claim }));
    const again = await bookAppointment(deps, booking({ idempotency: claim }));
    expect(again).toEqual({ appointment: first.appointment, replayed: true });
    expect(
      await failure(bookAppointment(deps, booking({ idempotency: { ...claim, fingerprint: 'f2' } }))),
    ).toBeInstanceOf(FailedPreconditionError);
    expect(state.appointments).toHaveLength(1);
  });

  it('plans again on the fresh doctor when the cache is behind (new fees), and drops the stale entry', async () => {
    const { deps, state, cacheOverrides, changedCalls } = clinic();
    const fresh = state.doctors.find((d) => d.id === doctor.id)!;
    state.doctors.splice(state.doctors.indexOf(fresh), 1, { ...fresh, consultationFeeMinor: 65_000, version: 2 });
    cacheOverrides.set(doctor.id, {
      doctor: { ...doctor, version: 1 },
      calendar: { schedules: state.schedules.filter((s) => s.doctorId === doctor.id), exceptions: [] },
    });
    const { appointment } = await bookAppointment(deps, booking());
    expect(appointment.consultationFeeMinor).toBe(65_000);
    expect(changedCalls).toEqual([{ kind: 'doctor', tenantId, id: doctor.id, version: undefined }]);
  });

  it("turns the patient's hold into the appointment, and refuses another's, an expired one or one for another slot", async () => {
    const { deps, state, clock } = clinic();
    const { hold } = await holdSlot(deps, {
      tenantId,
      doctorId: doctor.id,
      patientId: patient.id,
      startsAt: MONDAY_1030,
    });
    // Nobody else can book the held slot...
    expect(await failure(bookAppointment(deps, booking({ patientId: otherPatient.id })))).toBeInstanceOf(
      AlreadyExistsError,
    );
    // ...nor with the hold: it is the patient's.
    const foreign = await failure(bookAppointment(deps, booking({ patientId: otherPatient.id, holdId: hold.id })));
    expect(foreign.violations).toEqual([{ field: 'holdId', message: 'held for another patient' }]);
    const elsewhere = await failure(
      bookAppointment(deps, booking({ holdId: hold.id, startsAt: new Date(MONDAY_1030.getTime() + 15 * 60_000) })),
    );
    expect(elsewhere.violations?.[0]?.field).toBe('holdId');
    const { appointment } = await bookAppointment(deps, booking({ holdId: hold.id }));
    expect(state.claims).toMatchObject([{ id: hold.id, kind: 'APPOINTMENT', appointmentId: appointment.id }]);
    // A hold that ran out: gone as far as booking is concerned.
    const second = await holdSlot(deps, {
      tenantId,
      doctorId: doctor.id,
      patientId: otherPatient.id,
      startsAt: new Date(MONDAY_1030.getTime() + 30 * 60_000),
    });
    clock.now = new Date(clock.now.getTime() + 6 * 60_000);
    const expired = await failure(
      bookAppointment(
        deps,
        booking({ patientId: otherPatient.id, holdId: second.hold.id, startsAt: second.hold.startsAt }),
      ),
    );
    expect(expired.message).toBe('the hold has expired');
    const missing = await failure(bookAppointment(deps, booking({ holdId: '0192f0a0-0000-7000-8000-00000000bbbb' })));
    expect(missing).toBeInstanceOf(NotFoundError);
  });

  it('refuses a rush on a taken slot from memory for a second, never for a keyed retry, and forgets on a cancellation', async () => {
    const { deps, clock } = clinic();
    const recentlyTaken = createRecentlyTaken({ now: deps.now, ttlMs: 1_000 });
    const state = { transactions: 0 };
    const store: typeof deps.store = {
      ...deps.store,
      change: (tenant, fn) => {
        state.transactions += 1;
        return deps.store.change(tenant, fn);
      },
    };
    const rushDeps = { ...deps, store, recentlyTaken };
    const first = await bookAppointment(rushDeps, booking());
    // The database refuses the first loser, and the slot is remembered.
    expect(await failure(bookAppointment(rushDeps, booking({ patientId: otherPatient.id })))).toBeInstanceOf(
      AlreadyExistsError,
    );
    const transactions = state.transactions;
    expect(await failure(bookAppointment(rushDeps, booking({ patientId: otherPatient.id })))).toBeInstanceOf(
      AlreadyExistsError,
    );
    expect(state.transactions).toBe(transactions); // refused without a transaction
    // A retry with an idempotency key always reaches the store (its answer may be a replay).
    const keyed = booking({ idempotency: { operation: 'BookAppointment', key: 'k1', fingerprint: 'f' } });
    await bookAppointment(rushDeps, keyed).catch(() => undefined);
    expect(state.transactions).toBe(transactions + 1);
    // A second later the memory has lapsed: the store decides again.
    clock.now = new Date(clock.now.getTime() + 1_001);
    await bookAppointment(rushDeps, booking({ patientId: otherPatient.id })).catch(() => undefined);
    expect(state.transactions).toBe(transactions + 2);
    // A cancellation in this process frees the slot at once.
    expect(recentlyTaken.has(tenantId, doctor.id, MONDAY_1030)).toBe(true);
    await cancelAppointment(rushDeps, {
      tenantId,
      actorId: 'front-desk',
      appointmentId: first.appointment.id,
      by: 'STAFF',
      reason: 'doctor away',
    });
    expect(recentlyTaken.has(tenantId, doctor.id, MONDAY_1030)).toBe(false);
    const again = await bookAppointment(rushDeps, booking({ patientId: otherPatient.id }));
    expect(again.appointment.status).toBe('BOOKED');
  });

  it('lets one of a rush on one slot reach the store; the others wait for its answer and are refused', async () => {
    const { deps } = clinic();
    let transactions = 0;
    const store: typeof deps.store = {
      ...deps.store,
      change: (tenant, fn) => {
        transactions += 1;
        return deps.store.change(tenant, fn);
      },
    };
    const rushDeps = { ...deps, store, recentlyTaken: createRecentlyTaken({ now: deps.now }) };
    const answers = await Promise.allSettled(
      [patient, otherPatient, patient, otherPatient].map((p) =>
        bookAppointment(rushDeps, booking({ patientId: p.id })),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected']);
    expect(answers.slice(1).every((a) => a.status === 'rejected' && a.reason instanceof AlreadyExistsError)).toBe(true);
    expect(transactions).toBe(1);
  });
});
