/** Entries, keys and filled trails for the audit use cases' unit tests. */
import { keyring, type TrailKeys } from '../domain/keyring.js';
import { recordEvent } from '../domain/record-event.js';
import type { AuditEntry } from '../domain/types.js';
import { fakeAuditStore } from './fake-audit-store.js';

export const TENANT = '0192f0a0-0000-7000-8000-000000000001';
export const OTHER_TENANT = '0192f0a0-0000-7000-8000-000000000002';

export const testKeys = (): TrailKeys => ({
  chain: keyring(Buffer.alloc(32, 1)),
  anchor: keyring(Buffer.alloc(32, 2)),
});

/** The n-th event of a tenant, occurring n minutes after 2030-01-07T05:00Z. */
export function entryOf(n: number, tenantId = TENANT): AuditEntry {
  return {
    tenantId,
    eventId: `0192f0a0-0000-7000-8000-${String(n).padStart(12, '0')}`,
    eventType: 'bill.created',
    source: 'billing',
    entityType: 'bill',
    entityId: `bill-${n}`,
    actorKind: 'service',
    actorId: 'billing',
    patientId: null,
    occurredAt: minute(n),
    traceId: '',
    data: { n },
  };
}

export const minute = (n: number) => new Date(Date.UTC(2030, 0, 7, 5, n));

/** A fake store holding `count` records of each tenant given. */
export async function filledTrail(keys: TrailKeys, count: number, tenants: string[] = [TENANT]) {
  const fake = fakeAuditStore();
  for (const tenantId of tenants) {
    for (let n = 1; n <= count; n += 1) await recordEvent(fake.store, keys.chain, entryOf(n, tenantId));
  }
  return fake;
}
