/** A tenant's plan beside its use (`GET /admin/quota`): each quota's limit, use, and whether it is reached. */
import { QUOTA_NAMES, type QuotaName } from '@hms/proto';
import { BUDGET_WINDOW_SECONDS, PLANS, type PlanName } from './plans.js';

export interface QuotaReport {
  plan: PlanName;
  requests: { perTenant: number; perUser: number; windowSeconds: number };
  quotas: { quota: QuotaName; limit: number | null; used: number; reached: boolean }[];
}

export function quotaReport(
  plan: PlanName,
  rateLimitMultiplier: number,
  usage: Partial<Record<QuotaName, number>>,
): QuotaReport {
  const p = PLANS[plan];
  return {
    plan,
    requests: {
      perTenant: p.tenantRequests * rateLimitMultiplier,
      perUser: p.userRequests * rateLimitMultiplier,
      windowSeconds: BUDGET_WINDOW_SECONDS,
    },
    quotas: QUOTA_NAMES.map((quota) => {
      const limit = p.quotas[quota];
      const used = usage[quota] ?? 0;
      return { quota, limit, used, reached: limit !== null && used >= limit };
    }),
  };
}
