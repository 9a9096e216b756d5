import { InvalidArgumentError, type CallContext } from '@hms/platform';
import { describe, expect, it } from 'vitest';
import { joinQueue } from '../domain/join-queue.js';
import { fakeQueueStore } from '../testing/fake-queue-store.js';
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
const now = () => new Date('2030-01-07T05:00:00Z');

async function handlersWithQueue(tokens: number) {
  const fake = fakeQueueStore();
  let n = 0;
  const newId = () => `0192f0a0-0000-7000-b000-${String((n += 1)).padStart(12, '0')}`;
  for (let i = 1; i <= tokens; i += 1) {
    await joinQueue(
      { store: fake.store, newId, now },
      {
        tenantId,
        doctorId,
        serviceDate: '2030-01-07',
        timeZone: 'Asia/Kolkata',
        appointmentId: `0192f0a0-0000-7000-9000-00000000000${i}`,
        patientId: `0192f0a0-0000-7000-a000-00000000000${i}`,
        joinedAt: new Date(Date.UTC(2030, 0, 7, 4, i, 0, 123)),
        traceId: 'trace',
      },
    );
  }
  return { handlers: queueHandlers({ store: fake.store, now, newId }), fake };
}

async function invalidFields(call: () => Promise<unknown>): Promise<string[]> {
  try {
    await call();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as InvalidArgumentError).violations.map((v) => v.field);
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('GetQueue', () => {
  it('answers the entries in calling order as proto messages, with the seq and pause of the day', async () => {
    const { handlers } = await handlersWithQueue(2);
    const response = await handlers.GetQueue(
      { doctorId: doctorId.toUpperCase(), serviceDate: '2030-01-07', knownServiceDate: '', knownSeq: 0 },
      ctx,
    );
    expect(response).toMatchObject({ doctorId, serviceDate: '2030-01-07', seq: 2, timeZone: 'Asia/Kolkata' });
    expect(response.pause).toMatchObject({ paused: false });
    expect(response.entries?.[0]).toMatchObject({
      tokenNumber: 1,
      position: 1,
      priority: 0,
      priorityClass: 'QUEUE_PRIORITY_NORMAL',
      status: 'QUEUE_ENTRY_STATUS_WAITING',
      joinedAt: { seconds: Date.parse('2030-01-07T04:01:00Z') / 1000, nanos: 123_000_000 },
      estimatedCallAt: { seconds: now().getTime() / 1000, nanos: 0 },
      walkIn: false,
      traceId: 'trace',
    });
  });

  it('answers a conditional read of the current version with not_modified and no entries', async () => {
    const { handlers } = await handlersWithQueue(2);
    const ask = (knownSeq: number) =>
      handlers.GetQueue({ doctorId, serviceDate: '2030-01-07', knownServiceDate: '2030-01-07', knownSeq }, ctx);
    expect(await ask(2)).toEqual({ notModified: true, doctorId, serviceDate: '2030-01-07', seq: 2 });
    const older = await ask(1);
    expect(older).toMatchObject({ seq: 2, entries: [{ tokenNumber: 1 }, { tokenNumber: 2 }] });
    expect('notModified' in older).toBe(false);
    const bad = () =>
      handlers.GetQueue({ doctorId, serviceDate: '', knownServiceDate: 'yesterday', knownSeq: -1 }, ctx);
    expect(await invalidFields(bad)).toEqual(['knownServiceDate', 'knownSeq']);
  });

  it('refuses a doctor id that is not a UUID and a date that is not a day, naming the fields', async () => {
    const { handlers } = await handlersWithQueue(0);
    const get = (doctorId: string, serviceDate: string) => () =>
      handlers.GetQueue({ doctorId, serviceDate, knownServiceDate: '', knownSeq: 0 }, ctx);
    expect(await invalidFields(get('nope', ''))).toEqual(['doctorId']);
    expect(await invalidFields(get(doctorId, '2030-02-30'))).toEqual(['serviceDate']);
    expect(await invalidFields(get('x', 'today'))).toEqual(['doctorId', 'serviceDate']);
  });
});

describe('operations', () => {
  it('calls the next patient to a room, and refuses a call without a room', async () => {
    const { handlers } = await handlersWithQueue(2);
    const { entry } = await handlers.CallNext({ doctorId, serviceDate: '2030-01-07', room: 'Room 4' }, ctx);
    expect(entry).toMatchObject({ tokenNumber: 1, status: 'QUEUE_ENTRY_STATUS_CALLED', room: 'Room 4' });
    expect(await invalidFields(() => handlers.CallNext({ doctorId, serviceDate: '', room: ' ' }, ctx))).toEqual([
      'room',
    ]);
  });

  it('refuses an unknown priority and a bad time zone', async () => {
    const { handlers } = await handlersWithQueue(1);
    const fields = await invalidFields(() =>
      handlers.JoinWalkIn(
        { doctorId, timeZone: 'Mars/Base', patientId: doctorId, priority: 'VIP' as never, idempotencyKey: '' },
        ctx,
      ),
    );
    expect(fields).toEqual(['timeZone', 'priority']);
  });
});
