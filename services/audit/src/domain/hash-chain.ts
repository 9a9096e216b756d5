/**
 * The tenant's hash chain, which makes the trail tamper-evident: every record
 * carries an HMAC-SHA256, under a secret chain key, of its predecessor's hash
 * and of its own content. Changing, removing, inserting or reordering records
 * breaks the chain from that record on; without the key nobody can compute
 * the hashes again to hide it. The chain head (the last seq and hash, kept
 * apart) catches records cut off the end, and signed checkpoints
 * (checkpoint.ts) catch what the head cannot: a head moved back with the
 * records behind it, or a chain rewritten by someone who holds the chain key.
 */
import { createHmac } from 'node:crypto';
import { canonicalJson } from '@hms/platform/domain';
import type { Keyring, SecretKey } from './keyring.js';
import type { AuditEntry, ChainedEntry } from './types.js';

/** The prev_hash of a tenant's first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** A point in a chain: the seq of a record and its hash. */
export interface ChainLink {
  seq: number;
  hash: string;
}

/** Before the first record. */
export const CHAIN_START: ChainLink = Object.freeze({ seq: 0, hash: GENESIS_HASH });

/** How a chain can be found broken; each names what was done to it, as far as the chain can tell. */
export type ChainProblem =
  /** A seq is absent: a record was deleted (or its partition truncated). */
  | 'missing-record'
  /** A seq appears a second time: a record was inserted. */
  | 'extra-record'
  /** The record's hash is not the HMAC of its content: the record was changed, or hashed without the key. */
  | 'altered-record'
  /** prev_hash is not the hash of the record before. */
  | 'broken-link'
  /** The record names no key, or a key this service does not hold. */
  | 'unknown-key'
  /** The record at a checkpoint's seq no longer has the hash the checkpoint anchored: the chain was rewritten. */
  | 'checkpoint-mismatch'
  /** A checkpoint's signature does not verify under the anchor keys. */
  | 'forged-checkpoint'
  /** The records end before the chain head or a checkpoint says they reach: records were cut off the end. */
  | 'truncated'
  /** The chain head lags behind the records, or names another hash: the head was moved. */
  | 'head-mismatch';

export interface ChainBreak {
  /** The first seq at which the chain does not hold. */
  brokenSeq: number;
  problem: ChainProblem;
  /** The same, in words, with what was expected and found. */
  reason: string;
}

export type ChainVerdict = { intact: true; end: ChainLink } | ({ intact: false } & ChainBreak);

/** What a checkpoint vouches for, as verification uses it (its signature already checked). */
export interface Anchor {
  seq: number;
  hash: string;
  anchoredAt: Date;
}

/** Hex HMAC-SHA256 under `key` over the previous hash and the canonical JSON of the record's content. */
export function chainHash(key: SecretKey, prevHash: string, seq: number, entry: AuditEntry): string {
  const content = {
    tenantId: entry.tenantId,
    seq,
    keyId: key.id,
    eventId: entry.eventId,
    eventType: entry.eventType,
    source: entry.source,
    entityType: entry.entityType,
    entityId: entry.entityId,
    actorKind: entry.actorKind,
    actorId: entry.actorId,
    patientId: entry.patientId,
    occurredAt: entry.occurredAt.toISOString(),
    traceId: entry.traceId,
    data: entry.data,
  };
  return createHmac('sha256', key.secret).update(prevHash).update('\n').update(canonicalJson(content)).digest('hex');
}

/** The entry as the record after `end`, sealed with the keyring's current key. */
export function appendToChain(keys: Keyring, end: ChainLink, entry: AuditEntry): ChainedEntry {
  const seq = end.seq + 1;
  const key = keys.current;
  return { ...entry, seq, keyId: key.id, prevHash: end.hash, hash: chainHash(key, end.hash, seq, entry) };
}

const broken = (brokenSeq: number, problem: ChainProblem, reason: string): ChainVerdict => ({
  intact: false,
  brokenSeq,
  problem,
  reason,
});

/**
 * Checks records given in chain order, continuing from `from` (so a long chain
 * can be checked batch by batch). Reports the first seq at which the chain
 * does not hold: a record missing, repeated or out of place, sealed with a
 * key not held, linked to another hash than its predecessor's, whose HMAC
 * does not match its content, or whose hash is not the one a checkpoint at
 * its seq anchored.
 */
export function verifyChain(
  records: readonly ChainedEntry[],
  keys: Keyring,
  options: { from?: ChainLink; anchors?: ReadonlyMap<number, Anchor> } = {},
): ChainVerdict {
  let end = options.from ?? CHAIN_START;
  for (const record of records) {
    const expected = end.seq + 1;
    if (record.seq > expected) {
      const gap =
        record.seq === expected + 1 ? `record ${expected} is` : `records ${expected} to ${record.seq - 1} are`;
      return broken(
        expected,
        'missing-record',
        `${gap} missing: the record after seq ${end.seq} has seq ${record.seq}`,
      );
    }
    if (record.seq < expected) {
      return broken(
        record.seq,
        'extra-record',
        `a second record claims seq ${record.seq} (event ${record.eventId}) after the chain reached seq ${end.seq}`,
      );
    }
    const key = keys.byId(record.keyId);
    if (!key) {
      return broken(
        record.seq,
        'unknown-key',
        record.keyId
          ? `record ${record.seq} names chain key ${record.keyId}, which is not one of this service's chain keys`
          : `record ${record.seq} names no chain key: it was not sealed by this service's keyed chain`,
      );
    }
    if (record.prevHash !== end.hash) {
      return broken(record.seq, 'broken-link', `record ${record.seq}'s prev_hash is not the hash of record ${end.seq}`);
    }
    if (record.hash !== chainHash(key, record.prevHash, record.seq, record)) {
      return broken(
        record.seq,
        'altered-record',
        `record ${record.seq}'s hash is not the HMAC of its content under chain key ${key.id}: the record was changed, or hashed without the key`,
      );
    }
    const anchor = options.anchors?.get(record.seq);
    if (anchor && anchor.hash !== record.hash) {
      return broken(
        record.seq,
        'checkpoint-mismatch',
        `record ${record.seq} is not the record the checkpoint of ${anchor.anchoredAt.toISOString()} anchored: the chain up to it was rewritten`,
      );
    }
    end = { seq: record.seq, hash: record.hash };
  }
  return { intact: true, end };
}

/**
 * Whether a verified chain ends where it must: at its head (none: an empty
 * chain), and no earlier than its newest checkpoint.
 */
export function checkChainEnd(end: ChainLink, head: ChainLink | undefined, newest?: Anchor): ChainVerdict {
  const expected = head ?? CHAIN_START;
  if (newest && end.seq < newest.seq) {
    return broken(
      end.seq + 1,
      'truncated',
      `the records end at seq ${end.seq}, but the checkpoint of ${newest.anchoredAt.toISOString()} anchored seq ${newest.seq}: records were cut off the end`,
    );
  }
  if (end.seq < expected.seq) {
    return broken(
      end.seq + 1,
      'truncated',
      `the chain head is at seq ${expected.seq}, but the records end at seq ${end.seq}: records were cut off the end`,
    );
  }
  if (end.seq > expected.seq) {
    return broken(
      expected.seq + 1,
      'head-mismatch',
      `the chain head is at seq ${expected.seq}, behind the anchored records that go on to seq ${end.seq}: the head was moved back`,
    );
  }
  if (end.hash !== expected.hash) {
    return broken(end.seq, 'head-mismatch', `the chain head names another hash than record ${end.seq}'s`);
  }
  return { intact: true, end };
}
