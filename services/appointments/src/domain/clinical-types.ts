/**
 * The clinical record of a visit as plain data: vitals, the consultation with
 * its diagnoses and addenda, the formulary, allergies and prescriptions.
 * Repositories map rows to these; instants are Dates, days YYYY-MM-DD.
 */
import type { Appointment } from './types.js';

/** The readings of one set, each optional; units are in the names. */
export interface Readings {
  temperatureC?: number | undefined;
  pulseBpm?: number | undefined;
  systolicMmhg?: number | undefined;
  diastolicMmhg?: number | undefined;
  respiratoryRatePerMin?: number | undefined;
  spo2Percent?: number | undefined;
  weightKg?: number | undefined;
  heightCm?: number | undefined;
}

export interface Vitals extends Readings {
  id: string;
  tenantId: string;
  appointmentId: string;
  patientId: string;
  takenAt: Date;
  takenBy: string;
  /** kg/m², one decimal, when the set has weight and height. */
  bmi?: number | undefined;
}

export interface Diagnosis {
  code: string;
  title: string;
  primary: boolean;
}

export type ConsultationStatus = 'DRAFT' | 'SIGNED';

export interface ConsultationNotes {
  chiefComplaint: string;
  history: string;
  examination: string;
  notes: string;
  followUpAdvice: string;
  /** YYYY-MM-DD, or null for none. */
  followUpDate: string | null;
}

export interface Addendum {
  id: string;
  consultationId: string;
  appointmentId: string;
  text: string;
  diagnoses: Diagnosis[];
  authorId: string;
  addedAt: Date;
}

export interface Consultation extends ConsultationNotes {
  id: string;
  tenantId: string;
  appointmentId: string;
  patientId: string;
  doctorId: string;
  status: ConsultationStatus;
  diagnoses: Diagnosis[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
  signedAt: Date | null;
  signedBy: string | null;
  /** Oldest first. */
  addenda: Addendum[];
}

export interface FormularyItem {
  id: string;
  tenantId: string;
  code: string;
  genericName: string;
  form: string;
  strength: string;
  /** The billing catalogue's code (kind pharmacy); '' when the hospital does not sell it. */
  billingCode: string;
  active: boolean;
}

export const SEVERITIES = ['mild', 'moderate', 'severe'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Allergy {
  id: string;
  tenantId: string;
  patientId: string;
  substance: string;
  reaction: string;
  severity: Severity;
  recordedBy: string;
  recordedAt: Date;
}

export interface PrescriptionItem {
  medicineId: string;
  medicineCode: string;
  genericName: string;
  form: string;
  strength: string;
  billingCode: string;
  dose: string;
  route: string;
  frequency: string;
  durationDays: number;
  quantity: number;
  instructions: string;
}

export interface PrescriptionWarning {
  kind: 'allergy' | 'duplicate';
  medicineCode: string;
  message: string;
}

export type PrescriptionStatus = 'ISSUED' | 'DISPENSED';

export interface Prescription {
  id: string;
  tenantId: string;
  appointmentId: string;
  patientId: string;
  doctorId: string;
  status: PrescriptionStatus;
  items: PrescriptionItem[];
  warnings: PrescriptionWarning[];
  activeUntil: Date;
  issuedAt: Date;
  issuedBy: string;
  dispensedAt: Date | null;
  dispensedBy: string | null;
}

/** A past visit as the patient's history lists it. */
export interface VisitSummary {
  appointment: Appointment;
  consultationStatus: ConsultationStatus | null;
  diagnoses: Diagnosis[];
  prescriptions: { id: string; status: PrescriptionStatus; medicines: string[] }[];
}

export interface ClinicalSettings {
  pharmacyEnabled: boolean;
}

export interface DiagnosisCode {
  code: string;
  title: string;
}

/** Who acts on the clinical record: their id and the roles the gateway vouched for. */
export interface Clinician {
  id: string;
  roles: readonly string[];
}
