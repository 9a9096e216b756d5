import { describe, expect, it } from 'vitest';
import { fakeAuditStore } from '../testing/fake-audit-store.js';
import { GENESIS_HASH } from './hash-chain.js';
import { keyring, type TrailKeys } from './keyring.js';
import { recordEvent } from './record-event.js';
import type { AuditEntry } from './types.js';
import { verifyTrail } from './verify-trail.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const keys: TrailKeys = { chain: keyring(Buffer.alloc(32, 1)), anchor: keyring(Buffer.alloc(32, 2)) };

function entry(n: number, tenant = tenantId): AuditEntry {
  return {
    tenantId: tenant,
    eventId: `0192f0a0-0000-7000-8000-${String(100 + n).padStart(12, '0')}`,
    eventType: 'bill.created',
    source: 'billing',
    entityType: 'bill',
    entityId: `bill-${n}`,
    actorKind: 'service',
    actorId: 'billing',
    patientId: null,
    occurredAt: new Date(Date.UTC(2030, 0, 7, 5, n)),
    traceId: '',
    data: { n },
  };
}

describe('recordEvent', () => {
  it("appends each event as the next link of its tenant's chain, sealed with the current key, and verifies", async () => {
    const { store, records, heads } = fakeAuditStore();
    for (const n of [1, 2, 3]) await recordEvent(store, keys.chain, entry(n));
    await recordEvent(store, keys.chain, entry(4, '0192f0a0-0000-7000-8000-0000000000ff'));
    const mine = records.filter((r) => r.tenantId === tenantId);
    expect(mine.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(mine.map((r) => r.keyId)).toEqual([1, 2, 3].map(() => keys.chain.current.id));
    expect(mine[0]!.prevHash).toBe(GENESIS_HASH);
    expect(mine[2]!.prevHash).toBe(mine[1]!.hash);
    expect(heads.get(tenantId)).toEqual({ seq: 3, hash: mine[2]!.hash });
    expect(await verifyTrail(store, keys, { tenantId })).toMatchObject({ intact: true, checked: 3, lastSeq: 3 });
  });

  it('records an event once: a second delivery appends nothing and leaves the head alone', async () => {
    const { store, records, heads } = fakeAuditStore();
    await recordEvent(store, keys.chain, entry(1));
    const head = heads.get(tenantId);
    expect(await recordEvent(store, keys.chain, entry(1))).toBeUndefined();
    expect(records).toHaveLength(1);
    expect(heads.get(tenantId)).toEqual(head);
  });
});
