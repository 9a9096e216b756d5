/**
 * The storage a tenant's trail takes, estimated without reading it: its record
 * count (the chain head's seq) times the average size of a record across
 * audit_log's partitions (PostgreSQL's statistics; 1 KiB before the first
 * ANALYZE). A trail of crores of records costs one index probe.
 */
import type { Database, TenantUsageCounter } from '@hms/platform';

const BYTES_PER_RECORD_BEFORE_STATISTICS = 1024;

export function auditUsage(db: Database): TenantUsageCounter {
  return (tenantId) =>
    db.read(tenantId, async (sql) => {
      const [row] = await sql.query<{ records: string | null; bytes: string | null; rows: number | null }>(
        `SELECT (SELECT last_seq FROM chain_heads WHERE tenant_id = $1) AS records,
                sum(pg_total_relation_size(i.inhrelid))::bigint AS bytes,
                sum(GREATEST(c.reltuples, 0))::float8 AS rows
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'audit.audit_log'::regclass`,
        [tenantId],
      );
      const records = Number(row?.records ?? 0);
      const rows = row?.rows ?? 0;
      const perRecord = rows >= 1 ? Number(row?.bytes ?? 0) / rows : BYTES_PER_RECORD_BEFORE_STATISTICS;
      return { auditStorageBytes: Math.round(records * perRecord) };
    });
}
