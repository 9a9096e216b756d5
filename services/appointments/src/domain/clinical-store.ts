/**
 * What the clinical record's use cases need from storage (src/db implements it
 * in SQL, src/testing in memory). Every read of a visit's part is one
 * statement that also answers whether the visit exists.
 */
import type { IdempotencyClaim, PendingEvent } from '@hms/platform/domain';
import type {
  Addendum,
  Allergy,
  ClinicalSettings,
  Consultation,
  DiagnosisCode,
  FormularyItem,
  Prescription,
  VisitSummary,
  Vitals,
} from './clinical-types.js';
import type { Appointment } from './types.js';

export interface ClinicalStore {
  change<T>(tenantId: string, fn: (tx: ClinicalTx) => Promise<T>): Promise<T>;
  /**
   * With `genericPlans`, the read's statements are planned generically (as the platform's
   * Database.read takes it): for reads whose statements name only the conditions given.
   */
  read<T>(tenantId: string, fn: (reads: ClinicalReads) => Promise<T>, options?: { genericPlans?: boolean }): Promise<T>;
}

/** A part of a visit with the patient it belongs to; undefined when there is no such visit. */
export interface VisitPart<T> {
  patientId: string;
  part: T;
}

/** Where a page of the patient's history continues: after this visit in the list's order (newest first). */
export interface HistoryCursor {
  startsAt: Date;
  id: string;
}

export type DiagnosisSearch = { by: 'code'; prefix: string } | { by: 'words'; words: string[] };

export interface ActiveMedicine {
  prescriptionId: string;
  medicineCode: string;
  genericName: string;
}

export interface ClinicalReads {
  vitals(appointmentId: string): Promise<VisitPart<Vitals[]> | undefined>;
  consultation(appointmentId: string): Promise<VisitPart<Consultation | null> | undefined>;
  prescriptions(appointmentId: string): Promise<VisitPart<Prescription[]> | undefined>;
  prescription(id: string): Promise<Prescription | undefined>;
  /** The patient's visits that reached the doctor, newest first; undefined when there is no such patient. */
  history(patientId: string, limit: number, after?: HistoryCursor): Promise<VisitSummary[] | undefined>;
  /** The known ones of these codes. */
  diagnosisCodes(codes: string[]): Promise<DiagnosisCode[]>;
  searchDiagnosisCodes(search: DiagnosisSearch, limit: number): Promise<DiagnosisCode[]>;
  /** By code, after `afterCode`; `query` matches a code prefix or the start of a word of the generic name. */
  formulary(query: string, limit: number, afterCode?: string): Promise<FormularyItem[]>;
  formularyItems(codes: string[]): Promise<FormularyItem[]>;
  /** Undefined when there is no such patient. */
  allergies(patientId: string): Promise<Allergy[] | undefined>;
  /** The medicines of the patient's prescriptions whose course has not ended at `at`. */
  activeMedicines(patientId: string, at: Date): Promise<ActiveMedicine[]>;
  settings(): Promise<ClinicalSettings>;
}

export interface ClinicalTx extends ClinicalReads {
  /** The visit, share-locked: its status cannot change until this transaction ends. */
  lockVisit(appointmentId: string): Promise<Appointment | undefined>;
  /** The visit's consultation with its addenda, locked. */
  lockConsultation(appointmentId: string): Promise<Consultation | undefined>;
  insertVitals(vitals: Vitals, events: PendingEvent[]): Promise<void>;
  /** Inserts (version 1) or updates the consultation's row. */
  saveConsultation(consultation: Consultation, events: PendingEvent[]): Promise<void>;
  insertAddendum(addendum: Addendum, events: PendingEvent[]): Promise<void>;
  insertPrescription(prescription: Prescription, events: PendingEvent[]): Promise<void>;
  lockPrescription(id: string): Promise<Prescription | undefined>;
  savePrescription(prescription: Prescription, events: PendingEvent[]): Promise<void>;
  /** Inserts the item or replaces the tenant's item of that code; the stored item. */
  putFormularyItem(item: FormularyItem): Promise<FormularyItem>;
  insertAllergy(allergy: Allergy): Promise<void>;
  saveSettings(settings: ClinicalSettings): Promise<void>;
  replayOf(claim: IdempotencyClaim): Promise<unknown>;
  remember(claim: IdempotencyClaim, result: unknown): Promise<void>;
  emit(events: PendingEvent[]): void;
}
