import { EVENTS } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { fakeQueueStore } from '../testing/fake-queue-store.js';
import { joinQueue } from './join-queue.js';
import type { QueueJoin } from './types.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const doctorId = '0192f0a0-0000-7000-8000-00000000000d';

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
  it('gives tokens 1, 2, 3 in arrival order, each at the end of the line, announced once each', async () => {
    const { store, entries, events } = fakeQueueStore();
    const newId = ids();
    const placed = [];
    for (const n of [1, 2, 3]) placed.push(await joinQueue({ store, newId }, join(n)));
    expect(placed.map((p) => [p!.tokenNumber, p!.position, p!.status])).toEqual([
      [1, 1, 'WAITING'],
      [2, 2, 'WAITING'],
      [3, 3, 'WAITING'],
    ]);
    expect(entries).toHaveLength(3);
    expect(events.map((e) => [e.def, e.key, e.subject])).toEqual(
      placed.map((p) => [EVENTS.queueTokenIssued, `${tenantId}:${doctorId}:2030-01-07`, `queue-entry/${p!.id}`]),
    );
    expect(events[2]!.data).toMatchObject({ tokenNumber: 3, position: 3, appointmentId: join(3).appointmentId });
  });

  it('queues an appointment once: joining again changes nothing and announces nothing', async () => {
    const { store, entries, events } = fakeQueueStore();
    const newId = ids();
    await joinQueue({ store, newId }, join(1));
    expect(await joinQueue({ store, newId }, join(1))).toBeUndefined();
    expect(entries).toHaveLength(1);
    expect(events).toHaveLength(1);
    // The token was not spent: the next patient gets 2.
    expect((await joinQueue({ store, newId }, join(2)))!.tokenNumber).toBe(2);
  });

  it('counts tokens per doctor and day, and per tenant', async () => {
    const { store } = fakeQueueStore();
    const newId = ids();
    const other = '0192f0a0-0000-7000-8000-0000000000ff';
    const tokens = [
      await joinQueue({ store, newId }, join(1)),
      await joinQueue({ store, newId }, join(2, { serviceDate: '2030-01-08' })),
      await joinQueue({ store, newId }, join(3, { doctorId: other })),
      await joinQueue({ store, newId }, join(4, { tenantId: other })),
    ].map((p) => p!.tokenNumber);
    expect(tokens).toEqual([1, 1, 1, 1]);
  });
});
