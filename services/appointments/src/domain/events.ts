/** The events the appointments service publishes, built from the domain. */
import { pendingEvent, type PendingEvent } from '@hms/platform/domain';
import { EVENTS, toTimestamp } from '@hms/proto';
import type { Appointment, Department, Doctor, Patient, Reminder } from './types.js';

/** All events of one doctor's day share a key, so they stay in order in one partition. */
/** Who an appointment event is about: every appointment event carries these four. */
function parties(a: Appointment) {
  return { appointmentId: a.id, patientId: a.patientId, doctorId: a.doctorId, departmentId: a.departmentId };
}

export function doctorDayKey(a: Pick<Appointment, 'tenantId' | 'doctorId' | 'serviceDate'>): string {
  return `${a.tenantId}:${a.doctorId}:${a.serviceDate}`;
}

function about(a: Appointment) {
  return { key: doctorDayKey(a), tenantId: a.tenantId, subject: `appointment/${a.id}` };
}

const at = (d: Date | null) => (d ? toTimestamp(d) : null);

export function appointmentBooked(a: Appointment): PendingEvent {
  return pendingEvent(EVENTS.appointmentBooked, {
    ...about(a),
    data: {
      ...parties(a),
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
      ...parties(a),
      startsAt: toTimestamp(a.startsAt),
      serviceDate: a.serviceDate,
      checkedInAt: toTimestamp(checkedInAt),
      timeZone,
    },
  });
}

export function appointmentCancelled(a: Appointment, from: Appointment['status']): PendingEvent {
  return pendingEvent(EVENTS.appointmentCancelled, {
    ...about(a),
    data: {
      ...parties(a),
      startsAt: toTimestamp(a.startsAt),
      serviceDate: a.serviceDate,
      fromStatus: from,
      cancelledBy: a.cancelledBy ?? 'STAFF',
      reason: a.statusReason,
      cancelledAt: at(a.cancelledAt),
    },
  });
}

export function appointmentRescheduled(a: Appointment, previous: Appointment): PendingEvent {
  return pendingEvent(EVENTS.appointmentRescheduled, {
    ...about(a),
    data: {
      ...parties(a),
      previousStartsAt: toTimestamp(previous.startsAt),
      previousServiceDate: previous.serviceDate,
      startsAt: toTimestamp(a.startsAt),
      endsAt: toTimestamp(a.endsAt),
      serviceDate: a.serviceDate,
      status: a.status,
      reason: a.statusReason,
    },
  });
}

export function consultationStarted(a: Appointment): PendingEvent {
  return pendingEvent(EVENTS.appointmentConsultationStarted, {
    ...about(a),
    data: {
      ...parties(a),
      serviceDate: a.serviceDate,
      checkedInAt: at(a.checkedInAt),
      startedAt: at(a.consultationStartedAt),
    },
  });
}

export function appointmentCompleted(a: Appointment): PendingEvent {
  return pendingEvent(EVENTS.appointmentCompleted, {
    ...about(a),
    data: {
      ...parties(a),
      serviceDate: a.serviceDate,
      startedAt: at(a.consultationStartedAt),
      completedAt: at(a.completedAt),
    },
  });
}

export function appointmentNoShow(
  a: Appointment,
  from: Appointment['status'],
  markedAt: Date,
  automatic: boolean,
): PendingEvent {
  return pendingEvent(EVENTS.appointmentNoShow, {
    ...about(a),
    data: {
      ...parties(a),
      startsAt: toTimestamp(a.startsAt),
      serviceDate: a.serviceDate,
      fromStatus: from,
      automatic,
      reason: a.statusReason,
      markedAt: toTimestamp(markedAt),
    },
  });
}

export function reminderDue(
  a: Pick<Appointment, 'id' | 'tenantId' | 'patientId' | 'doctorId' | 'startsAt' | 'serviceDate'>,
  reminder: Reminder,
  timeZone: string,
): PendingEvent {
  return pendingEvent(EVENTS.appointmentReminderDue, {
    key: doctorDayKey(a),
    tenantId: a.tenantId,
    subject: `appointment/${a.id}`,
    data: {
      appointmentId: a.id,
      patientId: a.patientId,
      doctorId: a.doctorId,
      startsAt: toTimestamp(a.startsAt),
      serviceDate: a.serviceDate,
      offsetMinutes: reminder.offsetMinutes,
      dueAt: toTimestamp(reminder.dueAt),
      timeZone,
    },
  });
}

export function departmentUpdated(d: Department, change: 'created' | 'updated' | 'deactivated'): PendingEvent {
  return pendingEvent(EVENTS.departmentUpdated, {
    key: `${d.tenantId}:department:${d.id}`,
    tenantId: d.tenantId,
    subject: `department/${d.id}`,
    data: { departmentId: d.id, name: d.name, active: d.active, version: d.version, change },
  });
}

export function doctorUpdated(d: Doctor, change: 'created' | 'profile' | 'calendar' | 'deactivated'): PendingEvent {
  return pendingEvent(EVENTS.doctorUpdated, {
    key: `${d.tenantId}:doctor:${d.id}`,
    tenantId: d.tenantId,
    subject: `doctor/${d.id}`,
    data: {
      doctorId: d.id,
      departmentId: d.departmentId,
      fullName: d.fullName,
      specialization: d.specialization,
      active: d.active,
      consultationFeeMinor: d.consultationFeeMinor,
      hospitalFeeMinor: d.hospitalFeeMinor,
      currency: d.currency,
      timeZone: d.timeZone,
      version: d.version,
      change,
    },
  });
}

export function patientRegistered(p: Patient): PendingEvent {
  return pendingEvent(EVENTS.patientRegistered, {
    key: `${p.tenantId}:patient:${p.id}`,
    tenantId: p.tenantId,
    subject: `patient/${p.id}`,
    data: { patientId: p.id, mrn: p.mrn },
  });
}

export function patientUpdated(p: Patient, changedFields: string[]): PendingEvent {
  return pendingEvent(EVENTS.patientUpdated, {
    key: `${p.tenantId}:patient:${p.id}`,
    tenantId: p.tenantId,
    subject: `patient/${p.id}`,
    data: { patientId: p.id, mrn: p.mrn, active: p.active, changedFields, version: p.version },
  });
}
