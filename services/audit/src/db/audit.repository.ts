/**
 * AuditStore in SQL on the service's database (its runtime role: records are
 * added and read, checkpoints only read), and the upkeep of audit_log's
 * monthly partitions.
 */
import { ALL_TENANTS, Conditions, GENERIC_PLANS, type Database, type Sql } from '@hms/platform';
import type { AuditStore } from '../domain/audit-store.js';
import type { Checkpoint } from '../domain/checkpoint.js';
import { GENESIS_HASH } from '../domain/hash-chain.js';
import type { AuditFilter, AuditPage, AuditRecord } from '../domain/types.js';

interface RecordRow {
  id: string;
  tenant_id: string;
  seq: number;
  event_id: string;
  event_type: string;
  source: string;
  entity_type: string;
  entity_id: string;
  actor_kind: string;
  actor_id: string;
  patient_id: string | null;
  occurred_at: Date;
  recorded_at: Date;
  trace_id: string;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
  key_id: string;
}

const RECORD_COLUMNS = `id, tenant_id, seq, event_id, event_type, source, entity_type, entity_id, actor_kind, actor_id,
  patient_id, occurred_at, recorded_at, trace_id, data, prev_hash, hash, key_id`;

interface CheckpointRow {
  tenant_id: string;
  seq: number;
  hash: string;
  anchored_at: Date;
  key_id: string;
  signature: string;
}

const CHECKPOINT_COLUMNS = 'tenant_id, seq, hash, anchored_at, key_id, signature';

/**
 * One page of the filtered trail, newest first: only the filters given (each
 * combination its own statement text and index), for a generic plan. For a
 * tenant the statistics have not seen yet, a plan made for its values weighs
 * it at one row and may walk the tenant's records by time, filtering, instead
 * of reading the filter's index (100 ms against 1 for an entity's records);
 * a catch-all `($n IS NULL OR ...)` text cannot be planned generically.
 */
export function searchStatement(
  filter: AuditFilter,
  page: { size: number; after?: AuditPage['next'] },
): { text: string; values: unknown[] } {
  const where = new Conditions();
  where.and(`tenant_id = ${where.param(filter.tenantId)}`);
  where.when(filter.entityId, (p) => `entity_id = ${p}`);
  where.when(filter.actorId, (p) => `actor_id = ${p}`);
  where.when(filter.patientId, (p) => `patient_id = ${p}::uuid`);
  where.when(filter.from, (p) => `occurred_at >= ${p}`);
  where.when(filter.to, (p) => `occurred_at < ${p}`);
  const after = page.after;
  if (after) {
    // (occurred_at, id) < cursor, with the bound on occurred_at spelled out
    // so that the index range and partition pruning use it.
    const at = where.param(after.occurredAt);
    where.and(`occurred_at <= ${at} AND (occurred_at < ${at} OR id < ${where.param(after.id)}::uuid)`);
  }
  const text = `SELECT ${RECORD_COLUMNS} FROM audit_log WHERE ${where.sql}
    ORDER BY occurred_at DESC, id DESC
    LIMIT ${where.param(page.size + 1)}`;
  return { text, values: where.values };
}

export function createAuditStore(db: Database, newId: () => string): AuditStore {
  return {
    change: (tenantId, fn) =>
      db.transaction(tenantId, (tx) =>
        fn({
          async lockChainHead() {
            const lock = () =>
              tx.query<{ last_seq: number; last_hash: string }>(
                'SELECT last_seq, last_hash FROM chain_heads WHERE tenant_id = $1 FOR UPDATE',
                [tenantId],
              );
            let [head] = await lock();
            if (!head) {
              // A concurrent first append may create it first; then this waits for it and locks that row.
              await tx.execute(
                'INSERT INTO chain_heads (tenant_id, last_seq, last_hash) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING',
                [tenantId, GENESIS_HASH],
              );
              [head] = await lock();
            }
            if (!head) throw new Error(`chain head of tenant ${tenantId} could not be created`);
            return { seq: head.last_seq, hash: head.last_hash };
          },
          async recorded(events) {
            // One probe of the unique (tenant, event, time) index per event, in the one partition
            // its time falls in (pruned as the probe runs). Written as a join of the batch with the
            // tenant's rows, the planner chose by the tenant's estimated size, and for a tenant the
            // statistics had not seen (estimated at one row) walked all its rows of the month.
            const rows = await tx.query<{ event_id: string }>(
              `SELECT e.event_id FROM unnest($2::uuid[], $3::timestamptz[]) AS e(event_id, occurred_at)
               CROSS JOIN LATERAL (
                 SELECT 1 FROM audit_log a
                  WHERE a.tenant_id = $1 AND a.event_id = e.event_id AND a.occurred_at = e.occurred_at
                  LIMIT 1) hit`,
              [tenantId, events.map((e) => e.eventId), events.map((e) => e.occurredAt)],
            );
            return new Set(rows.map((r) => r.event_id));
          },
          async append(records) {
            // One insert for the run; the unique (tenant, event, occurred_at) index
            // still refuses an event twice, failing the whole change.
            await tx.execute(
              `WITH appended AS (
                 INSERT INTO audit_log (id, tenant_id, seq, event_id, event_type, source, entity_type, entity_id, actor_kind,
                   actor_id, patient_id, occurred_at, trace_id, data, prev_hash, hash, key_id)
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::text[], $6::text[], $7::text[],
                   $8::text[], $9::text[], $10::text[], $11::uuid[], $12::timestamptz[], $13::text[], $14::jsonb[],
                   $15::text[], $16::text[], $17::text[])
                 RETURNING 1)
               UPDATE chain_heads SET last_seq = $18, last_hash = $19, updated_at = CURRENT_TIMESTAMP
               WHERE tenant_id = $2[1] AND (SELECT count(*) FROM appended) = cardinality($1::uuid[])`,
              [
                records.map(() => newId()),
                records.map((r) => r.tenantId),
                records.map((r) => r.seq),
                records.map((r) => r.eventId),
                records.map((r) => r.eventType),
                records.map((r) => r.source),
                records.map((r) => r.entityType),
                records.map((r) => r.entityId),
                records.map((r) => r.actorKind),
                records.map((r) => r.actorId),
                records.map((r) => r.patientId),
                records.map((r) => r.occurredAt),
                records.map((r) => r.traceId),
                records.map((r) => JSON.stringify(r.data)),
                records.map((r) => r.prevHash),
                records.map((r) => r.hash),
                records.map((r) => r.keyId),
                records.at(-1)!.seq,
                records.at(-1)!.hash,
              ],
            );
          },
        }),
      ),

    search: (filter, page) =>
      db.read(
        filter.tenantId,
        async (sql) => {
          const statement = searchStatement(filter, page);
          const rows = await sql.query<RecordRow>(statement.text, statement.values);
          const records = rows.slice(0, page.size).map(toRecord);
          const last = records.at(-1);
          return {
            records,
            next: rows.length > page.size && last ? { occurredAt: last.occurredAt, id: last.id } : undefined,
          };
        },
        GENERIC_PLANS,
      ),

    chainHead: (tenantId) =>
      db.read(tenantId, async (sql) => {
        const [row] = await sql.query<{ last_seq: number; last_hash: string }>(
          'SELECT last_seq, last_hash FROM chain_heads WHERE tenant_id = $1',
          [tenantId],
        );
        return row ? { seq: row.last_seq, hash: row.last_hash } : undefined;
      }),

    chainRecords: (tenantId, range) =>
      db.read(tenantId, async (sql) => {
        const rows = await sql.query<RecordRow>(
          `SELECT ${RECORD_COLUMNS} FROM audit_log
           WHERE tenant_id = $1 AND seq >= $2 AND seq <= $3
           ORDER BY seq, id
           LIMIT $4`,
          [tenantId, range.fromSeq, range.upTo, range.limit],
        );
        return rows.map(toRecord);
      }),

    nextSeq: (tenantId, range) =>
      db.read(tenantId, async (sql) => {
        const [row] = await sql.query<{ seq: number }>(
          `SELECT seq FROM audit_log WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT 1`,
          [tenantId, range.after, range.upTo],
        );
        return row?.seq;
      }),

    seqWindow: (tenantId, window) =>
      db.read(tenantId, async (sql) => {
        const [row] = await sql.query<{ first: number | null; last: number | null }>(
          `SELECT min(seq) AS first, max(seq) AS last FROM audit_log
           WHERE tenant_id = $1 AND seq <= $2
             AND ($3::timestamptz IS NULL OR occurred_at >= $3)
             AND ($4::timestamptz IS NULL OR occurred_at < $4)`,
          [tenantId, window.upTo, window.from ?? null, window.to ?? null],
        );
        return row && row.first !== null && row.last !== null ? { first: row.first, last: row.last } : undefined;
      }),

    checkpoints: (tenantId, range) =>
      db.read(tenantId, async (sql) => {
        const rows = await sql.query<CheckpointRow>(
          `SELECT ${CHECKPOINT_COLUMNS} FROM audit_anchor.checkpoints
           WHERE tenant_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq`,
          [tenantId, range.fromSeq, range.toSeq],
        );
        return rows.map(toCheckpoint);
      }),

    newestCheckpoint: (tenantId) =>
      db.read(tenantId, async (sql) => {
        const [row] = await sql.query<CheckpointRow>(
          `SELECT ${CHECKPOINT_COLUMNS} FROM audit_anchor.checkpoints WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1`,
          [tenantId],
        );
        return row ? toCheckpoint(row) : undefined;
      }),

    trailTenants: () =>
      db.read(ALL_TENANTS, async (sql) => {
        // The checkpoints' tenants by a skip scan of their primary key (one
        // index probe per tenant), not by reading every checkpoint.
        const rows = await sql.query<{ tenant_id: string }>(
          `WITH RECURSIVE anchored AS (
             (SELECT tenant_id FROM audit_anchor.checkpoints ORDER BY tenant_id LIMIT 1)
             UNION ALL
             SELECT (SELECT c.tenant_id FROM audit_anchor.checkpoints c
                     WHERE c.tenant_id > anchored.tenant_id ORDER BY c.tenant_id LIMIT 1)
             FROM anchored WHERE anchored.tenant_id IS NOT NULL
           )
           SELECT tenant_id FROM chain_heads
           UNION
           SELECT tenant_id FROM anchored WHERE tenant_id IS NOT NULL
           ORDER BY tenant_id`,
        );
        return rows.map((r) => r.tenant_id);
      }),

    tenantsToAnchor: () =>
      db.read(ALL_TENANTS, async (sql) => {
        const rows = await sql.query<{ tenant_id: string }>(
          `SELECT h.tenant_id FROM chain_heads h
           WHERE h.last_seq > COALESCE(
             (SELECT c.seq FROM audit_anchor.checkpoints c WHERE c.tenant_id = h.tenant_id ORDER BY c.seq DESC LIMIT 1), 0)
           ORDER BY h.tenant_id`,
        );
        return rows.map((r) => r.tenant_id);
      }),
  };
}

/** How many months before and after the current one have their partition ready. */
const PARTITION_WINDOW = { monthsBefore: 1, monthsAfter: 2 };

/**
 * Makes sure audit_log has its partitions for the previous, current and next
 * two months (UTC), and one for every month that has records stranded in the
 * default partition (an event that occurred long ago or far ahead), which
 * moves them there. Returns the partitions created.
 */
export async function maintainPartitions(sql: Sql, now: Date): Promise<number> {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - PARTITION_WINDOW.monthsBefore, 1));
  let created = await ensureMonthlyPartitions(
    sql,
    first.toISOString().slice(0, 10),
    PARTITION_WINDOW.monthsBefore + 1 + PARTITION_WINDOW.monthsAfter,
  );
  // Across tenants, through a function of the owner's: the runtime role sees one tenant's records at a time.
  const stranded = await sql.query<{ month: string }>('SELECT stranded_months() AS month');
  for (const { month } of stranded) created += await ensureMonthlyPartitions(sql, month, 1);
  return created;
}

async function ensureMonthlyPartitions(sql: Sql, fromMonth: string, months: number): Promise<number> {
  const [row] = await sql.query<{ created: number }>('SELECT ensure_monthly_partitions($1::date, $2::int) AS created', [
    fromMonth,
    months,
  ]);
  return Number(row?.created ?? 0);
}

function toRecord(row: RecordRow): AuditRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    seq: row.seq,
    eventId: row.event_id,
    eventType: row.event_type,
    source: row.source,
    entityType: row.entity_type,
    entityId: row.entity_id,
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    patientId: row.patient_id,
    occurredAt: row.occurred_at,
    recordedAt: row.recorded_at,
    traceId: row.trace_id,
    // Whatever is stored is what gets hashed; a value that is not an object simply fails verification.
    data: row.data,
    prevHash: row.prev_hash,
    hash: row.hash,
    keyId: row.key_id,
  };
}

export function toCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    tenantId: row.tenant_id,
    seq: row.seq,
    hash: row.hash,
    anchoredAt: row.anchored_at,
    keyId: row.key_id,
    signature: row.signature,
  };
}
