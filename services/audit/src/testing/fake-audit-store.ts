/**
 * AuditStore and AnchorStore in memory, for the use cases' unit tests: appends
 * are staged and applied when the change's function returns, as a transaction
 * would be; the trail takes an event once, as its unique index does. The
 * arrays and maps are the "database": tests tamper with them directly.
 */
import type { AnchorStore, AuditStore } from '../domain/audit-store.js';
import type { Checkpoint } from '../domain/checkpoint.js';
import { CHAIN_START, type ChainLink } from '../domain/hash-chain.js';
import type { AuditRecord, VerificationRun } from '../domain/types.js';

export function fakeAuditStore() {
  const records: AuditRecord[] = [];
  const heads = new Map<string, ChainLink>();
  const checkpoints: Checkpoint[] = [];
  const runs: VerificationRun[] = [];
  let n = 0;
  const chainOf = (tenantId: string) =>
    records.filter((r) => r.tenantId === tenantId).sort((a, b) => a.seq - b.seq || (a.id < b.id ? -1 : 1));
  const checkpointsOf = (tenantId: string) =>
    checkpoints.filter((c) => c.tenantId === tenantId).sort((a, b) => a.seq - b.seq);

  const store: AuditStore = {
    async change(tenantId, fn) {
      const staged: AuditRecord[] = [];
      let head = heads.get(tenantId) ?? CHAIN_START;
      const result = await fn({
        async lockChainHead() {
          return head;
        },
        async recorded(events) {
          const ids = new Set(events.map((e) => e.eventId));
          return new Set(
            [...records, ...staged].filter((r) => r.tenantId === tenantId && ids.has(r.eventId)).map((r) => r.eventId),
          );
        },
        async append(appended) {
          for (const record of appended) {
            if (record.tenantId !== tenantId) throw new Error('a record of another tenant in this change');
            if ([...records, ...staged].some((r) => r.tenantId === tenantId && r.eventId === record.eventId)) {
              throw new Error(`event ${record.eventId} is already on the trail`); // the unique index
            }
            staged.push({ ...record, id: `record-${String(++n).padStart(8, '0')}`, recordedAt: new Date(0) });
            head = { seq: record.seq, hash: record.hash };
          }
        },
      });
      records.push(...staged);
      heads.set(tenantId, head);
      return result;
    },
    async search() {
      return { records: [] };
    },
    async chainHead(tenantId) {
      return heads.get(tenantId);
    },
    async chainRecords(tenantId, range) {
      return chainOf(tenantId)
        .filter((r) => r.seq >= range.fromSeq && r.seq <= range.upTo)
        .slice(0, range.limit);
    },
    async nextSeq(tenantId, range) {
      return chainOf(tenantId).find((r) => r.seq > range.after && r.seq <= range.upTo)?.seq;
    },
    async seqWindow(tenantId, window) {
      const seqs = chainOf(tenantId)
        .filter((r) => r.seq <= window.upTo)
        .filter((r) => (!window.from || r.occurredAt >= window.from) && (!window.to || r.occurredAt < window.to))
        .map((r) => r.seq);
      return seqs.length ? { first: Math.min(...seqs), last: Math.max(...seqs) } : undefined;
    },
    async checkpoints(tenantId, range) {
      return checkpointsOf(tenantId).filter((c) => c.seq >= range.fromSeq && c.seq <= range.toSeq);
    },
    async newestCheckpoint(tenantId) {
      return checkpointsOf(tenantId).at(-1);
    },
    async trailTenants() {
      return [...new Set([...heads.keys(), ...checkpoints.map((c) => c.tenantId)])].sort();
    },
    async tenantsToAnchor() {
      return [...heads.entries()]
        .filter(([tenantId, head]) => head.seq > (checkpointsOf(tenantId).at(-1)?.seq ?? 0))
        .map(([tenantId]) => tenantId)
        .sort();
    },
  };

  const anchors: AnchorStore = {
    async addCheckpoint(checkpoint) {
      if (!checkpoints.some((c) => c.tenantId === checkpoint.tenantId && c.seq === checkpoint.seq)) {
        checkpoints.push(checkpoint);
      }
    },
    async recordVerification(run) {
      runs.push(run);
    },
    async lastVerification() {
      return [...runs].sort((a, b) => a.finishedAt.getTime() - b.finishedAt.getTime()).at(-1);
    },
  };
  return { store, anchors, records, heads, checkpoints, runs };
}
