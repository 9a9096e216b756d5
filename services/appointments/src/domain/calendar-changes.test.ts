import { ConflictError, InvalidArgumentError, NotFoundError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import {
  clinic,
  doctor,
  failure,
  MONDAY_1030,
  otherPatient,
  patient,
  schedules,
  tenantId,
} from '../testing/fixtures.js';
import { bookAppointment } from './book-appointment.js';
import {
  addScheduleException,
  createSchedule,
  deleteSchedule,
  removeScheduleException,
  replaceSchedule,
} from './calendar-changes.js';

const kolkataSchedule = schedules.find((s) => s.doctorId === doctor.id)!;
const change = { tenantId, actorId: 'admin', doctorId: doctor.id, affected: [] };

async function withBookings() {
  const c = clinic();
  const book = (patientId: string, startsAt: Date) =>
    bookAppointment(c.deps, {
      tenantId,
      actorId: 'desk',
      patientId,
      doctorId: doctor.id,
      startsAt,
      reason: '',
      traceId: '',
    });
  const morning = (await book(patient.id, MONDAY_1030)).appointment; // Mon 10:30 IST
  const afternoon = (await book(otherPatient.id, new Date('2030-01-07T10:30:00Z'))).appointment; // Mon 16:00 IST
  return { c, morning, afternoon };
}

describe('calendar changes', () => {
  it('refuses a leave day that strands booked appointments, listing them, and changes nothing', async () => {
    const { c, morning, afternoon } = await withBookings();
    const refused = await failure(
      addScheduleException(c.deps, {
        ...change,
        exception: {
          date: '2030-01-07',
          kind: 'LEAVE',
          startMinute: null,
          endMinute: null,
          slotMinutes: null,
          reason: 'conference',
        },
      }),
    );
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused.details?.affectedAppointments as { id: string }[]).map((a) => a.id)).toEqual([
      morning.id,
      afternoon.id,
    ]);
    expect(c.state.exceptions).toEqual([]);
    expect(c.state.doctors.find((d) => d.id === doctor.id)?.version).toBe(1);
  });

  it('applies the change with the cancellations and moves the request names, in one transaction', async () => {
    const { c, morning, afternoon } = await withBookings();
    const { exception, outcome } = await addScheduleException(c.deps, {
      ...change,
      affected: [
        { appointmentId: morning.id, action: 'cancel', reason: 'doctor on leave' },
        { appointmentId: afternoon.id, action: 'move', startsAt: new Date('2030-01-08T10:30:00Z') },
      ],
      exception: {
        date: '2030-01-07',
        kind: 'LEAVE',
        startMinute: null,
        endMinute: null,
        slotMinutes: null,
        reason: 'conference',
      },
    });
    expect(exception.kind).toBe('LEAVE');
    expect(outcome).toEqual({ cancelled: [morning.id], moved: [afternoon.id] });
    expect(c.state.appointments.map((a) => [a.status, a.serviceDate])).toEqual([
      ['CANCELLED', '2030-01-07'],
      ['BOOKED', '2030-01-08'],
    ]);
    expect(c.state.doctors.find((d) => d.id === doctor.id)?.version).toBe(2);
    expect(c.state.events.slice(-3).map((e) => e.def.type)).toEqual([
      'appointment.cancelled',
      'appointment.rescheduled',
      'doctor.updated',
    ]);
    expect(c.changedCalls).toEqual([{ kind: 'doctor', tenantId, id: doctor.id, version: 2 }]);
  });

  it('refuses moves onto slots the new calendar lacks, and actions for appointments the change leaves alone', async () => {
    const { c, morning, afternoon } = await withBookings();
    const leave = {
      date: '2030-01-07',
      kind: 'LEAVE' as const,
      startMinute: null,
      endMinute: null,
      slotMinutes: null,
      reason: '',
    };
    const stillLeave = await failure(
      addScheduleException(c.deps, {
        ...change,
        affected: [
          { appointmentId: morning.id, action: 'cancel' },
          { appointmentId: afternoon.id, action: 'move', startsAt: new Date('2030-01-07T11:00:00Z') },
        ],
        exception: leave,
      }),
    );
    expect(stillLeave.violations?.[0]?.field).toBe('affectedAppointments.startsAt');
    const blocked = await failure(
      addScheduleException(c.deps, {
        ...change,
        affected: [{ appointmentId: afternoon.id, action: 'cancel' }],
        exception: {
          date: '2030-01-07',
          kind: 'BLOCKED',
          startMinute: 600,
          endMinute: 660,
          slotMinutes: null,
          reason: '',
        },
      }),
    );
    expect(blocked).toBeInstanceOf(InvalidArgumentError);
    expect(blocked.violations?.[0]?.field).toBe('affectedAppointments.0.appointmentId');
    expect(c.state.appointments.every((a) => a.status === 'BOOKED')).toBe(true);
  });

  it('refuses a shorter template that strands the afternoon, and applies it with the afternoon moved', async () => {
    const { c, afternoon } = await withBookings();
    const mornings = {
      validFrom: kolkataSchedule.validFrom,
      validTo: null,
      slotMinutes: 20,
      sessions: [1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 540, endMinute: 780 })),
    };
    const refused = await failure(
      replaceSchedule(c.deps, { ...change, scheduleId: kolkataSchedule.id, schedule: mornings }),
    );
    expect((refused.details?.affectedAppointments as { id: string }[]).map((a) => a.id)).toEqual([afternoon.id]);
    // The 10:30 morning appointment is off the new 20-minute grid but inside working time: not stranded.
    const { schedule } = await replaceSchedule(c.deps, {
      ...change,
      scheduleId: kolkataSchedule.id,
      schedule: mornings,
      affected: [{ appointmentId: afternoon.id, action: 'move', startsAt: new Date('2030-01-07T04:10:00Z') }],
    });
    expect(schedule.slotMinutes).toBe(20);
    expect(c.state.appointments.find((a) => a.id === afternoon.id)?.startsAt).toEqual(new Date('2030-01-07T04:10:00Z'));
  });

  it('adds and removes templates and exceptions, refusing overlaps and unknown ids', async () => {
    const c = clinic();
    const next = {
      validFrom: '2031-01-01',
      validTo: null,
      slotMinutes: 15,
      sessions: [{ weekday: 1, startMinute: 600, endMinute: 720 }],
    };
    const overlap = await failure(createSchedule(c.deps, { ...change, schedule: next }));
    expect(overlap).toBeInstanceOf(ConflictError);
    await replaceSchedule(c.deps, {
      ...change,
      scheduleId: kolkataSchedule.id,
      schedule: { ...kolkataSchedule, validTo: '2030-12-31' },
    });
    const { schedule } = await createSchedule(c.deps, { ...change, schedule: next });
    await deleteSchedule(c.deps, { ...change, scheduleId: schedule.id });
    const { exception } = await addScheduleException(c.deps, {
      ...change,
      exception: {
        date: '2030-01-13',
        kind: 'EXTRA',
        startMinute: 600,
        endMinute: 660,
        slotMinutes: null,
        reason: 'Sunday clinic',
      },
    });
    await removeScheduleException(c.deps, { ...change, exceptionId: exception.id });
    expect(await failure(removeScheduleException(c.deps, { ...change, exceptionId: exception.id }))).toBeInstanceOf(
      NotFoundError,
    );
    expect(c.state.doctors.find((d) => d.id === doctor.id)?.version).toBe(6);
  });
});
