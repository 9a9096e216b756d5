/**
 * Departments and doctors: created, changed, deactivated, read. Reads go
 * through the reference-data cache; each change is one transaction with its
 * event (department.updated, doctor.updated), bumps the row's version, and
 * tells the cache once committed, so every replica answers the new value
 * within moments.
 */
import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  isValidTimeZone,
  NotFoundError,
  type FieldViolation,
} from '@hms/platform/domain';
import type { SchedulingDeps } from './book-appointment.js';
import { assertValid, coversWorkingTime, scheduleViolations } from './calendar.js';
import type { ScheduleInput } from './calendar-changes.js';
import { departmentUpdated, doctorUpdated } from './events.js';
import { assertWithinQuota } from './quotas.js';
import type { SchedulingTx } from './scheduling-store.js';
import type { ConsultationMode, Department, Doctor, WeeklySchedule } from './types.js';

type Deps = Pick<SchedulingDeps, 'store' | 'reference' | 'now' | 'newId'>;

// --- departments -------------------------------------------------------------------------

function departmentViolations(d: { name?: string | undefined; description?: string | undefined }): FieldViolation[] {
  const violations: FieldViolation[] = [];
  if (d.name !== undefined && (d.name.trim().length < 1 || d.name.length > 120)) {
    violations.push({ field: 'name', message: 'must be 1 to 120 characters' });
  }
  if (d.description !== undefined && d.description.length > 1000) {
    violations.push({ field: 'description', message: 'must be at most 1000 characters' });
  }
  return violations;
}

export async function createDepartment(
  deps: Deps,
  command: { tenantId: string; name: string; description: string },
): Promise<Department> {
  assertValid(departmentViolations(command), 'invalid department');
  const now = deps.now().toISOString();
  const department: Department = {
    id: deps.newId(),
    tenantId: command.tenantId,
    name: command.name.trim(),
    description: command.description,
    active: true,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  await deps.store.change(command.tenantId, (tx) =>
    tx.insertDepartment(department, [departmentUpdated(department, 'created')]),
  );
  return department;
}

async function changeDepartment(
  deps: Deps,
  command: { tenantId: string; departmentId: string },
  decide: (department: Department, tx: SchedulingTx) => Promise<Department | undefined>,
  change: 'updated' | 'deactivated',
): Promise<Department> {
  const after = await deps.store.change(command.tenantId, async (tx) => {
    const department = await tx.lockDepartment(command.departmentId);
    if (!department) throw new NotFoundError(`department ${command.departmentId} not found`);
    const next = await decide(department, tx);
    if (!next) return department;
    const saved = { ...next, version: department.version + 1, updatedAt: deps.now().toISOString() };
    await tx.saveDepartment(saved, [departmentUpdated(saved, change)]);
    return saved;
  });
  await deps.reference.changed('department', command.tenantId, after.id, after.version);
  return after;
}

export async function updateDepartment(
  deps: Deps,
  command: { tenantId: string; departmentId: string; name?: string | undefined; description?: string | undefined },
): Promise<Department> {
  assertValid(departmentViolations(command), 'invalid department');
  return changeDepartment(
    deps,
    command,
    async (d) => {
      const next = { ...d, name: command.name?.trim() ?? d.name, description: command.description ?? d.description };
      return next.name === d.name && next.description === d.description ? undefined : next;
    },
    'updated',
  );
}

/** Deactivating a department that still has active doctors is refused: move or deactivate them first. */
export async function deactivateDepartment(
  deps: Deps,
  command: { tenantId: string; departmentId: string },
): Promise<Department> {
  return changeDepartment(
    deps,
    command,
    async (d, tx) => {
      if (!d.active) return undefined;
      const doctors = await tx.activeDoctorsIn(d.id);
      if (doctors > 0) {
        throw new FailedPreconditionError(
          `the department has ${doctors} active doctor(s): move or deactivate them first`,
          [{ field: 'id', message: 'department has active doctors' }],
        );
      }
      return { ...d, active: false };
    },
    'deactivated',
  );
}

export async function getDepartment(deps: Pick<Deps, 'reference'>, query: { tenantId: string; departmentId: string }) {
  const department = await deps.reference.department(query.tenantId, query.departmentId);
  if (!department) throw new NotFoundError(`department ${query.departmentId} not found`);
  return department;
}

export async function listDepartments(
  deps: Pick<Deps, 'store'>,
  query: { tenantId: string; includeInactive: boolean; limit: number; afterId?: string | undefined },
): Promise<{ departments: Department[]; more: boolean }> {
  const page = await deps.store.read(query.tenantId, (r) =>
    r.departments(query.includeInactive, query.limit + 1, query.afterId),
  );
  return { departments: page.slice(0, query.limit), more: page.length > query.limit };
}

// --- doctors -----------------------------------------------------------------------------

export interface DoctorProfile {
  departmentId: string;
  fullName: string;
  specialization: string;
  qualifications: string[];
  languages: string[];
  consultationModes: ConsultationMode[];
  yearsOfExperience: number;
  consultationFeeMinor: number;
  hospitalFeeMinor: number;
  currency: string;
  timeZone: string;
}

/** The violations of the profile fields present in `p`. */
export function profileViolations(p: Partial<DoctorProfile>): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const v = (field: string, message: string) => violations.push({ field, message });
  if (p.fullName !== undefined && (p.fullName.trim().length < 1 || p.fullName.length > 200)) {
    v('fullName', 'must be 1 to 200 characters');
  }
  if (p.specialization !== undefined && p.specialization.length > 120)
    v('specialization', 'must be at most 120 characters');
  if (p.qualifications !== undefined) {
    if (p.qualifications.length > 20) v('qualifications', 'at most 20');
    p.qualifications.forEach((q, i) => {
      if (q.trim().length < 1 || q.length > 120) v(`qualifications.${i}`, 'must be 1 to 120 characters');
    });
  }
  if (p.languages !== undefined) {
    if (p.languages.length > 20) v('languages', 'at most 20');
    p.languages.forEach((l, i) => {
      if (!/^[a-z]{2}$/.test(l)) v(`languages.${i}`, 'must be an ISO 639-1 code in lower case, e.g. en');
    });
  }
  if (p.consultationModes !== undefined && p.consultationModes.length === 0) {
    v('consultationModes', 'must have at least one mode');
  }
  if (
    p.yearsOfExperience !== undefined &&
    (!Number.isInteger(p.yearsOfExperience) || p.yearsOfExperience < 0 || p.yearsOfExperience > 80)
  ) {
    v('yearsOfExperience', 'must be a whole number from 0 to 80');
  }
  for (const field of ['consultationFeeMinor', 'hospitalFeeMinor'] as const) {
    const fee = p[field];
    if (fee !== undefined && (!Number.isSafeInteger(fee) || fee < 0))
      v(field, 'must be a whole number of minor units, 0 or more');
  }
  if (p.currency !== undefined && !/^[A-Z]{3}$/.test(p.currency)) v('currency', 'must be an ISO 4217 code, e.g. INR');
  if (p.timeZone !== undefined && !isValidTimeZone(p.timeZone))
    v('timeZone', 'must be an IANA time zone, e.g. Asia/Kolkata');
  return violations;
}

async function assertDepartmentOpen(deps: Deps, tenantId: string, departmentId: string): Promise<void> {
  const department = await deps.reference.department(tenantId, departmentId);
  if (!department)
    throw new FailedPreconditionError('unknown department', [{ field: 'departmentId', message: 'no such department' }]);
  if (!department.active) {
    throw new FailedPreconditionError('the department is deactivated', [
      { field: 'departmentId', message: 'department is inactive' },
    ]);
  }
}

export async function createDoctor(
  deps: Deps,
  command: {
    tenantId: string;
    profile: DoctorProfile;
    schedule?: ScheduleInput | undefined;
    /** The plan's doctors quota; undefined: no limit. */
    quota?: number | undefined;
  },
): Promise<Doctor> {
  const violations = profileViolations(command.profile);
  if (command.schedule) {
    violations.push(...scheduleViolations(command.schedule).map((x) => ({ ...x, field: `schedule.${x.field}` })));
  }
  if (violations.length > 0) throw new InvalidArgumentError('invalid doctor', violations);
  await assertDepartmentOpen(deps, command.tenantId, command.profile.departmentId);
  const now = deps.now().toISOString();
  const doctor: Doctor = {
    id: deps.newId(),
    tenantId: command.tenantId,
    ...command.profile,
    fullName: command.profile.fullName.trim(),
    active: true,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const schedules: WeeklySchedule[] = command.schedule
    ? [{ id: deps.newId(), doctorId: doctor.id, ...command.schedule, createdAt: now, updatedAt: now }]
    : [];
  await deps.store.change(command.tenantId, async (tx) => {
    await assertWithinQuota(tx, 'doctors', command.quota, deps.now());
    await tx.insertDoctor(doctor, schedules, [doctorUpdated(doctor, 'created')]);
  });
  return doctor;
}

async function changeDoctor(
  deps: Deps,
  command: { tenantId: string; doctorId: string },
  decide: (
    doctor: Doctor,
    tx: SchedulingTx,
    record: NonNullable<Awaited<ReturnType<SchedulingTx['lockDoctor']>>>,
  ) => Promise<Doctor | undefined>,
  change: 'profile' | 'deactivated',
): Promise<Doctor> {
  const after = await deps.store.change(command.tenantId, async (tx) => {
    const record = await tx.lockDoctor(command.doctorId);
    if (!record) throw new NotFoundError(`doctor ${command.doctorId} not found`);
    const next = await decide(record.doctor, tx, record);
    if (!next) return record.doctor;
    const saved = { ...next, version: record.doctor.version + 1, updatedAt: deps.now().toISOString() };
    await tx.saveDoctor(saved, [doctorUpdated(saved, change)]);
    return saved;
  });
  await deps.reference.changed('doctor', command.tenantId, after.id, after.version);
  return after;
}

export async function updateDoctor(
  deps: Deps,
  command: { tenantId: string; doctorId: string; changes: Partial<DoctorProfile> },
): Promise<Doctor> {
  assertValid(profileViolations(command.changes), 'invalid doctor');
  if (command.changes.departmentId) await assertDepartmentOpen(deps, command.tenantId, command.changes.departmentId);
  return changeDoctor(
    deps,
    command,
    async (doctor, tx, record) => {
      const next: Doctor = { ...doctor, ...definedOnly(command.changes) };
      next.fullName = next.fullName.trim();
      if (JSON.stringify(next) === JSON.stringify(doctor)) return undefined;
      if (next.timeZone !== doctor.timeZone) {
        // The same local hours in another zone are other instants: nothing booked may fall outside them.
        const open = await tx.openAppointments(doctor.id, deps.now());
        const stranded = open.filter((a) => !coversWorkingTime(next, record.calendar, a.startsAt, a.endsAt));
        if (stranded.length > 0) {
          throw new ConflictError(
            `the new time zone would strand ${stranded.length} booked appointment(s): cancel or move them first`,
            [{ field: 'timeZone', message: 'strands booked appointments' }],
            { affectedAppointments: stranded.map((a) => ({ id: a.id, startsAt: a.startsAt.toISOString() })) },
          );
        }
      }
      return next;
    },
    'profile',
  );
}

/** Deactivating a doctor with booked appointments to come is refused with the list: cancel or move them first. */
export async function deactivateDoctor(deps: Deps, command: { tenantId: string; doctorId: string }): Promise<Doctor> {
  return changeDoctor(
    deps,
    command,
    async (doctor, tx) => {
      if (!doctor.active) return undefined;
      const open = await tx.openAppointments(doctor.id, deps.now());
      if (open.length > 0) {
        throw new ConflictError(
          `the doctor has ${open.length} booked appointment(s) to come: cancel or move them first`,
          [{ field: 'id', message: 'doctor has booked appointments' }],
          {
            affectedAppointments: open.map((a) => ({
              id: a.id,
              patientId: a.patientId,
              startsAt: a.startsAt.toISOString(),
              status: a.status.toLowerCase(),
            })),
          },
        );
      }
      return { ...doctor, active: false };
    },
    'deactivated',
  );
}

export async function getDoctor(
  deps: Pick<Deps, 'reference'>,
  query: { tenantId: string; doctorId: string },
): Promise<Doctor> {
  const record = await deps.reference.doctor(query.tenantId, query.doctorId);
  if (!record) throw new NotFoundError(`doctor ${query.doctorId} not found`);
  return record.doctor;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
