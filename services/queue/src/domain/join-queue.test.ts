import { EVENTS } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { fakeQueueStore } from '../testing/fake-queue-store.js';
import { joinQueue, joinWalkIn } from './join-queue.js';
import type { QueueJoin } from './types.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const doctorId = '0192f0a0-0000-7000-8000-00000000000d';
const now = () => new Date('2030-01-07T06:00:00Z');

function join(n: number, overrides: Partial<QueueJoin> = {}): QueueJoin {
  return {
    tenantId,
    doctorId,
    serviceDate: '2030-01-07',
    timeZone: 'Asia/Kolkata',
    appointmentId: `0192f0a0-0000-7000-9000-${String(n).padStart(12, '0')}`,
    patientId: `0192f0a0-0000-7000-a000-${String(n).padStart(12, '0')}`,
    joinedAt: new Date(Date.UTC(2030, 0, 7, 4, n)),
    traceId: `trace-${n}`,
    ...overrides,
  };
}

const ids = () => {
  let n = 0;
  return () => `entry-${(n += 1)}`;
};

describe('joinQueue', () => {
  it('gives tokens 1, 2, 3 in arrival order, each at the end of the line, announced and logged once each', async () => {
    const { store, entries, events, changes } = fakeQueueStore();
    const deps = { store, newId: ids(), now };
    const placed = [];
    for (const n of [1, 2, 3]) placed.push(await joinQueue(deps, join(n)));
    expect(placed.map((p) => [p!.tokenNumber, p!.position, p!.status])).toEqual([
      [1, 1, 'WAITING'],
      [2, 2, 'WAITING'],
      [3, 3, 'WAITING'],
    ]);
    expect(entries.size).toBe(3);
    expect(events.map((e) => [e.def, e.key, e.subject])).toEqual(
      placed.map((p) => [EVENTS.queueTokenIssued, `${tenantId}:${doctorId}:2030-01-07`, `queue-entry/${p!.id}`]),
    );
    expect(events[2]!.data).toMatchObject({ tokenNumber: 3, position: 3, seq: 3, walkIn: false });
    expect(changes.map((c) => [c.seq, c.type, c.line.map((l) => l.tokenNumber)])).toEqual([
      [1, 'queue.token_issued', [1]],
      [2, 'queue.token_issued', [1, 2]],
      [3, 'queue.token_issued', [1, 2, 3]],
    ]);
    // Each waiting patient carries an estimated call time, one consultation apart.
    expect(placed[2]!.estimatedCallAt!.getTime() - now().getTime()).toBe(2 * 600_000);
  });

  it('queues an appointment once: joining again changes nothing and announces nothing', async () => {
    const { store, entries, events } = fakeQueueStore();
    const deps = { store, newId: ids(), now };
    await joinQueue(deps, join(1));
    expect(await joinQueue(deps, join(1))).toBeUndefined();
    expect(entries.size).toBe(1);
    expect(events).toHaveLength(1);
    expect((await joinQueue(deps, join(2)))!.tokenNumber).toBe(2);
  });

  it('counts tokens per doctor and day, and per tenant', async () => {
    const { store } = fakeQueueStore();
    const deps = { store, newId: ids(), now };
    const other = '0192f0a0-0000-7000-8000-0000000000ff';
    const tokens = [
      await joinQueue(deps, join(1)),
      await joinQueue(deps, join(2, { serviceDate: '2030-01-08' })),
      await joinQueue(deps, join(3, { doctorId: other })),
      await joinQueue(deps, join(4, { tenantId: other })),
    ].map((p) => p!.tokenNumber);
    expect(tokens).toEqual([1, 1, 1, 1]);
  });
});

describe('joinWalkIn', () => {
  const walkIn = (key: string | undefined, priority: 'NORMAL' | 'EMERGENCY' = 'NORMAL') => ({
    tenantId,
    doctorId,
    timeZone: 'Asia/Kolkata',
    patientId: '0192f0a0-0000-7000-a000-000000000099',
    priority,
    traceId: '',
    idempotency: key ? { operation: 'JoinWalkIn', key, fingerprint: `f-${priority}` } : undefined,
  });

  it("joins today's queue in the clinic's zone without an appointment, by priority", async () => {
    const { store, events } = fakeQueueStore();
    const deps = { store, newId: ids(), now };
    await joinQueue(deps, join(1));
    const { entry } = await joinWalkIn(deps, walkIn(undefined, 'EMERGENCY'));
    expect(entry).toMatchObject({ tokenNumber: 2, position: 1, appointmentId: undefined, priority: 'EMERGENCY' });
    // 06:00 UTC is 11:30 in Kolkata, still the 7th.
    expect(entry.serviceDate).toBe('2030-01-07');
    expect(events.at(-1)!.data).toMatchObject({ walkIn: true, priority: 'EMERGENCY', appointmentId: '' });
  });

  it('answers a retry with the same key with the first token', async () => {
    const { store, entries } = fakeQueueStore();
    const deps = { store, newId: ids(), now };
    const first = await joinWalkIn(deps, walkIn('k1'));
    const again = await joinWalkIn(deps, walkIn('k1'));
    expect(again.replayed).toBe(true);
    expect(again.entry.id).toBe(first.entry.id);
    expect(again.entry.joinedAt).toEqual(first.entry.joinedAt);
    expect(entries.size).toBe(1);
  });
});
