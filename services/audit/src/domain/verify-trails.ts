/**
 * The scheduled verification: every tenant's whole trail, from its first
 * record, against its checkpoints and head; the outcome is recorded beside the
 * checkpoints, where every replica's metrics read the newest one (so alerts do
 * not depend on which replica ran it). A run is due when the newest recorded
 * one is older than the interval, so replicas that share the schedule do not
 * repeat each other's work.
 */
import type { AnchorStore, AuditStore } from './audit-store.js';
import type { TrailKeys } from './keyring.js';
import type { TrailBreak, VerificationRun } from './types.js';
import { verifyTrail } from './verify-trail.js';

export function verificationDue(last: VerificationRun | undefined, now: Date, intervalMs: number): boolean {
  // A little slack, so that a run that took a while does not push the next one a whole interval out.
  return !last || now.getTime() - last.startedAt.getTime() >= intervalMs * 0.9;
}

/** Verifies every trail and records the run; undefined when stopped (`signal`) before the end, recording nothing. */
export async function verifyTrails(
  deps: { store: AuditStore; anchors: AnchorStore; keys: TrailKeys; now: () => Date; newId: () => string },
  signal?: AbortSignal,
): Promise<VerificationRun | undefined> {
  const startedAt = deps.now();
  const broken: TrailBreak[] = [];
  let records = 0;
  const tenants = await deps.store.trailTenants();
  for (const tenantId of tenants) {
    if (signal?.aborted) return undefined;
    let report;
    try {
      report = await verifyTrail(deps.store, deps.keys, { tenantId, signal });
    } catch (error) {
      if (signal?.aborted) return undefined;
      throw error;
    }
    records += report.checked;
    if (report.break) {
      const { brokenSeq, problem, reason } = report.break;
      broken.push({ tenantId, seq: brokenSeq, problem, reason });
    }
  }
  const run: VerificationRun = {
    id: deps.newId(),
    startedAt,
    finishedAt: deps.now(),
    tenants: tenants.length,
    records,
    broken,
  };
  await deps.anchors.recordVerification(run);
  return run;
}
