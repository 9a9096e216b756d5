/** The events the appointments service publishes, built from the domain. */
import { pendingEvent, type PendingEvent } from '@hms/platform/domain';
import { EVENTS, toTimestamp } from '@hms/proto';
import type { Appointment } from './types.js';

/** All events of one doctor's day share a key, so they stay in order in one partition. */
export function doctorDayKey(a: Pick<Appointment, 'tenantId' | 'doctorId' | 'serviceDate'>): string {
  return `${a.tenantId}:${a.doctorId}:${a.serviceDate}`;
}

function about(a: Appointment) {
  return { key: doctorDayKey(a), tenantId: a.tenantId, subject: `appointment/${a.id}` };
}

export function appointmentBooked(a: Appointment): PendingEvent {
  return pendingEvent(EVENTS.appointmentBooked, {
    ...about(a),
    data: {
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
    },
  });
}

export function appointmentCheckedIn(a: Appointment, checkedInAt: Date, timeZone: string): PendingEvent {
  return pendingEvent(EVENTS.appointmentCheckedIn, {
    ...about(a),
    data: {
      appointmentId: a.id,
      patientId: a.patientId,
      doctorId: a.doctorId,
      startsAt: toTimestamp(a.startsAt),
      serviceDate: a.serviceDate,
      checkedInAt: toTimestamp(checkedInAt),
      timeZone,
    },
  });
}
