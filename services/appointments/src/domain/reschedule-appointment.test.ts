import { AlreadyExistsError, ConflictError, FailedPreconditionError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import { clinic, doctor, failure, MONDAY_1030, otherPatient, patient, tenantId } from '../testing/fixtures.js';
import { bookAppointment } from './book-appointment.js';
import { holdSlot } from './holds.js';
import { checkIn } from './lifecycle-actions.js';
import { rescheduleAppointment } from './reschedule-appointment.js';

const QUARTER = 15 * 60_000;
const later = (n: number) => new Date(MONDAY_1030.getTime() + n * QUARTER);

async function booked(c = clinic(), patientId = patient.id, startsAt = MONDAY_1030) {
  const { appointment } = await bookAppointment(c.deps, {
    tenantId,
    actorId: 'front-desk',
    patientId,
    doctorId: doctor.id,
    startsAt,
    reason: '',
    traceId: '',
  });
  return appointment;
}

describe('rescheduleAppointment', () => {
  it('moves the slot in one change: same id, a history row saying from where to where, the claim and reminders move', async () => {
    const c = clinic();
    const appointment = await booked(c);
    const moved = await rescheduleAppointment(c.deps, {
      tenantId,
      appointmentId: appointment.id,
      actorId: 'front-desk',
      startsAt: new Date('2030-01-08T05:00:00Z'),
      reason: 'patient asked',
    });
    expect(moved).toMatchObject({
      id: appointment.id,
      status: 'BOOKED',
      serviceDate: '2030-01-08',
      startsAt: new Date('2030-01-08T05:00:00Z'),
    });
    expect(c.state.history.at(-1)).toMatchObject({
      from: 'BOOKED',
      to: 'BOOKED',
      reason: 'patient asked',
      movedFrom: MONDAY_1030,
      movedTo: new Date('2030-01-08T05:00:00Z'),
    });
    expect(c.state.claims).toMatchObject([
      { appointmentId: appointment.id, startsAt: new Date('2030-01-08T05:00:00Z') },
    ]);
    expect(c.state.reminders.map((r) => [r.offsetMinutes, r.dueAt.toISOString()])).toEqual([
      [1440, '2030-01-07T05:00:00.000Z'],
      [120, '2030-01-08T03:00:00.000Z'],
    ]);
    expect(c.state.events.at(-1)?.data).toMatchObject({ previousServiceDate: '2030-01-07', serviceDate: '2030-01-08' });
    // The old slot is free for someone else now.
    await booked(c, otherPatient.id);
  });

  it('refuses taken, off-grid and held-by-others slots, and appointments past booked', async () => {
    const c = clinic();
    const mine = await booked(c);
    await booked(c, otherPatient.id, later(1));
    const move = (startsAt: Date, holdId?: string) =>
      rescheduleAppointment(c.deps, { tenantId, appointmentId: mine.id, actorId: 'x', startsAt, holdId, reason: '' });
    expect(await failure(move(later(1)))).toBeInstanceOf(AlreadyExistsError);
    expect((await failure(move(new Date(MONDAY_1030.getTime() + 5 * 60_000)))).violations?.[0]?.field).toBe('startsAt');
    const { hold } = await holdSlot(c.deps, {
      tenantId,
      doctorId: doctor.id,
      patientId: otherPatient.id,
      startsAt: later(4),
    });
    expect(await failure(move(later(4)))).toBeInstanceOf(AlreadyExistsError);
    expect(await failure(move(later(4), hold.id))).toBeInstanceOf(FailedPreconditionError);
    c.clock.now = new Date('2030-01-07T04:30:00Z');
    await checkIn(c.deps, { tenantId, appointmentId: mine.id, actorId: 'nurse' });
    expect(await failure(move(later(6)))).toBeInstanceOf(ConflictError);
    expect(c.state.appointments.find((a) => a.id === mine.id)?.startsAt).toEqual(MONDAY_1030);
  });

  it("uses up the patient's own hold on the new slot", async () => {
    const c = clinic();
    const mine = await booked(c);
    const { hold } = await holdSlot(c.deps, {
      tenantId,
      doctorId: doctor.id,
      patientId: patient.id,
      startsAt: later(8),
    });
    await rescheduleAppointment(c.deps, {
      tenantId,
      appointmentId: mine.id,
      actorId: 'x',
      startsAt: later(8),
      holdId: hold.id,
      reason: '',
    });
    expect(c.state.claims.map((x) => [x.kind, x.startsAt])).toEqual([['APPOINTMENT', later(8)]]);
  });
});
