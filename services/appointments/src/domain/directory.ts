/**
 * The doctors and patients of a tenant, as other services need them: the
 * queue desk's operations read a doctor's clinic time zone and whether they
 * practise, and a walk-in without a record is registered on the spot.
 */
import { InvalidArgumentError, NotFoundError, isCalendarDate, type IdempotencyClaim } from '@hms/platform/domain';
import type { Doctor } from './types.js';

export interface PatientRecord {
  id: string;
  mrn: string;
  fullName: string;
  phone: string | undefined;
  dateOfBirth: string | undefined;
}

/** What the directory's use cases need from storage; src/db implements it in SQL. */
export interface Directory {
  findDoctor(tenantId: string, id: string): Promise<Doctor | undefined>;
  findPatient(tenantId: string, id: string): Promise<PatientRecord | undefined>;
  /** Saves a new patient; with a claim, a retry of the same request answers the first patient. */
  registerPatient(
    tenantId: string,
    patient: PatientRecord,
    claim: IdempotencyClaim | undefined,
  ): Promise<{ patient: PatientRecord; replayed: boolean }>;
}

export async function getDoctor(directory: Directory, tenantId: string, id: string): Promise<Doctor> {
  const doctor = await directory.findDoctor(tenantId, id);
  if (!doctor) throw new NotFoundError(`doctor ${id} not found`);
  return doctor;
}

export async function getPatient(directory: Directory, tenantId: string, id: string): Promise<PatientRecord> {
  const patient = await directory.findPatient(tenantId, id);
  if (!patient) throw new NotFoundError(`patient ${id} not found`);
  return patient;
}

export interface NewPatient {
  fullName: string;
  phone: string;
  dateOfBirth: string;
}

/** A record number for a patient registered at the desk: unique, as the id it is made from. */
export function walkInMrn(id: string): string {
  return `W-${id.replaceAll('-', '').slice(-12).toUpperCase()}`;
}

export async function registerPatient(
  deps: { directory: Directory; newId: () => string; today: () => string },
  cmd: { tenantId: string; patient: NewPatient; idempotency: IdempotencyClaim | undefined },
): Promise<{ patient: PatientRecord; replayed: boolean }> {
  const fullName = cmd.patient.fullName.trim();
  const phone = cmd.patient.phone.trim();
  const dateOfBirth = cmd.patient.dateOfBirth;
  const violations = [];
  if (fullName.length < 1 || fullName.length > 200) {
    violations.push({ field: 'fullName', message: 'must be 1 to 200 characters' });
  }
  if (phone && !/^\+?[0-9 ()-]{5,24}$/.test(phone)) {
    violations.push({ field: 'phone', message: 'must be a phone number (digits, spaces, + ( ) -)' });
  }
  if (dateOfBirth && (!isCalendarDate(dateOfBirth) || dateOfBirth > deps.today())) {
    violations.push({ field: 'dateOfBirth', message: 'must be a past calendar date, YYYY-MM-DD' });
  }
  if (violations.length > 0) throw new InvalidArgumentError('the patient is not valid', violations);
  const id = deps.newId();
  return deps.directory.registerPatient(
    cmd.tenantId,
    { id, mrn: walkInMrn(id), fullName, phone: phone || undefined, dateOfBirth: dateOfBirth || undefined },
    cmd.idempotency,
  );
}
