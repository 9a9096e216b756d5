/**
 * Checking a patient in: BOOKED -> CHECKED_IN within the check-in window of
 * the slot, with its history row and appointment.checked_in (which puts the
 * patient in the doctor's queue). Checking in again answers with the
 * appointment unchanged; the row lock makes two concurrent check-ins one.
 */
import { NotFoundError } from '@hms/platform/domain';
import type { AppointmentStore } from './appointment-store.js';
import { appointmentCheckedIn } from './events.js';
import { assertCanCheckIn, type BookingPolicy } from './schedule.js';
import type { Appointment } from './types.js';

export interface CheckIn {
  tenantId: string;
  appointmentId: string;
  actorId: string;
}

export async function checkIn(
  deps: { store: AppointmentStore; now: () => Date; policy: BookingPolicy },
  command: CheckIn,
): Promise<Appointment> {
  return deps.store.change(command.tenantId, async (tx) => {
    const appointment = await tx.lockAppointment(command.appointmentId);
    if (!appointment) throw new NotFoundError(`appointment ${command.appointmentId} not found`);
    const doctor = await tx.findDoctor(appointment.doctorId);
    if (!doctor) throw new Error(`doctor ${appointment.doctorId} of appointment ${appointment.id} is missing`);
    const now = deps.now();
    assertCanCheckIn(appointment, doctor.timeZone, now, deps.policy);
    if (appointment.status === 'CHECKED_IN') return appointment;
    const checkedIn: Appointment = { ...appointment, status: 'CHECKED_IN', checkedInAt: now };
    await tx.saveTransition(
      checkedIn,
      { from: appointment.status, to: 'CHECKED_IN', actorId: command.actorId, at: now },
      [appointmentCheckedIn(checkedIn, now, doctor.timeZone)],
    );
    return checkedIn;
  });
}
