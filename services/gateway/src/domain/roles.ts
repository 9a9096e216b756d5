/**
 * Roles: named sets of permissions. The built-in ones below exist in every
 * tenant and cannot be changed; a tenant may define its own from the same
 * catalogue (`/admin/roles`). A user's permissions are the union of their
 * roles'. PLATFORM_ADMIN is the operators' role, granted only in the platform
 * tenant: it manages tenants and nothing inside them.
 */
import { isPermission, PERMISSION_NAMES, type Permission } from '@hms/proto';

const tenantPermissions = PERMISSION_NAMES.filter((p) => !p.startsWith('platform.'));
/** Patients' clinical records: for those who treat them, not for who runs the hospital. */
const CLINICAL_RECORD: readonly Permission[] = [
  'clinical.read',
  'clinical.vitals.record',
  'clinical.consultation.write',
  'clinical.prescriptions.write',
  'clinical.prescriptions.read',
  'clinical.prescriptions.dispense',
  'clinical.allergies.record',
];

export const BUILTIN_ROLES = {
  ADMIN: tenantPermissions.filter((p) => !CLINICAL_RECORD.includes(p)),
  RECEPTIONIST: [
    'patients.read',
    'patients.write',
    'doctors.read',
    'appointments.read',
    'appointments.book',
    'appointments.check_in',
    'appointments.cancel',
    'appointments.attend',
    'slots.hold',
    'dashboard.read',
    'queues.read',
    'queues.manage',
    'bills.read',
    'payments.record',
  ],
  DOCTOR: [
    'patients.read',
    'doctors.read',
    'appointments.read',
    'appointments.attend',
    'dashboard.read',
    'queues.read',
    'queues.manage',
    'clinical.read',
    'clinical.vitals.record',
    'clinical.consultation.write',
    'clinical.prescriptions.write',
    'clinical.prescriptions.read',
    'clinical.allergies.record',
    'clinical.formulary.read',
  ],
  NURSE: [
    'patients.read',
    'doctors.read',
    'appointments.read',
    'appointments.check_in',
    'appointments.attend',
    'dashboard.read',
    'queues.read',
    'queues.manage',
    'clinical.read',
    'clinical.vitals.record',
    'clinical.prescriptions.read',
    'clinical.allergies.record',
    'clinical.formulary.read',
  ],
  PHARMACIST: [
    'patients.read',
    'appointments.read',
    'clinical.prescriptions.read',
    'clinical.prescriptions.dispense',
    'clinical.formulary.read',
    'clinical.formulary.manage',
  ],
  BILLING_CLERK: [
    'patients.read',
    'appointments.read',
    'bills.read',
    'bills.write',
    'payments.record',
    'refunds.request',
    'billing.reports.read',
  ],
  BILLING_SUPERVISOR: [
    'patients.read',
    'appointments.read',
    'bills.read',
    'bills.write',
    'bills.discount',
    'credit_notes.issue',
    'payments.record',
    'refunds.request',
    'refunds.approve',
    'billing.configure',
    'billing.reports.read',
  ],
  AUDITOR: ['audit.read', 'audit.verify', 'appointments.read', 'bills.read', 'billing.reports.read', 'tenant.read'],
  PLATFORM_ADMIN: ['platform.tenants.manage', 'platform.metrics.read'],
} as const satisfies Record<string, readonly Permission[]>;

export type BuiltinRole = keyof typeof BUILTIN_ROLES;

/** The built-in roles a tenant's users may hold (PLATFORM_ADMIN only in the platform tenant). */
export const TENANT_ROLES = (Object.keys(BUILTIN_ROLES) as BuiltinRole[]).filter((r) => r !== 'PLATFORM_ADMIN');

export function isBuiltinRole(name: string): name is BuiltinRole {
  return Object.hasOwn(BUILTIN_ROLES, name);
}

/** A role a tenant defined itself. */
export interface CustomRole {
  name: string;
  description: string;
  permissions: Permission[];
}

/**
 * The permissions of a set of roles: built-in ones from the table above, the
 * tenant's own from `custom`. A role that no longer exists grants nothing.
 */
export function permissionsOf(roles: readonly string[], custom: ReadonlyMap<string, CustomRole>): Set<Permission> {
  const granted = new Set<Permission>();
  for (const role of roles) {
    const permissions = isBuiltinRole(role) ? BUILTIN_ROLES[role] : (custom.get(role)?.permissions ?? []);
    for (const p of permissions) granted.add(p);
  }
  return granted;
}

/** Only permissions of the catalogue, without repeats, in catalogue order. */
export function normalizePermissions(names: readonly string[]): Permission[] {
  const wanted = new Set(names);
  return PERMISSION_NAMES.filter((p) => wanted.has(p));
}

export function unknownPermissions(names: readonly string[]): string[] {
  return names.filter((n) => !isPermission(n));
}
