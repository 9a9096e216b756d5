/**
 * The appointment's status changes after booking: check-in, the consultation's
 * start and end, cancellation, no-show. Each is one transaction: the
 * appointment locked, the rule checked (lifecycle.ts), the new state, one
 * history row (from, to, actor, reason, at), one event, and what the change
 * does to the slot's claim and to the reminders. Repeating a change that has
 * happened answers with the appointment unchanged, so retries are harmless.
 */
import { FailedPreconditionError, NotFoundError, type PendingEvent } from '@hms/platform/domain';
import type { SchedulingDeps } from './book-appointment.js';
import {
  appointmentCancelled,
  appointmentCheckedIn,
  appointmentCompleted,
  appointmentNoShow,
  consultationStarted,
} from './events.js';
import { transition, type LifecycleAction } from './lifecycle.js';
import type { SchedulingTx, TransitionEffects } from './scheduling-store.js';
import { assertCanCancel, assertCheckInWindow } from './schedule.js';
import type { Appointment, CancelledBy, HistoryEntry } from './types.js';

export interface AppointmentAction {
  tenantId: string;
  appointmentId: string;
  actorId: string;
}

type Deps = Pick<SchedulingDeps, 'store' | 'reference' | 'now' | 'newId' | 'policy' | 'recentlyTaken'>;

/** A history row of a change of `before` into `after`. */
export function historyOf(
  newId: () => string,
  before: Appointment,
  after: Appointment,
  actorId: string,
  at: Date,
  reason = '',
): HistoryEntry {
  const moved = before.startsAt.getTime() !== after.startsAt.getTime();
  return {
    id: newId(),
    appointmentId: after.id,
    from: before.status,
    to: after.status,
    actorId,
    reason,
    movedFrom: moved ? before.startsAt : null,
    movedTo: moved ? after.startsAt : null,
    at,
  };
}

/**
 * Runs `decide` on the locked appointment when `action` may follow its status,
 * and saves what it returns; the appointment as it is when the action already
 * happened.
 */
export async function changeAppointment(
  deps: Deps,
  command: AppointmentAction,
  action: LifecycleAction,
  decide: (
    appointment: Appointment,
    tx: SchedulingTx,
    now: Date,
  ) => Promise<{ after: Appointment; reason?: string; events: PendingEvent[]; effects?: TransitionEffects }>,
): Promise<Appointment> {
  const after = await deps.store.change(command.tenantId, async (tx) => {
    const appointment = await tx.lockAppointment(command.appointmentId);
    if (!appointment) throw new NotFoundError(`appointment ${command.appointmentId} not found`);
    if (transition(appointment.status, action) === 'unchanged') return appointment;
    const now = deps.now();
    const change = await decide(appointment, tx, now);
    await tx.saveTransition(
      change.after,
      historyOf(deps.newId, appointment, change.after, command.actorId, now, change.reason),
      change.events,
      change.effects,
    );
    return change.after;
  });
  // Time of the doctor's freed here: this process no longer refuses it from memory.
  if (after.status === 'CANCELLED' || after.status === 'NO_SHOW' || action === 'reschedule') {
    deps.recentlyTaken?.forgetDoctor(command.tenantId, after.doctorId);
  }
  return after;
}

/** BOOKED -> CHECKED_IN within the check-in window; appointment.checked_in puts the patient in the queue. */
export async function checkIn(deps: Deps, command: AppointmentAction): Promise<Appointment> {
  return changeAppointment(deps, command, 'check-in', async (appointment, _tx, now) => {
    const record = await deps.reference.doctor(command.tenantId, appointment.doctorId);
    if (!record) throw new Error(`doctor ${appointment.doctorId} of appointment ${appointment.id} is missing`);
    assertCheckInWindow(appointment, record.doctor.timeZone, now, deps.policy);
    const after: Appointment = { ...appointment, status: 'CHECKED_IN', checkedInAt: now };
    return {
      after,
      events: [appointmentCheckedIn(after, now, record.doctor.timeZone)],
      effects: { reminders: 'drop' },
    };
  });
}

/** BOOKED -> CANCELLED, by the patient (within the tenant's window) or the staff, with a reason. */
export async function cancelAppointment(
  deps: Deps,
  command: AppointmentAction & { by: CancelledBy; reason: string },
): Promise<Appointment> {
  const settings = await deps.reference.settings(command.tenantId);
  return changeAppointment(deps, command, 'cancel', async (appointment, _tx, now) => {
    assertCanCancel(appointment, command.by, now, settings);
    const after: Appointment = {
      ...appointment,
      status: 'CANCELLED',
      cancelledBy: command.by,
      cancelledAt: now,
      statusReason: command.reason,
    };
    return {
      after,
      reason: command.reason,
      events: [appointmentCancelled(after, appointment.status)],
      effects: { claim: 'release', reminders: 'drop' },
    };
  });
}

/** CHECKED_IN -> IN_CONSULTATION (the queue's call, or the doctor's desk). */
export async function startConsultation(deps: Deps, command: AppointmentAction): Promise<Appointment> {
  return changeAppointment(deps, command, 'start-consultation', async (appointment, _tx, now) => {
    const after: Appointment = { ...appointment, status: 'IN_CONSULTATION', consultationStartedAt: now };
    return { after, events: [consultationStarted(after)] };
  });
}

/** IN_CONSULTATION -> COMPLETED. */
export async function completeAppointment(deps: Deps, command: AppointmentAction): Promise<Appointment> {
  return changeAppointment(deps, command, 'complete', async (appointment, _tx, now) => {
    const after: Appointment = { ...appointment, status: 'COMPLETED', completedAt: now };
    return { after, events: [appointmentCompleted(after)] };
  });
}

/**
 * BOOKED or CHECKED_IN -> NO_SHOW, by hand once the slot has started, or by
 * the sweep (automatic) after the tenant's grace period past the slot's end.
 * The doctor's time is released.
 */
export async function markNoShow(
  deps: Deps,
  command: AppointmentAction & { reason: string; automatic?: boolean },
): Promise<Appointment> {
  return changeAppointment(deps, command, 'no-show', async (appointment, _tx, now) => {
    if (!command.automatic && now.getTime() < appointment.startsAt.getTime()) {
      throw new FailedPreconditionError('the slot has not started yet: cancel the appointment instead', [
        { field: 'startsAt', message: `starts at ${appointment.startsAt.toISOString()}` },
      ]);
    }
    const after: Appointment = { ...appointment, status: 'NO_SHOW', statusReason: command.reason };
    return {
      after,
      reason: command.reason,
      events: [appointmentNoShow(after, appointment.status, now, command.automatic ?? false)],
      effects: { claim: 'release', reminders: 'drop' },
    };
  });
}
