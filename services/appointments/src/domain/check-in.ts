import { NotFoundError } from '@hms/platform';
import type { AppointmentStore } from './appointment-store.js';
import { assertCanCheckIn, type BookingPolicy } from './schedule.js';
import type { Appointment } from './types.js';

/** Checks a patient in; checking in again answers with the appointment unchanged. */
export async function checkInAppointment(
  deps: { store: AppointmentStore; now: () => Date; policy: BookingPolicy },
  input: { tenantId: string; appointmentId: string; actorId: string },
): Promise<Appointment> {
  const appointment = await deps.store.findAppointment(input.tenantId, input.appointmentId);
  if (!appointment) throw new NotFoundError(`appointment ${input.appointmentId} not found`);
  const doctor = await deps.store.findDoctor(input.tenantId, appointment.doctorId);
  if (!doctor) throw new Error(`doctor ${appointment.doctorId} of appointment ${appointment.id} is missing`);
  const now = deps.now();
  assertCanCheckIn(appointment, doctor.timeZone, now, deps.policy);
  if (appointment.status === 'CHECKED_IN') return appointment;
  return deps.store.checkIn(appointment, doctor, now, input.actorId);
}
