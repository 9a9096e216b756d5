import { createHash } from 'node:crypto';
import { canonicalJson } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import { appendToChain, CHAIN_START, chainHash, checkChainEnd, GENESIS_HASH, verifyChain } from './hash-chain.js';
import { keyring } from './keyring.js';
import type { AuditEntry, ChainedEntry } from './types.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const keys = keyring(Buffer.alloc(32, 1));

function entry(n: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    tenantId,
    eventId: `0192f0a0-0000-7000-8000-${String(100 + n).padStart(12, '0')}`,
    eventType: 'appointment.booked',
    source: 'appointments',
    entityType: 'appointment',
    entityId: `0192f0a0-0000-7000-9000-${String(n).padStart(12, '0')}`,
    actorKind: 'user',
    actorId: 'nurse-1',
    patientId: '0192f0a0-0000-7000-a000-000000000001',
    occurredAt: new Date(Date.UTC(2030, 0, 7, 5, n)),
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    data: { appointmentId: 'a', startsAt: '2030-01-07T05:00:00.000Z', fees: { consultation: 50_000, hospital: n } },
    ...overrides,
  };
}

function chainOf(count: number): ChainedEntry[] {
  const records: ChainedEntry[] = [];
  let end = CHAIN_START;
  for (let n = 1; n <= count; n += 1) {
    const record = appendToChain(keys, end, entry(n));
    records.push(record);
    end = { seq: record.seq, hash: record.hash };
  }
  return records;
}

describe('canonicalJson', () => {
  it('orders keys at every depth and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: true, e: null }], c: 'x' }, z: undefined })).toBe(
      '{"a":{"c":"x","d":[2,{"e":null,"f":true}]},"b":1}',
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });
});

describe('appendToChain', () => {
  it('starts at seq 1 from the genesis hash and links each record to the one before', () => {
    const [first, second] = chainOf(2);
    expect(first!.seq).toBe(1);
    expect(first!.prevHash).toBe(GENESIS_HASH);
    expect(first!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second!.seq).toBe(2);
    expect(second!.prevHash).toBe(first!.hash);
    expect(second!.hash).toBe(chainHash(keys.current, first!.hash, 2, entry(2)));
    expect(second!.keyId).toBe(keys.current.id);
  });

  it('hashes the same content the same whatever the key order of its data', () => {
    const a = appendToChain(keys, CHAIN_START, entry(1, { data: { x: 1, y: { p: 'q', r: 's' } } }));
    const b = appendToChain(keys, CHAIN_START, entry(1, { data: { y: { r: 's', p: 'q' }, x: 1 } }));
    expect(a.hash).toBe(b.hash);
  });

  it('seals with the key: another key gives another hash, and neither is a plain SHA-256', () => {
    const other = keyring(Buffer.alloc(32, 2));
    const a = appendToChain(keys, CHAIN_START, entry(1));
    const b = appendToChain(other, CHAIN_START, entry(1));
    expect(a.hash).not.toBe(b.hash);
    expect(a.keyId).not.toBe(b.keyId);
    const unkeyed = createHash('sha256').update(GENESIS_HASH).update('\n').digest('hex');
    expect(a.hash).not.toBe(unkeyed);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and reports its end', () => {
    const records = chainOf(5);
    expect(verifyChain(records, keys)).toEqual({ intact: true, end: { seq: 5, hash: records[4]!.hash } });
    expect(verifyChain([], keys)).toEqual({ intact: true, end: CHAIN_START });
  });

  it('continues from where an earlier batch ended', () => {
    const records = chainOf(6);
    const head = verifyChain(records.slice(0, 3), keys);
    expect(head.intact).toBe(true);
    if (!head.intact) return;
    expect(verifyChain(records.slice(3), keys, { from: head.end })).toEqual({
      intact: true,
      end: { seq: 6, hash: records[5]!.hash },
    });
    // The second half on its own does not start a chain.
    expect(verifyChain(records.slice(3), keys)).toMatchObject({ intact: false, brokenSeq: 1 });
  });

  const changes: [string, (r: ChainedEntry) => ChainedEntry][] = [
    ['tenantId', (r) => ({ ...r, tenantId: '0192f0a0-0000-7000-8000-000000000002' })],
    ['eventId', (r) => ({ ...r, eventId: '0192f0a0-0000-7000-8000-000000000999' })],
    ['eventType', (r) => ({ ...r, eventType: 'appointment.cancelled' })],
    ['source', (r) => ({ ...r, source: 'billing' })],
    ['entityType', (r) => ({ ...r, entityType: 'bill' })],
    ['entityId', (r) => ({ ...r, entityId: 'other' })],
    ['actorKind', (r) => ({ ...r, actorKind: 'system' })],
    ['actorId', (r) => ({ ...r, actorId: 'nurse-2' })],
    ['patientId', (r) => ({ ...r, patientId: null })],
    ['occurredAt', (r) => ({ ...r, occurredAt: new Date(r.occurredAt.getTime() + 1) })],
    ['traceId', (r) => ({ ...r, traceId: '' })],
    ['data (nested value)', (r) => ({ ...r, data: { ...r.data, fees: { consultation: 1, hospital: 3 } } })],
    ['data (added member)', (r) => ({ ...r, data: { ...r.data, note: 'x' } })],
    ['seq', (r) => ({ ...r, seq: r.seq + 10 })],
    ['prevHash', (r) => ({ ...r, prevHash: 'f'.repeat(64) })],
    ['hash', (r) => ({ ...r, hash: 'e'.repeat(64) })],
    ['keyId', (r) => ({ ...r, keyId: '0'.repeat(16) })],
  ];
  it.each(changes)('reports the record whose %s was changed', (_field, change) => {
    const records = chainOf(5);
    records[2] = change(records[2]!);
    expect(verifyChain(records, keys)).toMatchObject({ intact: false, brokenSeq: 3 });
  });

  it('names a changed record as altered, and a changed key id as an unknown key', () => {
    const records = chainOf(5);
    expect(verifyChain(records.with(2, { ...records[2]!, actorId: 'intruder' }), keys)).toMatchObject({
      intact: false,
      brokenSeq: 3,
      problem: 'altered-record',
    });
    expect(verifyChain(records.with(2, { ...records[2]!, keyId: 'f'.repeat(16) }), keys)).toMatchObject({
      brokenSeq: 3,
      problem: 'unknown-key',
    });
  });

  it('reports a record whose content and hash were both rewritten at the next record', () => {
    const records = chainOf(5);
    const forged = { ...records[2]!, actorId: 'intruder' };
    records[2] = { ...forged, hash: chainHash(keys.current, forged.prevHash, forged.seq, forged) };
    expect(verifyChain(records, keys)).toMatchObject({ intact: false, brokenSeq: 4, problem: 'broken-link' });
  });

  it('finds a chain recomputed without the key, whether as plain SHA-256 or under another key', () => {
    const records = chainOf(4);
    let prev = GENESIS_HASH;
    const plain = records.map((r) => {
      const hash = createHash('sha256')
        .update(prev)
        .update('\n')
        .update(canonicalJson({ ...r, prevHash: undefined, hash: undefined }))
        .digest('hex');
      const out = { ...r, prevHash: prev, hash };
      prev = hash;
      return out;
    });
    expect(verifyChain(plain, keys)).toMatchObject({ intact: false, brokenSeq: 1, problem: 'altered-record' });

    const wrongKey = keyring(Buffer.alloc(32, 9));
    let end = CHAIN_START;
    const rekeyed = records.map((r) => {
      const out = appendToChain(wrongKey, end, r);
      end = { seq: out.seq, hash: out.hash };
      return out;
    });
    expect(verifyChain(rekeyed, keys)).toMatchObject({ intact: false, brokenSeq: 1, problem: 'unknown-key' });
    // The same forgery claiming the real key's id still fails its HMAC.
    const claimed = rekeyed.map((r) => ({ ...r, keyId: keys.current.id }));
    expect(verifyChain(claimed, keys)).toMatchObject({ intact: false, brokenSeq: 1, problem: 'altered-record' });
  });

  it('verifies records sealed with a retired key, and names a record without a key', () => {
    const oldKey = Buffer.alloc(32, 3);
    const before = keyring(oldKey);
    const after = keyring(Buffer.alloc(32, 4), [oldKey]);
    const first = appendToChain(before, CHAIN_START, entry(1));
    const second = appendToChain(after, { seq: 1, hash: first.hash }, entry(2));
    expect(second.keyId).not.toBe(first.keyId);
    expect(verifyChain([first, second], after)).toMatchObject({ intact: true, end: { seq: 2 } });
    expect(verifyChain([first, second], keyring(Buffer.alloc(32, 4)))).toMatchObject({
      brokenSeq: 1,
      problem: 'unknown-key',
    });
    expect(verifyChain([{ ...first, keyId: '' }], before)).toMatchObject({
      brokenSeq: 1,
      problem: 'unknown-key',
      reason: expect.stringMatching(/names no chain key/),
    });
  });

  it('reports reordered, missing and repeated records', () => {
    const records = chainOf(5);
    expect(verifyChain([records[0]!, records[2]!, records[1]!, records[3]!, records[4]!], keys)).toMatchObject({
      intact: false,
      brokenSeq: 2,
      problem: 'missing-record',
    });
    expect(verifyChain([records[0]!, records[1]!, records[3]!, records[4]!], keys)).toMatchObject({
      intact: false,
      brokenSeq: 3,
      problem: 'missing-record',
      reason: 'record 3 is missing: the record after seq 2 has seq 4',
    });
    expect(verifyChain([records[0]!, records[4]!], keys)).toMatchObject({
      brokenSeq: 2,
      reason: 'records 2 to 4 are missing: the record after seq 1 has seq 5',
    });
    expect(verifyChain([records[0]!, records[1]!, records[1]!, records[2]!], keys)).toMatchObject({
      intact: false,
      brokenSeq: 2,
      problem: 'extra-record',
    });
  });

  it('holds each record to the hash a checkpoint anchored at its seq', () => {
    const records = chainOf(4);
    const anchoredAt = new Date('2030-01-07T06:00:00.000Z');
    const anchors = new Map([[3, { seq: 3, hash: records[2]!.hash, anchoredAt }]]);
    expect(verifyChain(records, keys, { anchors })).toMatchObject({ intact: true });
    const other = new Map([[3, { seq: 3, hash: 'a'.repeat(64), anchoredAt }]]);
    expect(verifyChain(records, keys, { anchors: other })).toMatchObject({
      intact: false,
      brokenSeq: 3,
      problem: 'checkpoint-mismatch',
      reason: expect.stringContaining('2030-01-07T06:00:00.000Z'),
    });
  });

  it('reports contents swapped between two records that kept their seqs', () => {
    const records = chainOf(4);
    const [second, third] = [records[1]!, records[2]!];
    records[1] = { ...third, seq: 2, prevHash: second.prevHash, hash: second.hash };
    records[2] = { ...second, seq: 3, prevHash: third.prevHash, hash: third.hash };
    expect(verifyChain(records, keys)).toMatchObject({ intact: false, brokenSeq: 2 });
  });
});

describe('checkChainEnd', () => {
  const records = chainOf(3);
  const end = { seq: 3, hash: records[2]!.hash };
  const anchoredAt = new Date('2030-01-07T06:00:00.000Z');

  it('accepts a chain that ends at its head, and an empty chain without one', () => {
    expect(checkChainEnd(end, end)).toEqual({ intact: true, end });
    expect(checkChainEnd(end, end, { ...end, anchoredAt })).toEqual({ intact: true, end });
    expect(checkChainEnd(CHAIN_START, undefined)).toEqual({ intact: true, end: CHAIN_START });
  });

  it('reports records cut off the end, records past the head and a head that does not match', () => {
    expect(checkChainEnd({ seq: 2, hash: records[1]!.hash }, end)).toMatchObject({
      intact: false,
      brokenSeq: 3,
      problem: 'truncated',
    });
    expect(checkChainEnd(end, { seq: 2, hash: records[1]!.hash })).toMatchObject({
      intact: false,
      brokenSeq: 3,
      problem: 'head-mismatch',
    });
    expect(checkChainEnd(end, undefined)).toMatchObject({ intact: false, brokenSeq: 1, problem: 'head-mismatch' });
    expect(checkChainEnd(end, { seq: 3, hash: 'a'.repeat(64) })).toMatchObject({
      intact: false,
      brokenSeq: 3,
      problem: 'head-mismatch',
    });
  });

  it('reports records cut off behind a checkpoint, even with the head moved back to match', () => {
    const cutTo = { seq: 2, hash: records[1]!.hash };
    expect(checkChainEnd(cutTo, cutTo, { ...end, anchoredAt })).toMatchObject({
      intact: false,
      brokenSeq: 3,
      problem: 'truncated',
      reason: expect.stringContaining('checkpoint of 2030-01-07T06:00:00.000Z anchored seq 3'),
    });
  });
});
