/** The events the appointments service publishes, built from the domain. */
import { type EVENTS, toTimestamp, type EventPayload } from '@hms/proto';
import type { Appointment } from '../domain/types.js';

/** All events of one doctor's day share a key, so they stay in order in one partition. */
export function doctorDayKey(appointment: Appointment): string {
  return `${appointment.tenantId}:${appointment.doctorId}:${appointment.serviceDate}`;
}

export function appointmentBooked(a: Appointment): EventPayload<typeof EVENTS.appointmentBooked> {
  return {
    appointmentId: a.id,
    patientId: a.patientId,
    doctorId: a.doctorId,
    departmentId: a.departmentId,
    startsAt: toTimestamp(a.startsAt),
    endsAt: toTimestamp(a.endsAt),
    serviceDate: a.serviceDate,
    consultationFeeMinor: a.consultationFeeMinor,
    hospitalFeeMinor: a.hospitalFeeMinor,
    currency: a.currency,
  };
}

export function appointmentCheckedIn(
  a: Appointment,
  at: Date,
  timeZone: string,
): EventPayload<typeof EVENTS.appointmentCheckedIn> {
  return {
    appointmentId: a.id,
    patientId: a.patientId,
    doctorId: a.doctorId,
    startsAt: toTimestamp(a.startsAt),
    serviceDate: a.serviceDate,
    checkedInAt: toTimestamp(at),
    timeZone,
  };
}
