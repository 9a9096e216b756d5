/**
 * Checkpoints: signed statements that a tenant's chain reached a seq with a
 * hash at a time. They are written at a fixed interval by a role that alone
 * may add them, in a schema the audit service's own login cannot write, and
 * signed with the anchor key, which is not the chain key. So:
 * - records cut off the end, with the head moved back, are found (the records
 *   end before a checkpoint);
 * - a chain rewritten from its first record by someone who holds the chain
 *   key (or none) is found (the record at a checkpoint's seq has another hash);
 * - a checkpoint cannot be forged without the anchor key.
 */
import { createHmac } from 'node:crypto';
import { canonicalJson } from '@hms/platform/domain';
import type { Anchor, ChainLink } from './hash-chain.js';
import type { Keyring, SecretKey } from './keyring.js';

export interface Checkpoint extends Anchor {
  tenantId: string;
  /** The id of the anchor key that signed it. */
  keyId: string;
  /** Hex HMAC-SHA256 of the rest under that key. */
  signature: string;
}

function signature(key: SecretKey, cp: Omit<Checkpoint, 'keyId' | 'signature'>): string {
  const statement = canonicalJson({
    kind: 'hms.audit.checkpoint.v1',
    tenantId: cp.tenantId,
    seq: cp.seq,
    hash: cp.hash,
    anchoredAt: cp.anchoredAt.toISOString(),
    keyId: key.id,
  });
  return createHmac('sha256', key.secret).update(statement).digest('hex');
}

export function signCheckpoint(keys: Keyring, tenantId: string, link: ChainLink, anchoredAt: Date): Checkpoint {
  const key = keys.current;
  const cp = { tenantId, seq: link.seq, hash: link.hash, anchoredAt };
  return { ...cp, keyId: key.id, signature: signature(key, cp) };
}

/** Why a checkpoint cannot be trusted, or undefined when its signature verifies under one of `keys`. */
export function checkpointFlaw(keys: Keyring, cp: Checkpoint): string | undefined {
  const key = keys.byId(cp.keyId);
  if (!key) return `the checkpoint at seq ${cp.seq} names anchor key ${cp.keyId}, which is not one of the anchor keys`;
  if (signature(key, cp) !== cp.signature) {
    return `the signature of the checkpoint at seq ${cp.seq} (${cp.anchoredAt.toISOString()}) does not verify: it was forged or changed`;
  }
  return undefined;
}
