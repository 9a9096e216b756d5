/** Reading appointments: one, a page of a list, and its history. */
import { InvalidArgumentError, NotFoundError } from '@hms/platform/domain';
import type { AppointmentCursor, AppointmentFilter, SchedulingStore } from './scheduling-store.js';
import type { Appointment, HistoryEntry } from './types.js';

export async function getAppointment(
  store: SchedulingStore,
  query: { tenantId: string; appointmentId: string },
): Promise<Appointment> {
  const appointment = await store.read(query.tenantId, (r) => r.appointment(query.appointmentId));
  if (!appointment) throw new NotFoundError(`appointment ${query.appointmentId} not found`);
  return appointment;
}

export interface ListQuery {
  doctorId?: string | undefined;
  patientId?: string | undefined;
  serviceDate?: string | undefined;
  departmentId?: string | undefined;
  statuses: Appointment['status'][];
  timeframe?: 'upcoming' | 'past' | undefined;
}

/** Which list a query asks for; a query naming none, or two at once, is refused. */
export function filterOf(query: ListQuery, now: Date): AppointmentFilter {
  if (query.patientId) {
    if (query.doctorId || query.serviceDate || query.departmentId) {
      throw new InvalidArgumentError('a patient’s appointments take no doctor, date or department', [
        { field: 'patientId', message: 'list by patient, or by doctor and date, not both' },
      ]);
    }
    return {
      by: 'patient',
      patientId: query.patientId,
      timeframe: query.timeframe ?? 'upcoming',
      now,
      statuses: query.statuses,
    };
  }
  if (query.timeframe) {
    throw new InvalidArgumentError('upcoming and past are for a patient’s appointments', [
      { field: 'timeframe', message: 'needs patientId' },
    ]);
  }
  if (!query.serviceDate) {
    throw new InvalidArgumentError('say which appointments: a date (with a doctor or department), or a patient', [
      { field: 'date', message: 'required unless patientId is given' },
    ]);
  }
  if (query.doctorId) {
    return { by: 'doctor-day', doctorId: query.doctorId, serviceDate: query.serviceDate, statuses: query.statuses };
  }
  return { by: 'day', serviceDate: query.serviceDate, departmentId: query.departmentId, statuses: query.statuses };
}

export async function listAppointments(
  store: SchedulingStore,
  query: { tenantId: string; filter: AppointmentFilter; limit: number; after?: AppointmentCursor | undefined },
): Promise<{ appointments: Appointment[]; more: boolean }> {
  const page = await store.read(query.tenantId, (r) => r.appointments(query.filter, query.limit + 1, query.after));
  return { appointments: page.slice(0, query.limit), more: page.length > query.limit };
}

export async function appointmentHistory(
  store: SchedulingStore,
  query: { tenantId: string; appointmentId: string; limit: number; afterId?: string | undefined },
): Promise<{ entries: HistoryEntry[]; more: boolean }> {
  return store.read(query.tenantId, async (r) => {
    if (!(await r.appointment(query.appointmentId))) {
      throw new NotFoundError(`appointment ${query.appointmentId} not found`);
    }
    const page = await r.history(query.appointmentId, query.limit + 1, query.afterId);
    return { entries: page.slice(0, query.limit), more: page.length > query.limit };
  });
}
