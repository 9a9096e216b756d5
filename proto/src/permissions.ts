/**
 * The catalogue of permissions: what a caller may do, by name. The gateway
 * resolves a caller's roles to these names (built-in roles and a tenant's own),
 * checks the one each route declares, and vouches for the set in its internal
 * token; each backend checks the ones that guard its own methods and rules.
 * One list for all, so a name can only be spelled one way.
 */
export const PERMISSIONS = {
  'appointments.read': 'Read appointments',
  'appointments.book': 'Book appointments',
  'appointments.check_in': 'Check patients in for their appointments',
  'appointments.cancel': 'Cancel and reschedule appointments',
  'appointments.attend': 'Start and complete consultations, and mark patients who did not come as no-shows',
  'slots.hold': "Hold a doctor's slot for a few minutes while a booking is made",
  'dashboard.read': "Read the day's scheduling dashboard",
  'scheduling.configure':
    "Set the tenant's scheduling rules (holds, cancellation window, no-show grace, reminders, MRN format)",
  'patients.read': 'Read and search patients',
  'patients.write': 'Register and update patients',
  'doctors.read': 'Read departments, doctors and their schedules',
  'doctors.write': 'Manage departments, doctors, their weekly schedules and their leave',
  'queues.read': "Read doctors' queues and follow them live",
  'queues.manage': 'Add walk-ins; call, skip, recall, transfer and complete patients in a queue; pause it',
  'queues.configure': "Set the tenant's queue rules",
  'queue_displays.manage': 'Issue and revoke the tokens of waiting-room displays',
  'bills.read': 'Read bills, payments, refunds, credit notes, invoices and receipts',
  'bills.write': 'Add and remove bill items and issue bills',
  'bills.discount': 'Give discounts on bills',
  'credit_notes.issue': 'Issue credit notes against issued bills',
  'payments.record': 'Record payments against bills and pay out approved refunds',
  'refunds.request': 'Request refunds',
  'refunds.approve': 'Approve or reject refunds requested by someone else',
  'billing.configure': 'Manage the billing catalogue and billing settings',
  'billing.reports.read': 'Read daily billing reports',
  'clinical.read': "Read patients' clinical records: vitals, consultations, prescriptions, allergies, visit history",
  'clinical.vitals.record': 'Record vitals',
  'clinical.consultation.write': 'Write, sign and amend consultations',
  'clinical.prescriptions.write': 'Issue prescriptions',
  'clinical.prescriptions.read': 'Read prescriptions (the pharmacy reads only these)',
  'clinical.prescriptions.dispense': "Dispense prescriptions at the hospital's pharmacy",
  'clinical.allergies.record': "Record patients' allergies",
  'clinical.formulary.read': "Read the tenant's formulary and search diagnosis codes",
  'clinical.formulary.manage': "Manage the tenant's formulary",
  'clinical.settings.manage': "Set the tenant's clinical settings (dispensing at the pharmacy)",
  'audit.read': "Search the tenant's audit trail",
  'audit.verify': "Verify the integrity of the tenant's audit trail",
  'users.manage': "Create, change and disable the tenant's users",
  'roles.manage': "Define the tenant's own roles",
  'api_keys.manage': 'Create and revoke API keys for integrations',
  'tenant.read': "Read the tenant's plan, quotas and their use",
  'platform.tenants.manage': 'Create tenants, change their plans, suspend them (platform operators only)',
  'platform.metrics.read': "Read the platform's metrics across tenants (platform operators only)",
} as const satisfies Record<string, string>;

export type Permission = keyof typeof PERMISSIONS;

export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(name: string): name is Permission {
  return Object.hasOwn(PERMISSIONS, name);
}
