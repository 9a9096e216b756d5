/** Walks a tenant's whole chain up to its head and says where it first breaks, if anywhere. */
import type { AuditStore } from './audit-store.js';
import { CHAIN_START, checkChainHead, verifyChain, type ChainVerdict } from './hash-chain.js';

/** Records read per round trip. */
const VERIFY_BATCH = 1_000;

export async function verifyTrail(store: AuditStore, tenantId: string): Promise<ChainVerdict> {
  // The head first: records appended while this runs lie beyond it and are left for the next check.
  const head = await store.chainHead(tenantId);
  let end = CHAIN_START;
  let after: { seq: number; id: string } | undefined;
  for (;;) {
    const records = await store.chainRecords(tenantId, { after, upTo: head?.seq ?? 0, limit: VERIFY_BATCH });
    const verdict = verifyChain(records, end);
    if (!verdict.intact) return verdict;
    end = verdict.end;
    const last = records.at(-1);
    if (!last || records.length < VERIFY_BATCH) break;
    after = { seq: last.seq, id: last.id };
  }
  return checkChainHead(end, head);
}
