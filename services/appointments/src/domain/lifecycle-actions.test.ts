import { ConflictError, FailedPreconditionError, NotFoundError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import { clinic, doctor, failure, MONDAY_1030, patient, tenantId } from '../testing/fixtures.js';
import { bookAppointment } from './book-appointment.js';
import { cancelAppointment, checkIn, completeAppointment, markNoShow, startConsultation } from './lifecycle-actions.js';

async function booked() {
  const c = clinic();
  const { appointment } = await bookAppointment(c.deps, {
    tenantId,
    actorId: 'front-desk',
    patientId: patient.id,
    doctorId: doctor.id,
    startsAt: MONDAY_1030,
    reason: '',
    traceId: '',
  });
  const act = { tenantId, appointmentId: appointment.id, actorId: 'nurse' };
  return { ...c, appointment, act };
}

const at = (iso: string) => new Date(iso);

describe('the lifecycle after booking', () => {
  it('checks in, starts and completes, each once, with a history row and an event each', async () => {
    const { deps, clock, state, act } = await booked();
    clock.now = at('2030-01-07T04:30:00Z');
    const checkedIn = await checkIn(deps, act);
    expect(checkedIn).toMatchObject({ status: 'CHECKED_IN', checkedInAt: clock.now });
    // A retry changes nothing.
    expect(await checkIn(deps, act)).toEqual(checkedIn);
    clock.now = at('2030-01-07T05:05:00Z');
    expect(await startConsultation(deps, act)).toMatchObject({
      status: 'IN_CONSULTATION',
      consultationStartedAt: clock.now,
    });
    clock.now = at('2030-01-07T05:20:00Z');
    expect(await completeAppointment(deps, act)).toMatchObject({ status: 'COMPLETED', completedAt: clock.now });
    expect(state.history.map((h) => [h.from, h.to, h.actorId])).toEqual([
      [null, 'BOOKED', 'front-desk'],
      ['BOOKED', 'CHECKED_IN', 'nurse'],
      ['CHECKED_IN', 'IN_CONSULTATION', 'nurse'],
      ['IN_CONSULTATION', 'COMPLETED', 'nurse'],
    ]);
    expect(state.events.map((e) => e.def.type)).toEqual([
      'appointment.booked',
      'appointment.checked_in',
      'appointment.consultation_started',
      'appointment.completed',
    ]);
    // Checking in withdraws the reminders not yet sent.
    expect(state.reminders).toEqual([]);
    // The completed appointment keeps its time claimed.
    expect(state.claims).toHaveLength(1);
  });

  it('refuses illegal transitions with a conflict naming what is allowed, changing nothing', async () => {
    const { deps, state, act } = await booked();
    const early = await failure(completeAppointment(deps, act));
    expect(early).toBeInstanceOf(ConflictError);
    expect(early.message).toMatch(/allowed: check-in, cancel, reschedule, no-show/);
    expect(early.details).toEqual({ status: 'booked', allowed: ['check-in', 'cancel', 'reschedule', 'no-show'] });
    expect(await failure(startConsultation(deps, act))).toBeInstanceOf(ConflictError);
    expect(
      await failure(checkIn(deps, { ...act, appointmentId: '0192f0a0-0000-7000-8000-00000000cccc' })),
    ).toBeInstanceOf(NotFoundError);
    expect(state.history).toHaveLength(1);
    expect(state.events).toHaveLength(1);
  });

  it("cancels with a reason, by the patient within the tenant's window or by staff until the slot, freeing the time", async () => {
    const { deps, clock, state, act } = await booked();
    clock.now = at('2030-01-07T04:00:00Z'); // an hour before: past the patient's 2-hour window
    const late = await failure(cancelAppointment(deps, { ...act, by: 'PATIENT', reason: 'cannot come' }));
    expect(late).toBeInstanceOf(FailedPreconditionError);
    expect(late.violations?.[0]?.field).toBe('cancelledBy');
    const cancelled = await cancelAppointment(deps, { ...act, by: 'STAFF', reason: 'doctor called away' });
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      cancelledBy: 'STAFF',
      statusReason: 'doctor called away',
      cancelledAt: clock.now,
    });
    expect(state.claims).toEqual([]);
    expect(state.reminders).toEqual([]);
    expect(state.history.at(-1)).toMatchObject({ from: 'BOOKED', to: 'CANCELLED', reason: 'doctor called away' });
    expect(state.events.at(-1)?.data).toMatchObject({
      cancelledBy: 'STAFF',
      reason: 'doctor called away',
      fromStatus: 'BOOKED',
    });
    // Cancelling again is a retry; anything else now is a conflict.
    expect(await cancelAppointment(deps, { ...act, by: 'STAFF', reason: 'again' })).toEqual(cancelled);
    expect(await failure(checkIn(deps, act))).toBeInstanceOf(ConflictError);
  });

  it('marks a no-show by hand only once the slot has started, and frees the time', async () => {
    const { deps, clock, state, act } = await booked();
    expect(await failure(markNoShow(deps, { ...act, reason: 'absent' }))).toBeInstanceOf(FailedPreconditionError);
    clock.now = at('2030-01-07T05:10:00Z');
    expect(await markNoShow(deps, { ...act, reason: 'absent' })).toMatchObject({
      status: 'NO_SHOW',
      statusReason: 'absent',
    });
    expect(state.claims).toEqual([]);
    expect(state.events.at(-1)?.data).toMatchObject({ automatic: false, fromStatus: 'BOOKED' });
  });
});
