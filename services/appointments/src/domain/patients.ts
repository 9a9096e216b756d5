/**
 * Patients: registration (a medical record number from the tenant's sequence
 * and format, the phone as E.164, a guard against registering someone twice),
 * changes, soft deactivation (hidden from search and booking, kept for
 * history), and search by name, phone or MRN.
 */
import {
  AlreadyExistsError,
  ConflictError,
  InvalidArgumentError,
  isCalendarDate,
  NotFoundError,
  normalizePhoneNumber,
  type FieldViolation,
  type IdempotencyClaim,
} from '@hms/platform/domain';
import type { SchedulingDeps } from './book-appointment.js';
import { patientRegistered, patientUpdated } from './events.js';
import { formatMrn } from './mrn.js';
import { assertWithinQuota } from './quotas.js';
import { classifyQuery, nameTokens, normalizeName } from './patient-names.js';
import type { MatchCursor, PatientMatch, PatientSearch } from './scheduling-store.js';
import type { Patient } from './types.js';

type Deps = Pick<SchedulingDeps, 'store' | 'reference' | 'now' | 'newId'>;

const MRN_ATTEMPTS = 20;

export interface PatientDetails {
  fullName: string;
  /** As typed; stored as E.164. Empty: unknown. */
  phone: string;
  /** YYYY-MM-DD; empty: unknown. */
  dateOfBirth: string;
}

/** The details checked and normalised, or the violations of each bad field. */
function normalizeDetails(
  details: Partial<PatientDetails>,
  phoneRegion: string,
  today: string,
): { fullName?: string; phone?: string | null; dateOfBirth?: string | null } {
  const violations: FieldViolation[] = [];
  const out: { fullName?: string; phone?: string | null; dateOfBirth?: string | null } = {};
  if (details.fullName !== undefined) {
    const name = details.fullName.trim().replace(/\s+/g, ' ');
    if (name.length < 1 || name.length > 200 || nameTokens(name).length === 0) {
      violations.push({ field: 'fullName', message: 'must be 1 to 200 characters with at least one letter or digit' });
    }
    out.fullName = name;
  }
  if (details.phone !== undefined) {
    if (details.phone.trim() === '') out.phone = null;
    else {
      const e164 = normalizePhoneNumber(details.phone, phoneRegion);
      if (!e164)
        violations.push({ field: 'phone', message: `is not a valid phone number (read in region ${phoneRegion})` });
      out.phone = e164 ?? null;
    }
  }
  if (details.dateOfBirth !== undefined) {
    if (details.dateOfBirth === '') out.dateOfBirth = null;
    else if (!isCalendarDate(details.dateOfBirth)) {
      violations.push({ field: 'dateOfBirth', message: 'must be a calendar date, YYYY-MM-DD' });
    } else if (details.dateOfBirth > today || details.dateOfBirth < '1880-01-01') {
      violations.push({ field: 'dateOfBirth', message: 'must be a real birth date, not in the future' });
    } else out.dateOfBirth = details.dateOfBirth;
  }
  if (violations.length > 0) throw new InvalidArgumentError('invalid patient details', violations);
  return out;
}

export async function registerPatient(
  deps: Deps,
  command: {
    tenantId: string;
    details: PatientDetails;
    confirmNew: boolean;
    idempotency?: IdempotencyClaim | undefined;
    /** The plan's patients quota; undefined: no limit. */
    quota?: number | undefined;
  },
): Promise<{ patient: Patient; replayed: boolean }> {
  const settings = await deps.reference.settings(command.tenantId);
  const now = deps.now();
  const details = normalizeDetails(command.details, settings.phoneRegion, now.toISOString().slice(0, 10));
  const fullName = details.fullName!;
  return deps.store.change(command.tenantId, async (tx) => {
    if (command.idempotency) {
      const earlier = await tx.replayOf(command.idempotency);
      if (earlier !== undefined) return { patient: patientFromJson(earlier), replayed: true };
    }
    await assertWithinQuota(tx, 'patients', command.quota, now);
    const phone = details.phone ?? null;
    const dateOfBirth = details.dateOfBirth ?? null;
    if (phone && !command.confirmNew) {
      const likely = (await tx.likelyDuplicates(phone, normalizeName(fullName))).filter(
        (p) => p.dateOfBirth === null || dateOfBirth === null || p.dateOfBirth === dateOfBirth,
      );
      if (likely.length > 0) {
        throw new AlreadyExistsError(
          'this looks like a patient registered already; register anyway with confirmNew',
          [
            {
              field: 'confirmNew',
              message: `${likely.length} likely match(es) with the same phone and a similar name`,
            },
          ],
          {
            likelyMatches: likely.map((p) => ({
              id: p.id,
              mrn: p.mrn,
              fullName: p.fullName,
              phone: p.phone,
              dateOfBirth: p.dateOfBirth,
            })),
          },
        );
      }
    }
    const id = deps.newId();
    // An MRN a tenant made by hand (or under an older format) may be taken: the next number is not.
    for (let attempt = 1; attempt <= MRN_ATTEMPTS; attempt += 1) {
      const patient: Patient = {
        id,
        tenantId: command.tenantId,
        mrn: formatMrn(settings.mrnFormat, await tx.nextMrnSequence(), now).toUpperCase(),
        fullName,
        phone,
        dateOfBirth,
        active: true,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      if (await tx.insertPatient(patient, nameTokens(fullName), [patientRegistered(patient)])) {
        if (command.idempotency) await tx.remember(command.idempotency, patient);
        return { patient, replayed: false };
      }
    }
    throw new ConflictError(`no free medical record number after ${MRN_ATTEMPTS} tries: check the MRN format`);
  });
}

export async function updatePatient(
  deps: Deps,
  command: { tenantId: string; patientId: string; changes: Partial<PatientDetails> },
): Promise<Patient> {
  const settings = await deps.reference.settings(command.tenantId);
  const now = deps.now();
  const changes = normalizeDetails(command.changes, settings.phoneRegion, now.toISOString().slice(0, 10));
  return deps.store.change(command.tenantId, async (tx) => {
    const patient = await tx.lockPatient(command.patientId);
    if (!patient) throw new NotFoundError(`patient ${command.patientId} not found`);
    const next: Patient = { ...patient, ...changes };
    const changed = (['fullName', 'phone', 'dateOfBirth'] as const).filter((f) => next[f] !== patient[f]);
    if (changed.length === 0) return patient;
    const saved = { ...next, version: patient.version + 1, updatedAt: now };
    await tx.savePatient(saved, nameTokens(saved.fullName), [patientUpdated(saved, changed)]);
    return saved;
  });
}

export async function deactivatePatient(
  deps: Deps,
  command: { tenantId: string; patientId: string },
): Promise<Patient> {
  return deps.store.change(command.tenantId, async (tx) => {
    const patient = await tx.lockPatient(command.patientId);
    if (!patient) throw new NotFoundError(`patient ${command.patientId} not found`);
    if (!patient.active) return patient;
    const saved = { ...patient, active: false, version: patient.version + 1, updatedAt: deps.now() };
    await tx.savePatient(saved, nameTokens(saved.fullName), [patientUpdated(saved, ['active'])]);
    return saved;
  });
}

export async function getPatient(deps: Pick<Deps, 'store'>, query: { tenantId: string; patientId: string }) {
  const patient = await deps.store.read(query.tenantId, (r) => r.patient(query.patientId));
  if (!patient) throw new NotFoundError(`patient ${query.patientId} not found`);
  return patient;
}

/**
 * One query: an MRN (exactly), a phone number (whole, or 4+ last digits) or a
 * name (up to four words, each forgiving typos, in any order). Active patients
 * only, best first.
 */
export async function searchPatients(
  deps: Pick<Deps, 'store' | 'reference'>,
  query: { tenantId: string; q: string; limit: number; after?: MatchCursor | undefined },
): Promise<{ matches: PatientMatch[]; more: boolean }> {
  const q = query.q.trim();
  if (q.length < 2 || q.length > 100) {
    throw new InvalidArgumentError('invalid search', [{ field: 'q', message: 'must be 2 to 100 characters' }]);
  }
  const settings = await deps.reference.settings(query.tenantId);
  const kind = classifyQuery(q, (raw) => normalizePhoneNumber(raw, settings.phoneRegion));
  const search: PatientSearch = {
    mrn: q.toUpperCase(),
    ...(kind.kind === 'phone' ? { phone: { digits: kind.digits, e164: kind.e164 } } : {}),
    ...(kind.kind === 'name' && kind.words.length > 0 ? { name: { text: kind.text, words: kind.words } } : {}),
  };
  const page = await deps.store.read(query.tenantId, (r) => r.searchPatients(search, query.limit + 1, query.after), {
    plannedForValues: true,
  });
  return { matches: page.slice(0, query.limit), more: page.length > query.limit };
}

function patientFromJson(value: unknown): Patient {
  const p = value as Record<string, unknown> & Patient;
  return {
    ...p,
    createdAt: new Date(p.createdAt as unknown as string),
    updatedAt: new Date(p.updatedAt as unknown as string),
  };
}
