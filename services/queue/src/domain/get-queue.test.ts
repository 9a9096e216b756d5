import { describe, expect, it } from 'vitest';
import { fakeQueueStore } from '../testing/fake-queue-store.js';
import { changesAfter, getQueue, getQueueUnlessKnown } from './get-queue.js';
import { joinQueue } from './join-queue.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const doctorId = '0192f0a0-0000-7000-8000-00000000000d';
// 2030-01-07 20:00 UTC is already 2030-01-08 in Kolkata.
const now = () => new Date('2030-01-07T20:00:00Z');

async function clinicWith(days: string[], timeZone = 'Asia/Kolkata') {
  const fake = fakeQueueStore();
  let n = 0;
  for (const serviceDate of days) {
    n += 1;
    await joinQueue(
      { store: fake.store, now, newId: () => `e${n}` },
      {
        tenantId,
        doctorId,
        serviceDate,
        timeZone,
        appointmentId: `a${n}`,
        patientId: `p${n}`,
        joinedAt: new Date(Date.UTC(2030, 0, 7, 4, n)),
        traceId: '',
      },
    );
  }
  return fake;
}

describe('getQueue', () => {
  it("takes today in the doctor's latest known time zone when no day is given", async () => {
    const { store } = await clinicWith(['2030-01-07', '2030-01-08']);
    const queue = await getQueue({ store, now }, { tenantId, doctorId, serviceDate: undefined });
    expect(queue.serviceDate).toBe('2030-01-08');
    expect(queue.entries.map((e) => e.id)).toEqual(['e2']);
    expect(queue).toMatchObject({ seq: 1, timeZone: 'Asia/Kolkata', pause: { paused: false } });
  });

  it('takes today in UTC for a doctor the queue has not seen, and answers an empty queue', async () => {
    const { store } = await clinicWith([]);
    const queue = await getQueue({ store, now }, { tenantId, doctorId: 'someone-else', serviceDate: undefined });
    expect(queue).toMatchObject({ doctorId: 'someone-else', serviceDate: '2030-01-07', entries: [], seq: 0 });
  });

  it('falls back to UTC when the stored time zone is not one', async () => {
    const { store } = await clinicWith(['2030-01-08'], 'Mars/Olympus_Mons');
    const queue = await getQueue({ store, now }, { tenantId, doctorId, serviceDate: undefined });
    expect(queue.serviceDate).toBe('2030-01-07');
  });
});

describe('getQueueUnlessKnown', () => {
  it('answers not modified while the day and its last change are the ones the caller holds', async () => {
    const { store } = await clinicWith(['2030-01-08', '2030-01-08']);
    const known = { serviceDate: '2030-01-08', seq: 2 };
    const answer = await getQueueUnlessKnown({ store, now }, { tenantId, doctorId, serviceDate: undefined, known });
    expect(answer).toEqual({ notModified: true, doctorId, serviceDate: '2030-01-08', seq: 2 });
  });

  it('answers the whole queue once the day has changed since, or for another day', async () => {
    const { store } = await clinicWith(['2030-01-08', '2030-01-08']);
    const full = await getQueue({ store, now }, { tenantId, doctorId, serviceDate: '2030-01-08' });
    const older = await getQueueUnlessKnown(
      { store, now },
      { tenantId, doctorId, serviceDate: undefined, known: { serviceDate: '2030-01-08', seq: 1 } },
    );
    expect(older).toEqual(full);
    // Yesterday's queue held at the same seq is not today's.
    const otherDay = await getQueueUnlessKnown(
      { store, now },
      { tenantId, doctorId, serviceDate: undefined, known: { serviceDate: '2030-01-07', seq: 2 } },
    );
    expect(otherDay).toEqual(full);
  });

  it('answers an empty day known at seq 0 as not modified, and the whole queue without a known state', async () => {
    const { store } = await clinicWith(['2030-01-08']);
    const empty = await getQueueUnlessKnown(
      { store, now },
      { tenantId, doctorId, serviceDate: '2030-01-09', known: { serviceDate: '2030-01-09', seq: 0 } },
    );
    expect(empty).toEqual({ notModified: true, doctorId, serviceDate: '2030-01-09', seq: 0 });
    const unconditional = await getQueueUnlessKnown(
      { store, now },
      { tenantId, doctorId, serviceDate: undefined, known: undefined },
    );
    expect(unconditional).toMatchObject({ serviceDate: '2030-01-08', seq: 1, entries: [{ id: 'e1' }] });
  });
});

describe('changesAfter', () => {
  it('answers the changes after a seq when the log has them all, and says so when it does not', async () => {
    const { store, changes } = await clinicWith(['2030-01-07', '2030-01-07', '2030-01-07']);
    const day = { tenantId, doctorId, serviceDate: '2030-01-07' };
    const after1 = await changesAfter({ store }, { ...day, afterSeq: 1 });
    expect(after1).toMatchObject({ complete: true, lastSeq: 3 });
    expect(after1.changes.map((c) => c.seq)).toEqual([2, 3]);
    expect(await changesAfter({ store }, { ...day, afterSeq: 3 })).toEqual({ changes: [], complete: true, lastSeq: 3 });
    // The log lost change 2 (pruned): asking from 1 is incomplete, so the caller takes a snapshot.
    changes.splice(1, 1);
    expect(await changesAfter({ store }, { ...day, afterSeq: 1 })).toEqual({
      changes: [],
      complete: false,
      lastSeq: 3,
    });
  });
});
