/**
 * The quotas of a tenant's plan, by name: what the gateway puts in the
 * internal token (`quota` claim) for the backend that creates such things to
 * enforce, and what `UsageService.GetTenantUsage` counts. One list, so the
 * gateway's plans and the backends' checks cannot disagree on a name.
 */
export const QUOTAS = {
  users: 'Users of the tenant (active or disabled)',
  doctors: 'Doctors of the tenant',
  patients: 'Patients registered with the tenant',
  appointmentsPerMonth: 'Appointments booked in a calendar month (UTC)',
  auditStorageBytes: "Storage of the tenant's audit trail, in bytes (reported; the trail never refuses a record)",
} as const satisfies Record<string, string>;

export type QuotaName = keyof typeof QUOTAS;

export const QUOTA_NAMES = Object.keys(QUOTAS) as QuotaName[];
