/**
 * Rescheduling: a booked appointment moves to another slot of its doctor in
 * one transaction, keeping its id and history. Its claim moves with it (the
 * database refuses the move onto claimed time, as it refuses a booking); a
 * hold the patient placed on the new slot is used up. The history row says
 * from where to where; appointment.rescheduled says so too; the reminders are
 * planned again for the new time.
 */
import { NotFoundError } from '@hms/platform/domain';
import { holdNotUsable, type SchedulingDeps } from './book-appointment.js';
import { appointmentRescheduled } from './events.js';
import { historyOf, type AppointmentAction } from './lifecycle-actions.js';
import { transition } from './lifecycle.js';
import { planReminders } from './reminders.js';
import type { SchedulingTx } from './scheduling-store.js';
import { assertBookable, planSlot } from './schedule.js';
import type { Appointment, DoctorRecord } from './types.js';

export interface RescheduleAppointment extends AppointmentAction {
  startsAt: Date;
  holdId?: string | undefined;
  reason: string;
}

/** The doctor as cached, or as the database has it when the cache is behind (share-locked either way). */
export async function currentDoctor(
  deps: Pick<SchedulingDeps, 'reference'>,
  tx: SchedulingTx,
  tenantId: string,
  doctorId: string,
): Promise<{ record: DoctorRecord | undefined; stale: boolean }> {
  const cached = await deps.reference.doctor(tenantId, doctorId);
  const version = await tx.doctorVersion(doctorId);
  if (version === undefined) return { record: undefined, stale: cached !== undefined };
  if (cached && cached.doctor.version === version) return { record: cached, stale: false };
  return { record: await tx.doctorRecord(doctorId), stale: true };
}

export async function rescheduleAppointment(
  deps: SchedulingDeps,
  command: RescheduleAppointment,
): Promise<Appointment> {
  const settings = await deps.reference.settings(command.tenantId);
  let stale = false;
  let doctorId = '';
  const result = await deps.store.change(command.tenantId, async (tx) => {
    const appointment = await tx.lockAppointment(command.appointmentId);
    if (!appointment) throw new NotFoundError(`appointment ${command.appointmentId} not found`);
    doctorId = appointment.doctorId;
    transition(appointment.status, 'reschedule');
    // Asked again after it happened: a retry.
    if (appointment.startsAt.getTime() === command.startsAt.getTime()) return appointment;
    const doctor = await currentDoctor(deps, tx, command.tenantId, appointment.doctorId);
    stale = doctor.stale;
    assertBookable(doctor.record);
    const now = deps.now();
    const slot = planSlot(doctor.record.doctor, doctor.record.calendar, command.startsAt, now, deps.policy);
    if (command.holdId) {
      const hold = await tx.lockHold(command.holdId);
      if (
        !hold ||
        hold.patientId !== appointment.patientId ||
        hold.doctorId !== appointment.doctorId ||
        hold.startsAt.getTime() !== slot.startsAt.getTime() ||
        hold.expiresAt.getTime() <= now.getTime()
      ) {
        throw holdNotUsable(hold, { ...appointment, startsAt: slot.startsAt });
      }
    }
    await tx.clearExpiredHolds({
      doctorId: appointment.doctorId,
      patientId: appointment.patientId,
      startsAt: slot.startsAt,
      endsAt: slot.endsAt,
      now,
      except: command.holdId,
    });
    const after: Appointment = {
      ...appointment,
      startsAt: slot.startsAt,
      endsAt: slot.endsAt,
      serviceDate: slot.serviceDate,
      statusReason: command.reason,
    };
    await tx.saveTransition(
      after,
      historyOf(deps.newId, appointment, after, command.actorId, now, command.reason),
      [appointmentRescheduled(after, appointment)],
      {
        claim: { startsAt: slot.startsAt, endsAt: slot.endsAt, holdId: command.holdId },
        reminders: planReminders(after, settings.reminderOffsetsMinutes, now),
      },
    );
    return after;
  });
  if (stale) await deps.reference.changed('doctor', command.tenantId, doctorId);
  return result;
}
