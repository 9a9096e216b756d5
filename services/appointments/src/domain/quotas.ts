/**
 * The plan's quotas on what a tenant creates here (doctors, patients,
 * appointments per calendar month in UTC). The gateway puts the limits in its
 * internal token; a use case checks the one it creates against, inside its
 * transaction, and refuses with a 403 naming the quota when it is used up.
 */
import { QuotaExceededError } from '@hms/platform/domain';
import type { QuotaName } from '@hms/proto';
import type { QuotaCounted, SchedulingTx } from './scheduling-store.js';

const COUNTED: Partial<Record<QuotaName, QuotaCounted>> = {
  doctors: 'doctors',
  patients: 'patients',
  appointmentsPerMonth: 'appointments',
};

/** Refuses one more of `quota` when the tenant has `limit` already; no limit: nothing to check. */
export async function assertWithinQuota(
  tx: Pick<SchedulingTx, 'countForQuota'>,
  quota: 'doctors' | 'patients' | 'appointmentsPerMonth',
  limit: number | undefined,
  now: Date,
): Promise<void> {
  if (limit === undefined) return;
  const since = quota === 'appointmentsPerMonth' ? monthStartUtc(now) : undefined;
  const used = await tx.countForQuota(COUNTED[quota]!, since);
  if (used >= limit) throw new QuotaExceededError(quota, limit);
}

/** Midnight UTC of the first day of `at`'s month: quotas count calendar months in UTC. */
export function monthStartUtc(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}
