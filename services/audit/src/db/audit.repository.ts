/**
 * The trail on Prisma: appending to a tenant's hash chain inside the
 * consumer's transaction, searching it page by page, verifying it, and
 * keeping audit_log's monthly partitions ahead of the calendar.
 */
import { newId } from '@hms/platform';
import type { AuditStore } from '../domain/audit-store.js';
import {
  appendToChain,
  CHAIN_START,
  checkChainHead,
  GENESIS_HASH,
  verifyChain,
  type ChainLink,
} from '../domain/hash-chain.js';
import type { AuditEntry, AuditRecord } from '../domain/types.js';
import type { AuditRecord as AuditRow, Prisma } from './generated/client.js';
import type { Db, Tx } from './prisma.js';

/** Records read per round trip when verifying a chain. */
const VERIFY_BATCH = 1_000;

/**
 * Appends an entry to its tenant's chain. The chain head's row lock
 * serializes appends per tenant, so seq has no gaps and no repeats even with
 * several consumers. An event already on the trail is not appended again:
 * returns undefined.
 */
export async function appendAuditEntry(tx: Tx, entry: AuditEntry): Promise<AuditRecord | undefined> {
  const end = await lockChainHead(tx, entry.tenantId);
  const chained = appendToChain(end, entry);
  const rows = await tx.auditRecord.createManyAndReturn({
    data: [
      {
        id: newId(),
        tenantId: chained.tenantId,
        seq: BigInt(chained.seq),
        eventId: chained.eventId,
        eventType: chained.eventType,
        source: chained.source,
        entityType: chained.entityType,
        entityId: chained.entityId,
        actorKind: chained.actorKind,
        actorId: chained.actorId,
        patientId: chained.patientId,
        occurredAt: chained.occurredAt,
        traceId: chained.traceId,
        data: chained.data as Prisma.InputJsonObject,
        prevHash: chained.prevHash,
        hash: chained.hash,
      },
    ],
    // The unique (tenant, event, occurred_at) index: a replay that got past
    // the processed-event record still finds its record here.
    skipDuplicates: true,
  });
  const row = rows[0];
  if (!row) return undefined;
  await tx.chainHead.update({
    where: { tenantId: entry.tenantId },
    data: { lastSeq: row.seq, lastHash: row.hash },
  });
  return toRecord(row);
}

/** Locks the tenant's chain head for this transaction, creating it on the tenant's first event. */
async function lockChainHead(tx: Tx, tenantId: string): Promise<ChainLink> {
  const lock = () =>
    tx.$queryRaw<{ last_seq: bigint; last_hash: string }[]>`
      SELECT last_seq, last_hash FROM audit.chain_heads WHERE tenant_id = ${tenantId}::uuid FOR UPDATE`;
  let [head] = await lock();
  if (!head) {
    // A concurrent first append may create it first; then this waits for it and locks that row.
    await tx.chainHead.createMany({
      data: [{ tenantId, lastSeq: 0n, lastHash: GENESIS_HASH }],
      skipDuplicates: true,
    });
    [head] = await lock();
  }
  if (!head) throw new Error(`chain head of tenant ${tenantId} could not be created`);
  return { seq: Number(head.last_seq), hash: head.last_hash };
}

export function createAuditStore(db: Db): AuditStore {
  return {
    async query(filter, page) {
      const { after } = page;
      const rows = await db.auditRecord.findMany({
        where: {
          tenantId: filter.tenantId,
          ...(filter.entityId ? { entityId: filter.entityId } : {}),
          ...(filter.actorId ? { actorId: filter.actorId } : {}),
          ...(filter.patientId ? { patientId: filter.patientId } : {}),
          AND: [
            filter.from ? { occurredAt: { gte: filter.from } } : {},
            filter.to ? { occurredAt: { lt: filter.to } } : {},
            // (occurred_at, id) < cursor, with the bound on occurred_at spelled
            // out so that the index range and partition pruning use it.
            after ? { occurredAt: { lte: after.occurredAt } } : {},
            after ? { OR: [{ occurredAt: { lt: after.occurredAt } }, { id: { lt: after.id } }] } : {},
          ],
        },
        orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
        take: page.size + 1,
      });
      const records = rows.slice(0, page.size).map(toRecord);
      const last = records.at(-1);
      return {
        records,
        next: rows.length > page.size && last ? { occurredAt: last.occurredAt, id: last.id } : undefined,
      };
    },

    async verifyTenantChain(tenantId) {
      // The head first: records appended while this runs lie beyond it and are left for the next check.
      const headRow = await db.chainHead.findUnique({ where: { tenantId } });
      const head = headRow ? { seq: Number(headRow.lastSeq), hash: headRow.lastHash } : undefined;
      let end = CHAIN_START;
      let after: { seq: bigint; id: string } | undefined;
      for (;;) {
        const rows = await db.auditRecord.findMany({
          where: {
            tenantId,
            AND: [
              headRow ? { seq: { lte: headRow.lastSeq } } : {},
              // Keyset on (seq, id), so that a forged second record with a seq is read too.
              after ? { seq: { gte: after.seq } } : {},
              after ? { OR: [{ seq: { gt: after.seq } }, { id: { gt: after.id } }] } : {},
            ],
          },
          orderBy: [{ seq: 'asc' }, { id: 'asc' }],
          take: VERIFY_BATCH,
        });
        const verdict = verifyChain(rows.map(toRecord), end);
        if (!verdict.intact) return verdict;
        end = verdict.end;
        const last = rows.at(-1);
        if (!last || rows.length < VERIFY_BATCH) break;
        after = { seq: last.seq, id: last.id };
      }
      return checkChainHead(end, head);
    },
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
export async function maintainPartitions(db: Db, now: Date): Promise<number> {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - PARTITION_WINDOW.monthsBefore, 1));
  let created = await ensureMonthlyPartitions(
    db,
    first.toISOString().slice(0, 10),
    PARTITION_WINDOW.monthsBefore + 1 + PARTITION_WINDOW.monthsAfter,
  );
  const stranded = await db.$queryRaw<{ month: string }[]>`
    SELECT DISTINCT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-01') AS month FROM audit.audit_log_default`;
  for (const { month } of stranded) created += await ensureMonthlyPartitions(db, month, 1);
  return created;
}

async function ensureMonthlyPartitions(db: Db, fromMonth: string, months: number): Promise<number> {
  const [row] = await db.$queryRaw<{ created: number }[]>`
    SELECT audit.ensure_monthly_partitions(${fromMonth}::date, ${months}::int) AS created`;
  return Number(row?.created ?? 0);
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    seq: Number(row.seq),
    eventId: row.eventId,
    eventType: row.eventType,
    source: row.source,
    entityType: row.entityType,
    entityId: row.entityId,
    actorKind: row.actorKind,
    actorId: row.actorId,
    patientId: row.patientId,
    occurredAt: row.occurredAt,
    recordedAt: row.recordedAt,
    traceId: row.traceId,
    // Whatever is stored is what gets hashed; a value that is not an object simply fails verification.
    data: row.data as Record<string, unknown>,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}
