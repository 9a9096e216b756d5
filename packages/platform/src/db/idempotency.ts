/**
 * Idempotency keys on the write path. A request that creates something claims
 * its key in the same transaction as the change and stores its result there:
 *
 * - first time: the claim succeeds, the change runs, the result is stored, all
 *   committed together (or none of it);
 * - a retry with the same request: its claim waits for the first transaction to
 *   commit, then finds the stored result and returns it unchanged;
 * - the same key with a different request: refused (FailedPrecondition, 422 at
 *   the REST edge), whatever the first result was.
 *
 * Because the claim is the first write of the transaction, concurrent copies of
 * one request are decided by the key alone, never by whichever of the
 * change's own unique indexes the database happens to check first.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';
import { FailedPreconditionError } from '../errors.js';
import type { Transaction } from './database.js';

export interface IdempotencyClaim {
  /** What the key is for, e.g. "BookAppointment": one key may serve different operations. */
  operation: string;
  key: string;
  /** SHA-256 of the canonical request (requestFingerprint). */
  fingerprint: string;
}

/** The fingerprint of a request: its canonical JSON, hashed; field order and spacing do not matter. */
export function requestFingerprint(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/**
 * Claims the key in `tx`. Undefined when this transaction is the first to use
 * it (then store the result with `rememberResult`); the stored first result
 * when the same request was made before.
 */
export async function claimIdempotencyKey(tx: Transaction, claim: IdempotencyClaim): Promise<unknown> {
  const tenantId = requireTenant(tx);
  const claimed = await tx.query(
    `INSERT INTO idempotency_key (tenant_id, operation, key, fingerprint) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING RETURNING 1`,
    [tenantId, claim.operation, claim.key, claim.fingerprint],
  );
  if (claimed.length > 0) return undefined;
  const [earlier] = await tx.query<{ fingerprint: string; result: unknown }>(
    'SELECT fingerprint, result FROM idempotency_key WHERE tenant_id = $1 AND operation = $2 AND key = $3',
    [tenantId, claim.operation, claim.key],
  );
  if (!earlier || earlier.result === null) {
    // Pruned between the two statements, or claimed by a transaction that stored no result: a bug.
    throw new Error(`idempotency key ${claim.key} of ${claim.operation} has no stored result`);
  }
  if (earlier.fingerprint !== claim.fingerprint) {
    throw new FailedPreconditionError('this idempotency key was already used for a different request', [
      { field: 'Idempotency-Key', message: 'reused with a different request; use a new key for a new request' },
    ]);
  }
  return earlier.result;
}

/** Stores the result of the request that claimed the key, in the same transaction. */
export async function rememberResult(tx: Transaction, claim: IdempotencyClaim, result: unknown): Promise<void> {
  const updated = await tx.execute(
    'UPDATE idempotency_key SET result = $4 WHERE tenant_id = $1 AND operation = $2 AND key = $3',
    [requireTenant(tx), claim.operation, claim.key, JSON.stringify(result)],
  );
  if (updated !== 1) throw new Error(`idempotency key ${claim.key} of ${claim.operation} was not claimed`);
}

function requireTenant(tx: Transaction): string {
  if (!tx.tenantId) throw new Error('idempotency keys belong to a tenant: use a tenant-scoped transaction');
  return tx.tenantId;
}
