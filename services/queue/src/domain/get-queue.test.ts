import { describe, expect, it } from 'vitest';
import { getQueue } from './get-queue.js';
import type { QueueStore } from './queue-store.js';
import type { QueueEntry } from './types.js';

const tenantId = 't1';
const doctorId = 'd1';

function entryOf(tokenNumber: number, serviceDate: string, status: QueueEntry['status'] = 'WAITING'): QueueEntry {
  return {
    id: `e${tokenNumber}`,
    tenantId,
    doctorId,
    serviceDate,
    appointmentId: `a${tokenNumber}`,
    patientId: `p${tokenNumber}`,
    tokenNumber,
    priority: 0,
    status,
    joinedAt: new Date('2030-01-07T04:00:00Z'),
    traceId: '',
  };
}

/** A store over fixed data that remembers which days were asked for. */
function storeWith(timeZone: string | undefined, entries: QueueEntry[]) {
  const asked: string[] = [];
  const store: QueueStore = {
    async change() {
      throw new Error('reads only');
    },
    async latestTimeZone(t, d) {
      return t === tenantId && d === doctorId ? timeZone : undefined;
    },
    async listEntries(t, d, serviceDate) {
      asked.push(serviceDate);
      return entries.filter((e) => e.tenantId === t && e.doctorId === d && e.serviceDate === serviceDate);
    },
  };
  return { store, asked };
}

// 2030-01-07 20:00 UTC is already 2030-01-08 in Kolkata.
const now = () => new Date('2030-01-07T20:00:00Z');

describe('getQueue', () => {
  it('returns the asked day in calling order with positions', async () => {
    const { store } = storeWith('Asia/Kolkata', [
      entryOf(2, '2030-01-07'),
      entryOf(1, '2030-01-07', 'IN_CONSULTATION'),
      entryOf(3, '2030-01-07'),
    ]);
    const queue = await getQueue({ store, now }, { tenantId, doctorId, serviceDate: '2030-01-07' });
    expect(queue.serviceDate).toBe('2030-01-07');
    expect(queue.entries.map((e) => [e.tokenNumber, e.position])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
    ]);
  });

  it("takes today in the doctor's latest known time zone when no day is given", async () => {
    const { store, asked } = storeWith('Asia/Kolkata', [entryOf(1, '2030-01-08')]);
    const queue = await getQueue({ store, now }, { tenantId, doctorId, serviceDate: undefined });
    expect(asked).toEqual(['2030-01-08']);
    expect(queue.serviceDate).toBe('2030-01-08');
    expect(queue.entries.map((e) => e.id)).toEqual(['e1']);
  });

  it('takes today in UTC for a doctor the queue has not seen, and answers an empty queue', async () => {
    const { store } = storeWith(undefined, []);
    const queue = await getQueue({ store, now }, { tenantId, doctorId: 'someone-else', serviceDate: undefined });
    expect(queue).toEqual({ doctorId: 'someone-else', serviceDate: '2030-01-07', entries: [] });
  });

  it('falls back to UTC when the stored time zone is not one', async () => {
    const { store } = storeWith('Mars/Olympus_Mons', []);
    const queue = await getQueue({ store, now }, { tenantId, doctorId, serviceDate: undefined });
    expect(queue.serviceDate).toBe('2030-01-07');
  });
});
