/**
 * The tenant's hash chain, which makes the trail tamper-evident: every record
 * carries the SHA-256 of its predecessor's hash and of its own content, so
 * changing, removing, inserting or reordering records breaks the chain from
 * that record on, and the chain head (the last seq and hash, kept apart)
 * catches records cut off the end.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '@hms/platform/domain';
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

export type ChainVerdict = { intact: true; end: ChainLink } | { intact: false; brokenSeq: number; reason: string };

/** Hex SHA-256 over the previous hash and the canonical JSON of the record's content. */
export function chainHash(prevHash: string, seq: number, entry: AuditEntry): string {
  const content = {
    tenantId: entry.tenantId,
    seq,
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
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(content)).digest('hex');
}

/** The entry as the record after `end`. */
export function appendToChain(end: ChainLink, entry: AuditEntry): ChainedEntry {
  const seq = end.seq + 1;
  return { ...entry, seq, prevHash: end.hash, hash: chainHash(end.hash, seq, entry) };
}

/**
 * Checks records given in chain order, continuing from `from` (so a long chain
 * can be checked batch by batch). Reports the first seq at which the chain
 * does not hold: a record missing, repeated or out of place, a prev_hash that
 * is not its predecessor's hash, or a hash that does not match the content.
 */
export function verifyChain(records: readonly ChainedEntry[], from: ChainLink = CHAIN_START): ChainVerdict {
  let end = from;
  for (const record of records) {
    const expected = end.seq + 1;
    if (record.seq !== expected) {
      return { intact: false, brokenSeq: expected, reason: `expected seq ${expected}, found seq ${record.seq}` };
    }
    if (record.prevHash !== end.hash) {
      return { intact: false, brokenSeq: record.seq, reason: 'prev_hash is not the hash of the record before' };
    }
    if (record.hash !== chainHash(record.prevHash, record.seq, record)) {
      return { intact: false, brokenSeq: record.seq, reason: "hash does not match the record's content" };
    }
    end = { seq: record.seq, hash: record.hash };
  }
  return { intact: true, end };
}

/** Whether a verified chain ends where its head says (no head: an empty chain). */
export function checkChainHead(end: ChainLink, head: ChainLink | undefined): ChainVerdict {
  const expected = head ?? CHAIN_START;
  if (end.seq < expected.seq) {
    return {
      intact: false,
      brokenSeq: end.seq + 1,
      reason: `the chain head is at seq ${expected.seq}, but the records end at seq ${end.seq}`,
    };
  }
  if (end.seq > expected.seq) {
    return {
      intact: false,
      brokenSeq: expected.seq + 1,
      reason: `records go on past the chain head at seq ${expected.seq}`,
    };
  }
  if (end.hash !== expected.hash) {
    return { intact: false, brokenSeq: end.seq, reason: 'the last record does not match the chain head' };
  }
  return { intact: true, end };
}
