/**
 * Every event, whichever service published it, becomes the next record of its
 * tenant's hash chain, sealed with the current chain key. An event already on
 * the trail is not appended again.
 */
import type { AuditStore } from './audit-store.js';
import { appendToChain } from './hash-chain.js';
import type { Keyring } from './keyring.js';
import type { AuditEntry, ChainedEntry } from './types.js';

export async function recordEvent(
  store: AuditStore,
  chainKeys: Keyring,
  entry: AuditEntry,
): Promise<ChainedEntry | undefined> {
  return store.change(entry.tenantId, async (tx) => {
    const end = await tx.lockChainHead();
    const record = appendToChain(chainKeys, end, entry);
    return (await tx.append(record)) ? record : undefined;
  });
}
