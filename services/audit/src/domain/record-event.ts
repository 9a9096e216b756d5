/**
 * Every event, whichever service published it, becomes the next record of its
 * tenant's hash chain, sealed with the current chain key. An event already on
 * the trail is not appended again. Several events of one tenant are recorded
 * under one lock of the chain head, in one insert.
 */
import type { AuditStore } from './audit-store.js';
import { appendToChain } from './hash-chain.js';
import type { Keyring } from './keyring.js';
import type { AuditEntry, ChainedEntry } from './types.js';

/** Records the entries (all of one tenant) in order; returns those that were new. */
export async function recordEvents(
  store: AuditStore,
  chainKeys: Keyring,
  entries: readonly AuditEntry[],
): Promise<ChainedEntry[]> {
  const tenantId = entries[0]?.tenantId;
  if (tenantId === undefined) return [];
  if (entries.some((e) => e.tenantId !== tenantId)) throw new Error('recordEvents: entries of several tenants');
  return store.change(tenantId, async (tx) => {
    let end = await tx.lockChainHead();
    const seen = await tx.recorded(entries);
    const records: ChainedEntry[] = [];
    for (const entry of entries) {
      if (seen.has(entry.eventId)) continue;
      seen.add(entry.eventId);
      const record = appendToChain(chainKeys, end, entry);
      records.push(record);
      end = { seq: record.seq, hash: record.hash };
    }
    if (records.length > 0) await tx.append(records);
    return records;
  });
}

/** Records one entry; undefined when the trail already held it. */
export async function recordEvent(
  store: AuditStore,
  chainKeys: Keyring,
  entry: AuditEntry,
): Promise<ChainedEntry | undefined> {
  return (await recordEvents(store, chainKeys, [entry]))[0];
}
