import { describe, expect, it } from 'vitest';
import { clinic, doctor, MONDAY_1030, nightDoctor, otherPatient, patient, tenantId } from '../testing/fixtures.js';
import { bookAppointment } from './book-appointment.js';
import { checkIn, completeAppointment, startConsultation } from './lifecycle-actions.js';
import { cancelAppointment } from './lifecycle-actions.js';
import { sendDueReminders, sweepNoShows, SYSTEM_ACTOR } from './sweeps.js';

async function twoBookings() {
  const c = clinic(new Date('2030-01-05T05:00:00Z'));
  const book = (patientId: string, doctorId: string) =>
    bookAppointment(c.deps, {
      tenantId,
      actorId: 'desk',
      patientId,
      doctorId,
      startsAt: MONDAY_1030,
      reason: '',
      traceId: '',
    });
  const a = (await book(patient.id, doctor.id)).appointment;
  const b = (await book(otherPatient.id, nightDoctor.id)).appointment;
  return { c, a, b };
}

describe('the no-show sweep', () => {
  it("marks open appointments past the tenant's grace period, automatically and once", async () => {
    const { c, a, b } = await twoBookings();
    const deps = { ...c.deps, sweeps: c.sweeps, defaultGraceMinutes: 30 };
    // Slot 05:00-05:15; grace 30 minutes: nothing at 05:44...
    c.clock.now = new Date('2030-01-07T05:44:00Z');
    expect(await sweepNoShows(deps)).toBe(0);
    // ...the one seen stays seen; the other becomes a no-show at 05:45.
    c.clock.now = new Date('2030-01-07T04:50:00Z');
    await checkIn(c.deps, { tenantId, appointmentId: b.id, actorId: 'n' });
    await startConsultation(c.deps, { tenantId, appointmentId: b.id, actorId: 'd' });
    await completeAppointment(c.deps, { tenantId, appointmentId: b.id, actorId: 'd' });
    c.clock.now = new Date('2030-01-07T05:45:00Z');
    expect(await sweepNoShows(deps)).toBe(1);
    expect(await sweepNoShows(deps)).toBe(0);
    expect(c.state.appointments.map((x) => [x.id, x.status])).toEqual([
      [a.id, 'NO_SHOW'],
      [b.id, 'COMPLETED'],
    ]);
    expect(c.state.history.at(-1)).toMatchObject({ to: 'NO_SHOW', actorId: SYSTEM_ACTOR });
    expect(c.state.events.at(-1)?.data).toMatchObject({ automatic: true });
  });

  it("follows a tenant's own grace period", async () => {
    const { c } = await twoBookings();
    c.state.settings.set(tenantId, { ...(await c.reference.settings(tenantId)), noShowGraceMinutes: 120 });
    c.clock.now = new Date('2030-01-07T06:00:00Z');
    expect(await sweepNoShows({ ...c.deps, sweeps: c.sweeps, defaultGraceMinutes: 30 })).toBe(0);
  });
});

describe('reminders', () => {
  it('emits each due reminder once, and never for a cancelled appointment', async () => {
    const { c, a, b } = await twoBookings();
    const deps = { ...c.deps, sweeps: c.sweeps };
    c.clock.now = new Date('2030-01-06T04:00:00Z');
    await cancelAppointment(c.deps, {
      tenantId,
      appointmentId: b.id,
      actorId: 'desk',
      by: 'STAFF',
      reason: 'moved away',
    });
    // The 24-hour reminder of a (05:00 the day after) is due at 05:00.
    c.clock.now = new Date('2030-01-06T05:00:00Z');
    expect(await sendDueReminders(deps)).toBe(1);
    expect(await sendDueReminders(deps)).toBe(0);
    c.clock.now = new Date('2030-01-07T03:00:00Z');
    expect(await sendDueReminders(deps)).toBe(1);
    const reminders = c.state.events.filter((e) => e.def.type === 'appointment.reminder_due');
    expect(
      reminders.map((e) => [
        (e.data as { appointmentId: string }).appointmentId,
        (e.data as { offsetMinutes: number }).offsetMinutes,
      ]),
    ).toEqual([
      [a.id, 1440],
      [a.id, 120],
    ]);
  });
});
