/**
 * The secret keys the trail is sealed with. Two keyrings: the chain's (an
 * HMAC in every record) and the anchors' (the signature of every checkpoint),
 * so that holding one is not enough to forge the other.
 *
 * A key is known by an id derived from it (a fingerprint), so a record names
 * its key without anyone managing ids, and keys can rotate: the current key
 * seals, the retired ones still verify what they sealed.
 */
import { createHash } from 'node:crypto';

export interface SecretKey {
  /** 16 hex digits, derived from the key; safe to store beside what it sealed. */
  readonly id: string;
  readonly secret: Buffer;
}

export interface Keyring {
  /** Seals everything new. */
  readonly current: SecretKey;
  /** The key with this id, current or retired; undefined for a key this keyring does not hold. */
  byId(id: string): SecretKey | undefined;
}

/** Shortest key accepted: 256 bits, the size of HMAC-SHA256's output. */
export const MIN_KEY_BYTES = 32;

export function keyIdOf(secret: Buffer): string {
  return createHash('sha256').update('hms audit key id\n').update(secret).digest('hex').slice(0, 16);
}

export function secretKey(secret: Buffer): SecretKey {
  if (secret.length < MIN_KEY_BYTES) {
    throw new RangeError(`a key needs at least ${MIN_KEY_BYTES} bytes, this one has ${secret.length}`);
  }
  return { id: keyIdOf(secret), secret };
}

export function keyring(current: Buffer, retired: readonly Buffer[] = []): Keyring {
  const currentKey = secretKey(current);
  const byId = new Map<string, SecretKey>();
  for (const secret of retired) {
    const key = secretKey(secret);
    byId.set(key.id, key);
  }
  byId.set(currentKey.id, currentKey);
  return { current: currentKey, byId: (id) => byId.get(id) };
}

/** The two keyrings of a trail. */
export interface TrailKeys {
  chain: Keyring;
  anchor: Keyring;
}
