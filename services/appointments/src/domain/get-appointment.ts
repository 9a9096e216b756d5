import { NotFoundError } from '@hms/platform/domain';
import type { AppointmentStore } from './appointment-store.js';
import type { Appointment } from './types.js';

export async function getAppointment(
  store: AppointmentStore,
  query: { tenantId: string; appointmentId: string },
): Promise<Appointment> {
  const appointment = await store.findAppointment(query.tenantId, query.appointmentId);
  if (!appointment) throw new NotFoundError(`appointment ${query.appointmentId} not found`);
  return appointment;
}
