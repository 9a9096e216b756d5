/**
 * AuditStore in memory, for the use cases' unit tests: appends are staged and
 * applied when the change's function returns, as a transaction would be; the
 * trail takes an event once, as its unique index does.
 */
import type { AuditStore } from '../domain/audit-store.js';
import { CHAIN_START, type ChainLink } from '../domain/hash-chain.js';
import type { AuditRecord } from '../domain/types.js';

export function fakeAuditStore() {
  const records: AuditRecord[] = [];
  const heads = new Map<string, ChainLink>();
  let n = 0;
  const store: AuditStore = {
    async change(tenantId, fn) {
      const staged: AuditRecord[] = [];
      let head = heads.get(tenantId) ?? CHAIN_START;
      const result = await fn({
        async lockChainHead() {
          return head;
        },
        async append(record) {
          const seen = [...records, ...staged].some(
            (r) => r.tenantId === record.tenantId && r.eventId === record.eventId,
          );
          if (seen) return false;
          staged.push({ ...record, id: `record-${++n}`, recordedAt: new Date(0) });
          head = { seq: record.seq, hash: record.hash };
          return true;
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
      return records
        .filter((r) => r.tenantId === tenantId && r.seq <= range.upTo)
        .sort((a, b) => a.seq - b.seq || (a.id < b.id ? -1 : 1))
        .filter((r) => !range.after || r.seq > range.after.seq || (r.seq === range.after.seq && r.id > range.after.id))
        .slice(0, range.limit);
    },
  };
  return { store, records, heads };
}
