/**
 * AnchorStore in SQL, on the anchor role's own connection (ANCHOR_DATABASE_URL):
 * the one login that may add checkpoints and verification results, and that
 * can neither change nor remove them.
 */
import type { Database, Sql } from '@hms/platform';
import type { AnchorStore } from '../domain/audit-store.js';
import type { TrailBreak, VerificationRun } from '../domain/types.js';

interface RunRow {
  id: string;
  started_at: Date;
  finished_at: Date;
  tenants: number;
  records: number;
  broken: TrailBreak[];
}

export function createAnchorStore(db: Database): AnchorStore {
  return {
    async addCheckpoint(cp) {
      // Scoped to the checkpoint's tenant: checkpoints have row-level security as every tenant table.
      await db.transaction(cp.tenantId, (sql) =>
        sql.execute(
          `INSERT INTO audit_anchor.checkpoints (tenant_id, seq, hash, anchored_at, key_id, signature)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, seq) DO NOTHING`,
          [cp.tenantId, cp.seq, cp.hash, cp.anchoredAt, cp.keyId, cp.signature],
        ),
      );
    },

    async recordVerification(run) {
      // A run covers every tenant: verification_runs belongs to none.
      await db.transaction(null, (sql) =>
        sql.execute(
          `INSERT INTO audit_anchor.verification_runs (id, started_at, finished_at, tenants, records, broken)
         VALUES ($1, $2, $3, $4, $5, $6)`,
          [run.id, run.startedAt, run.finishedAt, run.tenants, run.records, JSON.stringify(run.broken)],
        ),
      );
    },

    lastVerification: () => db.read(null, (sql) => lastVerification(sql)),
  };
}

/** The newest verification run; readable by the runtime role too (for the metrics every replica exports). */
export async function lastVerification(sql: Sql): Promise<VerificationRun | undefined> {
  const [row] = await sql.query<RunRow>(
    `SELECT id, started_at, finished_at, tenants, records, broken FROM audit_anchor.verification_runs
     ORDER BY finished_at DESC, id DESC LIMIT 1`,
  );
  return row
    ? {
        id: row.id,
        startedAt: row.started_at,
        finishedAt: row.finished_at,
        tenants: row.tenants,
        records: row.records,
        broken: row.broken,
      }
    : undefined;
}
