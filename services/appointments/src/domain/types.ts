/** The appointments domain as plain data; repositories map rows to these. */

export type AppointmentStatus = 'BOOKED' | 'CHECKED_IN' | 'IN_CONSULTATION' | 'COMPLETED' | 'CANCELLED' | 'NO_SHOW';

export interface Doctor {
  id: string;
  tenantId: string;
  departmentId: string;
  fullName: string;
  consultationFeeMinor: number;
  hospitalFeeMinor: number;
  currency: string;
  timeZone: string;
  slotMinutes: number;
  dayStartMinute: number;
  dayEndMinute: number;
  workingDays: number[];
  active: boolean;
}

export interface Patient {
  id: string;
  tenantId: string;
  mrn: string;
  fullName: string;
}

export interface Appointment {
  id: string;
  tenantId: string;
  patientId: string;
  doctorId: string;
  departmentId: string;
  startsAt: Date;
  endsAt: Date;
  /** The doctor's local calendar day, YYYY-MM-DD. */
  serviceDate: string;
  status: AppointmentStatus;
  reason: string;
  consultationFeeMinor: number;
  hospitalFeeMinor: number;
  currency: string;
  idempotencyKey: string | null;
  traceId: string;
  createdAt: Date;
  checkedInAt: Date | null;
}
