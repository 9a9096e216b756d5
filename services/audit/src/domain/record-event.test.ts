import { describe, expect, it } from 'vitest';
import { fakeAuditStore } from '../testing/fake-audit-store.js';
import { GENESIS_HASH } from './hash-chain.js';
import { recordEvent } from './record-event.js';
import type { AuditEntry } from './types.js';
import { verifyTrail } from './verify-trail.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';

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
  it("appends each event as the next link of its tenant's chain, and verifies", async () => {
    const { store, records, heads } = fakeAuditStore();
    for (const n of [1, 2, 3]) await recordEvent(store, entry(n));
    await recordEvent(store, entry(4, '0192f0a0-0000-7000-8000-0000000000ff'));
    const mine = records.filter((r) => r.tenantId === tenantId);
    expect(mine.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(mine[0]!.prevHash).toBe(GENESIS_HASH);
    expect(mine[2]!.prevHash).toBe(mine[1]!.hash);
    expect(heads.get(tenantId)).toEqual({ seq: 3, hash: mine[2]!.hash });
    expect(await verifyTrail(store, tenantId)).toEqual({ intact: true, end: { seq: 3, hash: mine[2]!.hash } });
  });

  it('records an event once: a second delivery appends nothing and leaves the head alone', async () => {
    const { store, records, heads } = fakeAuditStore();
    await recordEvent(store, entry(1));
    const head = heads.get(tenantId);
    expect(await recordEvent(store, entry(1))).toBeUndefined();
    expect(records).toHaveLength(1);
    expect(heads.get(tenantId)).toEqual(head);
  });

  it('names the first broken link when a record was changed', async () => {
    const { store, records } = fakeAuditStore();
    for (const n of [1, 2, 3]) await recordEvent(store, entry(n));
    records[1] = { ...records[1]!, data: { n: 99 } };
    expect(await verifyTrail(store, tenantId)).toMatchObject({ intact: false, brokenSeq: 2 });
  });
});
