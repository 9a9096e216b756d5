/**
 * Changing a doctor's calendar: weekly templates (create, replace, delete) and
 * exceptions (leave days, extra sessions, blocked hours). The doctor is locked
 * for the change, so bookings and other changes wait or see it whole. A change
 * that would strand booked appointments (their time no longer working time) is
 * refused with the list of them, unless the request says, for each one,
 * whether to cancel it or move it to a slot of the new calendar: then the
 * change, the cancellations and the moves are one transaction. The doctor's
 * version grows and doctor.updated tells every cache.
 */
import {
  ConflictError,
  InvalidArgumentError,
  isCalendarDate,
  NotFoundError,
  type FieldViolation,
} from '@hms/platform/domain';
import type { SchedulingDeps } from './book-appointment.js';
import { assertNoClash, assertValid, coversWorkingTime, exceptionViolations, scheduleViolations } from './calendar.js';
import { appointmentCancelled, appointmentRescheduled, doctorUpdated } from './events.js';
import { historyOf } from './lifecycle-actions.js';
import { transition } from './lifecycle.js';
import { planReminders } from './reminders.js';
import type { SchedulingTx } from './scheduling-store.js';
import { planSlot } from './schedule.js';
import type { Appointment, Calendar, DoctorRecord, ScheduleException, Session, WeeklySchedule } from './types.js';

export type AffectedAction =
  | { appointmentId: string; action: 'cancel'; reason?: string | undefined }
  | { appointmentId: string; action: 'move'; startsAt: Date };

export interface CalendarChange {
  tenantId: string;
  actorId: string;
  doctorId: string;
  affected: AffectedAction[];
}

export interface CalendarOutcome {
  cancelled: string[];
  moved: string[];
}

export interface ScheduleInput {
  validFrom: string;
  validTo: string | null;
  slotMinutes: number;
  sessions: Session[];
}

const DEFAULT_REASON = "the doctor's calendar changed";

/** Describes an appointment a change would strand, for the refusal's details. */
function affectedJson(a: Appointment) {
  return {
    id: a.id,
    patientId: a.patientId,
    startsAt: a.startsAt.toISOString(),
    endsAt: a.endsAt.toISOString(),
    status: a.status.toLowerCase(),
  };
}

/**
 * The skeleton of every calendar change: lock the doctor, compute the new
 * calendar, find the appointments it strands, apply the request's actions
 * (or refuse), persist, bump the doctor's version.
 */
async function changeCalendar<T>(
  deps: SchedulingDeps,
  command: CalendarChange,
  mutate: (record: DoctorRecord) => { calendar: Calendar; persist: (tx: SchedulingTx) => Promise<T> },
): Promise<{ result: T; outcome: CalendarOutcome }> {
  const settings = await deps.reference.settings(command.tenantId);
  const done = await deps.store.change(command.tenantId, async (tx) => {
    const record = await tx.lockDoctor(command.doctorId);
    if (!record) throw new NotFoundError(`doctor ${command.doctorId} not found`);
    const { calendar, persist } = mutate(record);
    const now = deps.now();
    const open = await tx.openAppointments(command.doctorId, now);
    const stranded = open.filter((a) => !coversWorkingTime(record.doctor, calendar, a.startsAt, a.endsAt));
    const actions = new Map(command.affected.map((a) => [a.appointmentId, a]));
    const strandedIds = new Set(stranded.map((a) => a.id));
    const extra: FieldViolation[] = command.affected
      .map((a, i) => ({ a, i }))
      .filter(({ a }) => !strandedIds.has(a.appointmentId))
      .map(({ i }) => ({
        field: `affectedAppointments.${i}.appointmentId`,
        message: 'is not an appointment this change affects',
      }));
    if (extra.length > 0)
      throw new InvalidArgumentError('the request names appointments the change does not affect', extra);
    const unresolved = stranded.filter((a) => !actions.has(a.id));
    if (unresolved.length > 0) {
      throw new ConflictError(
        `the change would strand ${unresolved.length} booked appointment${unresolved.length === 1 ? '' : 's'}: cancel or move each in the same request (affectedAppointments)`,
        [{ field: 'affectedAppointments', message: `${unresolved.length} appointment(s) need an action` }],
        { affectedAppointments: unresolved.map(affectedJson) },
      );
    }
    const result = await persist(tx);
    const outcome: CalendarOutcome = { cancelled: [], moved: [] };
    for (const appointment of stranded) {
      const action = actions.get(appointment.id)!;
      if (action.action === 'cancel') {
        transition(appointment.status, 'cancel');
        const reason = action.reason || DEFAULT_REASON;
        const after: Appointment = {
          ...appointment,
          status: 'CANCELLED',
          cancelledBy: 'STAFF',
          cancelledAt: now,
          statusReason: reason,
        };
        await tx.saveTransition(
          after,
          historyOf(deps.newId, appointment, after, command.actorId, now, reason),
          [appointmentCancelled(after, appointment.status)],
          { claim: 'release', reminders: 'drop' },
        );
        outcome.cancelled.push(appointment.id);
      } else {
        transition(appointment.status, 'reschedule');
        const slot = planSlot(
          record.doctor,
          calendar,
          action.startsAt,
          now,
          deps.policy,
          'affectedAppointments.startsAt',
        );
        const after: Appointment = {
          ...appointment,
          startsAt: slot.startsAt,
          endsAt: slot.endsAt,
          serviceDate: slot.serviceDate,
          statusReason: DEFAULT_REASON,
        };
        await tx.clearExpiredHolds({
          doctorId: appointment.doctorId,
          patientId: appointment.patientId,
          startsAt: slot.startsAt,
          endsAt: slot.endsAt,
          now,
        });
        await tx.saveTransition(
          after,
          historyOf(deps.newId, appointment, after, command.actorId, now, DEFAULT_REASON),
          [appointmentRescheduled(after, appointment)],
          {
            claim: { startsAt: slot.startsAt, endsAt: slot.endsAt },
            reminders: planReminders(after, settings.reminderOffsetsMinutes, now),
          },
        );
        outcome.moved.push(appointment.id);
      }
    }
    const doctor = { ...record.doctor, version: record.doctor.version + 1, updatedAt: now.toISOString() };
    await tx.saveDoctor(doctor, [doctorUpdated(doctor, 'calendar')]);
    return { result, outcome, version: doctor.version };
  });
  await deps.reference.changed('doctor', command.tenantId, command.doctorId, done.version);
  return { result: done.result, outcome: done.outcome };
}

function assertDates(input: { validFrom: string; validTo: string | null }): void {
  const violations: FieldViolation[] = [];
  if (!isCalendarDate(input.validFrom)) violations.push({ field: 'validFrom', message: 'must be a date, YYYY-MM-DD' });
  if (input.validTo !== null && !isCalendarDate(input.validTo)) {
    violations.push({ field: 'validTo', message: 'must be a date, YYYY-MM-DD' });
  }
  assertValid(violations, 'invalid schedule');
}

/** Templates of one doctor may not overlap in time. */
function assertNoOverlap(calendar: Calendar, input: ScheduleInput, except?: string): void {
  const clash = calendar.schedules.find(
    (s) =>
      s.id !== except &&
      s.validFrom <= (input.validTo ?? '9999-12-31') &&
      input.validFrom <= (s.validTo ?? '9999-12-31'),
  );
  if (clash) {
    throw new ConflictError('another weekly template covers some of those days', [
      {
        field: 'validFrom',
        message: `overlaps template ${clash.id} (${clash.validFrom} to ${clash.validTo ?? 'open-ended'}); end that one first`,
      },
    ]);
  }
}

export async function createSchedule(
  deps: SchedulingDeps,
  command: CalendarChange & { schedule: ScheduleInput },
): Promise<{ schedule: WeeklySchedule; outcome: CalendarOutcome }> {
  assertDates(command.schedule);
  assertValid(scheduleViolations(command.schedule), 'invalid schedule');
  const { result, outcome } = await changeCalendar(deps, command, (record) => {
    assertNoOverlap(record.calendar, command.schedule);
    const now = deps.now().toISOString();
    const schedule: WeeklySchedule = {
      id: deps.newId(),
      doctorId: command.doctorId,
      ...command.schedule,
      createdAt: now,
      updatedAt: now,
    };
    return {
      calendar: { ...record.calendar, schedules: [...record.calendar.schedules, schedule] },
      persist: async (tx) => {
        await tx.insertSchedule(command.doctorId, schedule);
        return schedule;
      },
    };
  });
  return { schedule: result, outcome };
}

export async function replaceSchedule(
  deps: SchedulingDeps,
  command: CalendarChange & { scheduleId: string; schedule: ScheduleInput },
): Promise<{ schedule: WeeklySchedule; outcome: CalendarOutcome }> {
  assertDates(command.schedule);
  assertValid(scheduleViolations(command.schedule), 'invalid schedule');
  const { result, outcome } = await changeCalendar(deps, command, (record) => {
    const existing = record.calendar.schedules.find((s) => s.id === command.scheduleId);
    if (!existing) throw new NotFoundError(`schedule ${command.scheduleId} of doctor ${command.doctorId} not found`);
    assertNoOverlap(record.calendar, command.schedule, command.scheduleId);
    const schedule: WeeklySchedule = { ...existing, ...command.schedule, updatedAt: deps.now().toISOString() };
    return {
      calendar: {
        ...record.calendar,
        schedules: record.calendar.schedules.map((s) => (s.id === schedule.id ? schedule : s)),
      },
      persist: async (tx) => {
        await tx.saveSchedule(command.doctorId, schedule);
        return schedule;
      },
    };
  });
  return { schedule: result, outcome };
}

export async function deleteSchedule(
  deps: SchedulingDeps,
  command: CalendarChange & { scheduleId: string },
): Promise<{ outcome: CalendarOutcome }> {
  const { outcome } = await changeCalendar(deps, command, (record) => {
    if (!record.calendar.schedules.some((s) => s.id === command.scheduleId)) {
      throw new NotFoundError(`schedule ${command.scheduleId} of doctor ${command.doctorId} not found`);
    }
    return {
      calendar: { ...record.calendar, schedules: record.calendar.schedules.filter((s) => s.id !== command.scheduleId) },
      persist: (tx) => tx.deleteSchedule(command.doctorId, command.scheduleId),
    };
  });
  return { outcome };
}

export type ExceptionInput = Pick<
  ScheduleException,
  'date' | 'kind' | 'startMinute' | 'endMinute' | 'slotMinutes' | 'reason'
>;

export async function addScheduleException(
  deps: SchedulingDeps,
  command: CalendarChange & { exception: ExceptionInput },
): Promise<{ exception: ScheduleException; outcome: CalendarOutcome }> {
  if (!isCalendarDate(command.exception.date)) {
    throw new InvalidArgumentError('invalid exception', [{ field: 'date', message: 'must be a date, YYYY-MM-DD' }]);
  }
  const { result, outcome } = await changeCalendar(deps, command, (record) => {
    assertValid(exceptionViolations(record.calendar, command.exception), 'invalid exception');
    assertNoClash(record.calendar, command.exception);
    const exception: ScheduleException = {
      id: deps.newId(),
      doctorId: command.doctorId,
      ...command.exception,
      createdAt: deps.now().toISOString(),
    };
    return {
      calendar: { ...record.calendar, exceptions: [...record.calendar.exceptions, exception] },
      persist: async (tx) => {
        await tx.insertException(command.doctorId, exception);
        return exception;
      },
    };
  });
  return { exception: result, outcome };
}

export async function removeScheduleException(
  deps: SchedulingDeps,
  command: CalendarChange & { exceptionId: string },
): Promise<{ outcome: CalendarOutcome }> {
  const { outcome } = await changeCalendar(deps, command, (record) => {
    if (!record.calendar.exceptions.some((e) => e.id === command.exceptionId)) {
      throw new NotFoundError(`exception ${command.exceptionId} of doctor ${command.doctorId} not found`);
    }
    return {
      calendar: {
        ...record.calendar,
        exceptions: record.calendar.exceptions.filter((e) => e.id !== command.exceptionId),
      },
      persist: (tx) => tx.deleteException(command.doctorId, command.exceptionId),
    };
  });
  return { outcome };
}

/** A doctor's templates, and exceptions in a span of days (through storage: they are not hot). */
export async function listCalendar(
  deps: Pick<SchedulingDeps, 'store'>,
  query: { tenantId: string; doctorId: string; from: string; to: string | null },
): Promise<{ schedules: WeeklySchedule[]; exceptions: ScheduleException[] }> {
  return deps.store.read(query.tenantId, async (r) => {
    const doctor = await r.doctorRecord(query.doctorId);
    if (!doctor) throw new NotFoundError(`doctor ${query.doctorId} not found`);
    return {
      schedules: await r.schedules(query.doctorId),
      exceptions: await r.exceptions(query.doctorId, query.from, query.to),
    };
  });
}
