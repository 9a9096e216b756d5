/** The events of the clinical record, built from the domain. */
import { pendingEvent, type PendingEvent } from '@hms/platform/domain';
import { EVENTS, toTimestamp } from '@hms/proto';
import type { Addendum, Consultation, Prescription, PrescriptionItem, Vitals } from './clinical-types.js';

/** A visit's clinical events share a key: they stay in order in one partition. */
const aboutVisit = (tenantId: string, appointmentId: string, subject: string) => ({
  key: `${tenantId}:appointment:${appointmentId}`,
  tenantId,
  subject,
});

const READINGS = [
  'temperatureC',
  'pulseBpm',
  'systolicMmhg',
  'diastolicMmhg',
  'respiratoryRatePerMin',
  'spo2Percent',
  'weightKg',
  'heightCm',
] as const;

export function vitalsRecorded(v: Vitals): PendingEvent {
  return pendingEvent(EVENTS.visitVitalsRecorded, {
    ...aboutVisit(v.tenantId, v.appointmentId, `appointment/${v.appointmentId}`),
    data: {
      vitalsId: v.id,
      appointmentId: v.appointmentId,
      patientId: v.patientId,
      takenAt: toTimestamp(v.takenAt),
      takenBy: v.takenBy,
      readings: READINGS.filter((r) => v[r] !== undefined),
    },
  });
}

export function consultationSigned(c: Consultation): PendingEvent {
  return pendingEvent(EVENTS.consultationSigned, {
    ...aboutVisit(c.tenantId, c.appointmentId, `consultation/${c.id}`),
    data: {
      consultationId: c.id,
      appointmentId: c.appointmentId,
      patientId: c.patientId,
      doctorId: c.doctorId,
      diagnosisCodes: c.diagnoses.map((d) => d.code),
      signedAt: toTimestamp(c.signedAt!),
      signedBy: c.signedBy ?? '',
    },
  });
}

export function consultationAmended(c: Consultation, a: Addendum): PendingEvent {
  return pendingEvent(EVENTS.consultationAmended, {
    ...aboutVisit(c.tenantId, c.appointmentId, `consultation/${c.id}`),
    data: {
      consultationId: c.id,
      addendumId: a.id,
      appointmentId: c.appointmentId,
      patientId: c.patientId,
      diagnosisCodes: a.diagnoses.map((d) => d.code),
      authorId: a.authorId,
      addedAt: toTimestamp(a.addedAt),
    },
  });
}

const eventItem = (i: PrescriptionItem) => ({
  medicineId: i.medicineId,
  medicineCode: i.medicineCode,
  genericName: i.genericName,
  billingCode: i.billingCode,
  quantity: i.quantity,
});

export function prescriptionIssued(p: Prescription): PendingEvent {
  return pendingEvent(EVENTS.prescriptionIssued, {
    ...aboutVisit(p.tenantId, p.appointmentId, `prescription/${p.id}`),
    data: {
      prescriptionId: p.id,
      appointmentId: p.appointmentId,
      patientId: p.patientId,
      doctorId: p.doctorId,
      items: p.items.map(eventItem),
      acknowledgedWarnings: p.warnings.map((w) => `${w.kind}:${w.medicineCode}`),
      issuedAt: toTimestamp(p.issuedAt),
    },
  });
}

export function prescriptionDispensed(p: Prescription): PendingEvent {
  return pendingEvent(EVENTS.prescriptionDispensed, {
    ...aboutVisit(p.tenantId, p.appointmentId, `prescription/${p.id}`),
    data: {
      prescriptionId: p.id,
      appointmentId: p.appointmentId,
      patientId: p.patientId,
      items: p.items.map(eventItem),
      dispensedBy: p.dispensedBy ?? '',
      dispensedAt: toTimestamp(p.dispensedAt!),
    },
  });
}
