/**
 * Tenant plans: how many requests a tenant and each of its users may make,
 * and how much it may hold (seed 003). Budgets are per 15 minutes, shared by
 * every gateway. A tenant's contract may multiply every budget of its plan
 * (`rateLimitMultiplier`, e.g. the tenant a load test runs as); quotas are the
 * plan's. `null`: no limit.
 */
import type { QuotaName } from '@hms/proto';

export const PLAN_NAMES = ['FREE', 'BASIC', 'PRO', 'ENTERPRISE'] as const;
export type PlanName = (typeof PLAN_NAMES)[number];

/** The window every request budget counts over. */
export const BUDGET_WINDOW_SECONDS = 15 * 60;

export interface Plan {
  /** Requests per 15 minutes of the whole tenant, across all gateways. */
  tenantRequests: number;
  /** Requests per 15 minutes of one user (or API key): no one spends the tenant's budget alone. */
  userRequests: number;
  quotas: Record<QuotaName, number | null>;
}

export const PLANS: Record<PlanName, Plan> = {
  FREE: {
    tenantRequests: 500,
    userRequests: 250,
    quotas: {
      users: 5,
      doctors: 3,
      patients: 1_000,
      appointmentsPerMonth: 500,
      auditStorageBytes: 100 * 1024 ** 2,
    },
  },
  BASIC: {
    tenantRequests: 2_000,
    userRequests: 600,
    quotas: {
      users: 25,
      doctors: 20,
      patients: 20_000,
      appointmentsPerMonth: 5_000,
      auditStorageBytes: 1024 ** 3,
    },
  },
  PRO: {
    tenantRequests: 5_000,
    userRequests: 1_200,
    quotas: {
      users: 100,
      doctors: 100,
      patients: 200_000,
      appointmentsPerMonth: 50_000,
      auditStorageBytes: 10 * 1024 ** 3,
    },
  },
  ENTERPRISE: {
    tenantRequests: 20_000,
    userRequests: 3_000,
    quotas: { users: null, doctors: null, patients: null, appointmentsPerMonth: null, auditStorageBytes: null },
  },
};

/**
 * Limits of particular kinds of request, on top of the plan's budgets (seed
 * 002/004). `per` says whose count it is: a signed-in user's (or API key's),
 * or, for sign-ins, the account named from one address.
 */
export const ENDPOINT_CLASSES = {
  login: { points: 5, durationSeconds: 15 * 60, per: 'account and address' },
  search: { points: 30, durationSeconds: 60, per: 'user' },
  booking: { points: 10, durationSeconds: 60, per: 'user' },
  bulk: { points: 5, durationSeconds: 5 * 60, per: 'user' },
} as const;

export type EndpointClass = keyof typeof ENDPOINT_CLASSES;

export function isPlanName(name: string): name is PlanName {
  return (PLAN_NAMES as readonly string[]).includes(name);
}

/** The quotas backends enforce at creation (in the internal token), without those that are unlimited. */
export function enforcedQuotas(plan: PlanName): Partial<Record<QuotaName, number>> {
  const out: Partial<Record<QuotaName, number>> = {};
  for (const [name, limit] of Object.entries(PLANS[plan].quotas) as [QuotaName, number | null][]) {
    if (limit !== null && name !== 'auditStorageBytes' && name !== 'users') out[name] = limit;
  }
  return out;
}
