import { InvalidArgumentError, type CallContext } from '@hms/platform';
import { describe, expect, it } from 'vitest';
import type { QueueStore } from '../domain/queue-store.js';
import type { QueueEntry } from '../domain/types.js';
import { queueHandlers } from './queue.handlers.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const doctorId = '0192f0a0-0000-7000-8000-00000000000d';
const ctx: CallContext = {
  tenantId,
  userId: 'u1',
  roles: [],
  permissions: [],
  quotas: {},
  requestId: 'r1',
  deadline: undefined,
};
const now = () => new Date('2030-01-07T20:00:00Z');

function entryOf(tokenNumber: number, status: QueueEntry['status'], priority = 0): QueueEntry {
  return {
    id: `e${tokenNumber}`,
    tenantId,
    doctorId,
    serviceDate: '2030-01-07',
    appointmentId: `a${tokenNumber}`,
    patientId: `p${tokenNumber}`,
    tokenNumber,
    priority,
    status,
    joinedAt: new Date('2030-01-07T04:00:00.123Z'),
    traceId: 'trace',
  };
}

/** A store that answers fixed entries and remembers what it was asked. */
function recordingStore(entries: QueueEntry[] = []) {
  const calls: unknown[][] = [];
  const store: QueueStore = {
    async change() {
      throw new Error('reads only');
    },
    async latestTimeZone(...args) {
      calls.push(['latestTimeZone', ...args]);
      return 'Asia/Kolkata';
    },
    async listEntries(...args) {
      calls.push(['listEntries', ...args]);
      return entries;
    },
  };
  return { store, calls };
}

async function invalidFields(request: { doctorId: string; serviceDate: string }): Promise<string[]> {
  const { store, calls } = recordingStore();
  try {
    await queueHandlers({ store, now }).GetQueue(request, ctx);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(calls).toEqual([]);
    return (error as InvalidArgumentError).violations.map((v) => v.field);
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('GetQueue', () => {
  it('answers the entries in calling order as proto messages, for the tenant of the call', async () => {
    const { store, calls } = recordingStore([entryOf(1, 'DONE'), entryOf(2, 'WAITING'), entryOf(3, 'WAITING', 2)]);
    const response = await queueHandlers({ store, now }).GetQueue(
      { doctorId: doctorId.toUpperCase(), serviceDate: '2030-01-07' },
      ctx,
    );
    expect(calls).toEqual([['listEntries', tenantId, doctorId, '2030-01-07']]);
    expect(response.doctorId).toBe(doctorId);
    expect(response.serviceDate).toBe('2030-01-07');
    expect(response.entries?.map((e) => [e.tokenNumber, e.position, e.status])).toEqual([
      [3, 1, 'QUEUE_ENTRY_STATUS_WAITING'],
      [2, 2, 'QUEUE_ENTRY_STATUS_WAITING'],
      [1, 0, 'QUEUE_ENTRY_STATUS_DONE'],
    ]);
    expect(response.entries?.[0]).toEqual({
      id: 'e3',
      appointmentId: 'a3',
      patientId: 'p3',
      tokenNumber: 3,
      position: 1,
      priority: 2,
      status: 'QUEUE_ENTRY_STATUS_WAITING',
      joinedAt: { seconds: Date.parse('2030-01-07T04:00:00Z') / 1000, nanos: 123_000_000 },
      traceId: 'trace',
    });
  });

  it("uses today in the doctor's time zone for an empty service_date", async () => {
    const { store, calls } = recordingStore();
    const response = await queueHandlers({ store, now }).GetQueue({ doctorId, serviceDate: '' }, ctx);
    expect(response.serviceDate).toBe('2030-01-08');
    expect(calls).toEqual([
      ['latestTimeZone', tenantId, doctorId],
      ['listEntries', tenantId, doctorId, '2030-01-08'],
    ]);
  });

  it('refuses a doctor id that is not a UUID and a date that is not a day, naming the fields', async () => {
    expect(await invalidFields({ doctorId: 'nope', serviceDate: '' })).toEqual(['doctorId']);
    expect(await invalidFields({ doctorId: '', serviceDate: '' })).toEqual(['doctorId']);
    expect(await invalidFields({ doctorId, serviceDate: '07-01-2030' })).toEqual(['serviceDate']);
    expect(await invalidFields({ doctorId, serviceDate: '2030-02-30' })).toEqual(['serviceDate']);
    expect(await invalidFields({ doctorId: 'x', serviceDate: 'today' })).toEqual(['doctorId', 'serviceDate']);
  });
});
