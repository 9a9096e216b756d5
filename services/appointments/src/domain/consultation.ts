/**
 * The doctor's consultation of a visit: saved as drafts while the patient is
 * with the doctor (each save names the version it edited, so two tabs cannot
 * overwrite each other unseen), then signed. A signed consultation never
 * changes again (the database refuses it too); what the doctor adds later is
 * an addendum that references it. Diagnoses are ICD-10-CM codes from the
 * shipped list, one of them primary.
 */
import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  isCalendarDate,
  NotFoundError,
  type FieldViolation,
} from '@hms/platform/domain';
import { consultationAmended, consultationSigned } from './clinical-events.js';
import { CLINICAL_PERMISSIONS, requireClinical, type ClinicalActor } from './clinical-permissions.js';
import type { ClinicalTx } from './clinical-store.js';
import type { Addendum, Consultation, ConsultationNotes, Diagnosis } from './clinical-types.js';
import type { ClinicalDeps } from './vitals.js';

export const MAX_DIAGNOSES = 20;
const LIMITS: Record<keyof ConsultationNotes, number> = {
  chiefComplaint: 1_000,
  history: 20_000,
  examination: 20_000,
  notes: 20_000,
  followUpAdvice: 5_000,
  followUpDate: 10,
};
export const MAX_ADDENDUM = 20_000;

export interface DiagnosisInput {
  code: string;
  primary: boolean;
}

/** Codes as the list writes them: upper case, the dot after the third character. */
export function normaliseCode(code: string): string {
  const bare = code.trim().toUpperCase().replace('.', '');
  return bare.length > 3 ? `${bare.slice(0, 3)}.${bare.slice(3)}` : bare;
}

/** The violations of the notes' shape (lengths, the follow-up date). */
export function checkNotes(notes: ConsultationNotes, serviceDate?: string): FieldViolation[] {
  const problems: FieldViolation[] = [];
  for (const [field, max] of Object.entries(LIMITS) as [keyof ConsultationNotes, number][]) {
    const value = notes[field];
    if (value !== null && value.length > max) problems.push({ field, message: `must be at most ${max} characters` });
  }
  if (notes.followUpDate !== null) {
    if (!isCalendarDate(notes.followUpDate)) {
      problems.push({ field: 'followUpDate', message: 'must be a calendar date, YYYY-MM-DD' });
    } else if (serviceDate && notes.followUpDate <= serviceDate) {
      problems.push({ field: 'followUpDate', message: `must be after the visit (${serviceDate})` });
    }
  }
  return problems;
}

/**
 * The diagnoses as the record keeps them: codes normalised, each once, at most
 * one primary (the first when none is named), titles from the code list.
 * Throws naming each unknown or repeated code.
 */
export async function resolveDiagnoses(
  reads: Pick<ClinicalTx, 'diagnosisCodes'>,
  inputs: DiagnosisInput[],
  field = 'diagnoses',
): Promise<Diagnosis[]> {
  const problems: FieldViolation[] = [];
  if (inputs.length > MAX_DIAGNOSES) problems.push({ field, message: `at most ${MAX_DIAGNOSES} diagnoses` });
  const codes = inputs.map((d) => normaliseCode(d.code));
  codes.forEach((code, i) => {
    if (!/^[A-Z][0-9A-Z]{2}(\.[0-9A-Z]{1,4})?$/.test(code)) {
      problems.push({ field: `${field}[${i}].code`, message: 'must be an ICD-10-CM code, e.g. J45.9' });
    } else if (codes.indexOf(code) !== i) {
      problems.push({ field: `${field}[${i}].code`, message: `${code} is listed twice` });
    }
  });
  if (inputs.filter((d) => d.primary).length > 1) {
    problems.push({ field, message: 'at most one diagnosis is primary' });
  }
  if (problems.length > 0) throw new InvalidArgumentError('invalid diagnoses', problems);
  const known = new Map((await reads.diagnosisCodes(codes)).map((c) => [c.code, c.title]));
  codes.forEach((code, i) => {
    if (!known.has(code)) problems.push({ field: `${field}[${i}].code`, message: `${code} is not an ICD-10-CM code` });
  });
  if (problems.length > 0) throw new InvalidArgumentError('unknown diagnosis codes', problems);
  const primaryIndex = Math.max(
    0,
    inputs.findIndex((d) => d.primary),
  );
  const diagnoses = codes.map((code, i) => ({ code, title: known.get(code)!, primary: i === primaryIndex }));
  // The primary first: what summaries and events show first.
  return [...diagnoses.filter((d) => d.primary), ...diagnoses.filter((d) => !d.primary)];
}

/** A draft may be saved over only at the version the doctor edited, and never once signed. */
export function assertEditable(current: Consultation | undefined, expectedVersion: number): void {
  if (current?.status === 'SIGNED') {
    throw new ConflictError('the consultation is signed and cannot change; add an addendum', [
      { field: 'status', message: 'is signed' },
    ]);
  }
  const version = current?.version ?? 0;
  if (expectedVersion !== version) {
    throw new ConflictError(
      version === 0
        ? 'there is no draft yet: save with expectedVersion 0'
        : `the draft changed since version ${expectedVersion}: it is at version ${version}; reload it`,
      [{ field: 'expectedVersion', message: `is ${version}` }],
      { version },
    );
  }
}

/** What signing needs: a chief complaint and at least one diagnosis. */
export function assertSignable(c: Consultation): void {
  const problems: FieldViolation[] = [];
  if (!c.chiefComplaint.trim()) problems.push({ field: 'chiefComplaint', message: 'required to sign' });
  if (c.diagnoses.length === 0) problems.push({ field: 'diagnoses', message: 'at least one diagnosis to sign' });
  if (problems.length > 0)
    throw new FailedPreconditionError('the consultation is not complete enough to sign', problems);
}

export interface SaveConsultation {
  tenantId: string;
  appointmentId: string;
  notes: ConsultationNotes;
  diagnoses: DiagnosisInput[];
  expectedVersion: number;
  actor: ClinicalActor;
}

/** Creates or replaces the visit's draft while the patient is with the doctor. */
export async function saveConsultation(deps: ClinicalDeps, cmd: SaveConsultation): Promise<Consultation> {
  requireClinical(cmd.actor, CLINICAL_PERMISSIONS.writeConsultation);
  const shape = checkNotes(cmd.notes);
  if (shape.length > 0) throw new InvalidArgumentError('invalid consultation', shape);
  return deps.store.change(cmd.tenantId, async (tx) => {
    const visit = await tx.lockVisit(cmd.appointmentId);
    if (!visit) throw new NotFoundError(`appointment ${cmd.appointmentId} not found`);
    const current = await tx.lockConsultation(cmd.appointmentId);
    assertEditable(current, cmd.expectedVersion);
    if (visit.status !== 'IN_CONSULTATION') {
      throw new ConflictError(
        `the consultation is written while the patient is with the doctor; the appointment is ${visit.status.toLowerCase()}`,
        [{ field: 'status', message: `is ${visit.status.toLowerCase()}` }],
      );
    }
    const dated = checkNotes(cmd.notes, visit.serviceDate);
    if (dated.length > 0) throw new InvalidArgumentError('invalid consultation', dated);
    const diagnoses = await resolveDiagnoses(tx, cmd.diagnoses);
    const now = deps.now();
    const consultation: Consultation = {
      id: current?.id ?? deps.newId(),
      tenantId: cmd.tenantId,
      appointmentId: visit.id,
      patientId: visit.patientId,
      doctorId: visit.doctorId,
      status: 'DRAFT',
      ...cmd.notes,
      diagnoses,
      version: (current?.version ?? 0) + 1,
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
      signedAt: null,
      signedBy: null,
      addenda: [],
    };
    await tx.saveConsultation(consultation, []);
    return consultation;
  });
}

/** Signs the draft at the version the doctor read; signing again answers with the signed consultation. */
export async function signConsultation(
  deps: ClinicalDeps,
  cmd: { tenantId: string; appointmentId: string; expectedVersion: number; actor: ClinicalActor },
): Promise<Consultation> {
  requireClinical(cmd.actor, CLINICAL_PERMISSIONS.writeConsultation);
  return deps.store.change(cmd.tenantId, async (tx) => {
    const visit = await tx.lockVisit(cmd.appointmentId);
    if (!visit) throw new NotFoundError(`appointment ${cmd.appointmentId} not found`);
    const current = await tx.lockConsultation(cmd.appointmentId);
    if (!current) {
      throw new FailedPreconditionError('there is no consultation to sign: save a draft first', [
        { field: 'appointmentId', message: 'has no consultation' },
      ]);
    }
    if (current.status === 'SIGNED' && current.version === cmd.expectedVersion) return current;
    assertEditable(current, cmd.expectedVersion);
    if (visit.status !== 'IN_CONSULTATION' && visit.status !== 'COMPLETED') {
      throw new ConflictError(
        `a consultation is signed during or after the visit; it is ${visit.status.toLowerCase()}`,
        [{ field: 'status', message: `is ${visit.status.toLowerCase()}` }],
      );
    }
    assertSignable(current);
    const now = deps.now();
    const signed: Consultation = {
      ...current,
      status: 'SIGNED',
      signedAt: now,
      signedBy: cmd.actor.id,
      updatedAt: now,
    };
    await tx.saveConsultation(signed, [consultationSigned(signed)]);
    return signed;
  });
}

/** Adds to a signed consultation: a text, and diagnoses found later if any. */
export async function addAddendum(
  deps: ClinicalDeps,
  cmd: { tenantId: string; appointmentId: string; text: string; diagnoses: DiagnosisInput[]; actor: ClinicalActor },
): Promise<Consultation> {
  requireClinical(cmd.actor, CLINICAL_PERMISSIONS.writeConsultation);
  const text = cmd.text.trim();
  if (!text || text.length > MAX_ADDENDUM) {
    throw new InvalidArgumentError('invalid addendum', [
      { field: 'text', message: `required, at most ${MAX_ADDENDUM} characters` },
    ]);
  }
  return deps.store.change(cmd.tenantId, async (tx) => {
    const current = await tx.lockConsultation(cmd.appointmentId);
    if (!current) throw new NotFoundError(`appointment ${cmd.appointmentId} has no consultation`);
    if (current.status !== 'SIGNED') {
      throw new ConflictError('the consultation is a draft: change the draft, addenda are for signed ones', [
        { field: 'status', message: 'is draft' },
      ]);
    }
    const diagnoses =
      cmd.diagnoses.length > 0
        ? (await resolveDiagnoses(tx, cmd.diagnoses)).map((d) => ({ ...d, primary: false }))
        : [];
    const addendum: Addendum = {
      id: deps.newId(),
      consultationId: current.id,
      appointmentId: current.appointmentId,
      text,
      diagnoses,
      authorId: cmd.actor.id,
      addedAt: deps.now(),
    };
    await tx.insertAddendum(addendum, [consultationAmended(current, addendum)]);
    return { ...current, addenda: [...current.addenda, addendum] };
  });
}
