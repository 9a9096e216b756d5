import { FailedPreconditionError, InvalidArgumentError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import { filledTrail, minute, TENANT, testKeys } from '../testing/trail-fixtures.js';
import { signCheckpoint } from './checkpoint.js';
import { appendToChain, CHAIN_START } from './hash-chain.js';
import { keyring } from './keyring.js';
import { verifyTrail } from './verify-trail.js';

const keys = testKeys();
const at = new Date('2030-01-07T06:00:00.000Z');

async function anchoredTrail(count: number, anchorAt: number[]) {
  const fake = await filledTrail(keys, count);
  for (const seq of anchorAt) {
    const r = fake.records.find((x) => x.seq === seq)!;
    fake.checkpoints.push(signCheckpoint(keys.anchor, TENANT, r, at));
  }
  return fake;
}

describe('verifyTrail', () => {
  it('reports an intact trail with the records checked and how far it is anchored', async () => {
    const { store } = await anchoredTrail(5, [2, 4]);
    expect(await verifyTrail(store, keys, { tenantId: TENANT })).toEqual({
      tenantId: TENANT,
      intact: true,
      checked: 5,
      firstSeq: 1,
      lastSeq: 5,
      anchoredSeq: 4,
      break: undefined,
    });
  });

  it('reports an empty trail as intact with nothing checked', async () => {
    const { store } = await filledTrail(keys, 0);
    expect(await verifyTrail(store, keys, { tenantId: TENANT })).toMatchObject({
      intact: true,
      checked: 0,
      firstSeq: 0,
      lastSeq: 0,
    });
  });

  it('checks long trails batch by batch, checkpoints in every batch', async () => {
    const { store, records } = await anchoredTrail(2_300, [999, 1_000, 1_001, 2_300]);
    expect(await verifyTrail(store, keys, { tenantId: TENANT })).toMatchObject({ intact: true, checked: 2_300 });
    const i = records.findIndex((r) => r.seq === 1_500);
    records[i] = { ...records[i]!, actorId: 'intruder' };
    expect(await verifyTrail(store, keys, { tenantId: TENANT })).toMatchObject({
      intact: false,
      checked: 1_499,
      break: { brokenSeq: 1_500, problem: 'altered-record' },
    });
  });

  it('reads a gap of thousands of seqs in one step, and a cut-off tail too', async () => {
    const { store, records, heads } = await filledTrail(keys, 5_000);
    const reads: number[] = [];
    const counting = {
      ...store,
      chainRecords: (tenantId: string, range: Parameters<typeof store.chainRecords>[1]) => {
        reads.push(range.fromSeq);
        return store.chainRecords(tenantId, range);
      },
    };
    const kept = records.filter((r) => r.seq < 1_200 || r.seq > 4_600);
    records.splice(0, records.length, ...kept);
    expect(await verifyTrail(counting, keys, { tenantId: TENANT })).toMatchObject({
      checked: 1_199,
      break: { brokenSeq: 1_200, problem: 'missing-record', reason: expect.stringMatching(/^records 1200 to 4600/) },
    });
    expect(reads).toEqual([1, 1_001, 2_001, 4_601]);

    records.splice(0, records.length, ...kept.filter((r) => r.seq < 1_200));
    heads.set(TENANT, { seq: 5_000, hash: 'ab'.repeat(32) });
    reads.length = 0;
    expect(await verifyTrail(counting, keys, { tenantId: TENANT })).toMatchObject({
      checked: 1_199,
      break: { brokenSeq: 1_200, problem: 'truncated' },
    });
    expect(reads).toEqual([1, 1_001, 2_001]);
  });

  it('names a flood of forged repeats from one bounded read', async () => {
    const { store, records } = await filledTrail(keys, 5);
    const repeat = records[2]!;
    for (let i = 0; i < 1_500; i += 1) records.push({ ...repeat, id: `forged-${String(i).padStart(5, '0')}` });
    const limits: number[] = [];
    const counting = {
      ...store,
      chainRecords: (tenantId: string, range: Parameters<typeof store.chainRecords>[1]) => {
        limits.push(range.limit);
        return store.chainRecords(tenantId, range);
      },
    };
    expect(await verifyTrail(counting, keys, { tenantId: TENANT })).toMatchObject({
      checked: 2,
      break: { brokenSeq: 3, problem: 'extra-record' },
    });
    // Five seqs, at most six rows read.
    expect(limits).toEqual([6]);
  });

  describe('a time window', () => {
    it('checks the run of seqs that occurred in it, linked to the record before', async () => {
      const { store } = await filledTrail(keys, 10);
      expect(await verifyTrail(store, keys, { tenantId: TENANT, from: minute(3), to: minute(7) })).toMatchObject({
        intact: true,
        checked: 4,
        firstSeq: 3,
        lastSeq: 6,
      });
      expect(await verifyTrail(store, keys, { tenantId: TENANT, from: minute(8) })).toMatchObject({
        checked: 3,
        firstSeq: 8,
        lastSeq: 10,
      });
      expect(await verifyTrail(store, keys, { tenantId: TENANT, to: minute(1) })).toMatchObject({
        intact: true,
        checked: 0,
      });
    });

    it('finds the record before the window missing, and a record in it changed', async () => {
      const { store, records } = await filledTrail(keys, 10);
      records.splice(
        records.findIndex((r) => r.seq === 2),
        1,
      );
      expect(await verifyTrail(store, keys, { tenantId: TENANT, from: minute(3), to: minute(7) })).toMatchObject({
        intact: false,
        break: { brokenSeq: 2, problem: 'missing-record' },
      });
      const i = records.findIndex((r) => r.seq === 5);
      records[i] = { ...records[i]!, data: { n: 500 } };
      expect(await verifyTrail(store, keys, { tenantId: TENANT, from: minute(4), to: minute(7) })).toMatchObject({
        intact: false,
        checked: 1,
        break: { brokenSeq: 5, problem: 'altered-record' },
      });
    });

    it('refuses a window that ends before it starts, and a check of more records than allowed', async () => {
      const { store } = await filledTrail(keys, 10);
      await expect(verifyTrail(store, keys, { tenantId: TENANT, from: minute(5), to: minute(5) })).rejects.toThrow(
        InvalidArgumentError,
      );
      await expect(verifyTrail(store, keys, { tenantId: TENANT, maxRecords: 9 })).rejects.toThrow(
        FailedPreconditionError,
      );
      await expect(
        verifyTrail(store, keys, { tenantId: TENANT, from: minute(2), to: minute(5), maxRecords: 3 }),
      ).resolves.toMatchObject({ intact: true, checked: 3 });
    });
  });

  describe('finds and names', () => {
    it('a record deleted from the middle', async () => {
      const { store, records } = await filledTrail(keys, 6);
      records.splice(
        records.findIndex((r) => r.seq === 3),
        1,
      );
      expect(await verifyTrail(store, keys, { tenantId: TENANT })).toMatchObject({
        intact: false,
        checked: 2,
        break: { brokenSeq: 3, problem: 'missing-record' },
      });
    });

    it('the newest records deleted, with the head moved back to match, once they were anchored', async () => {
      const { store, records, heads } = await anchoredTrail(6, [6]);
      records.splice(records.length - 2, 2);
      heads.set(TENANT, { seq: 4, hash: records.at(-1)!.hash });
      expect(await verifyTrail(store, keys, { tenantId: TENANT })).toMatchObject({
        intact: false,
        checked: 4,
        break: { brokenSeq: 5, problem: 'truncated' },
      });
    });

    it('the head moved back over records that are still there', async () => {
      const { store, records, heads } = await anchoredTrail(6, [6]);
      heads.set(TENANT, { seq: 4, hash: records[3]!.hash });
      expect(await verifyTrail(store, keys, { tenantId: TENANT })).toMatchObject({
        intact: false,
        break: { brokenSeq: 5, problem: 'head-mismatch' },
      });
    });

    it('a chain rewritten from its first record by someone holding the chain key', async () => {
      const { store, records } = await anchoredTrail(5, [3]);
      let end = CHAIN_START;
      records.forEach((r, i) => {
        const rewritten = appendToChain(keys.chain, end, { ...r, actorId: 'intruder' });
        records[i] = { ...r, ...rewritten };
        end = { seq: rewritten.seq, hash: rewritten.hash };
      });
      expect(await verifyTrail(store, keys, { tenantId: TENANT })).toMatchObject({
        intact: false,
        checked: 2,
        break: { brokenSeq: 3, problem: 'checkpoint-mismatch' },
      });
    });

    it('a forged checkpoint, wherever it is', async () => {
      const { store, checkpoints } = await anchoredTrail(5, [2, 5]);
      const forger = keyring(Buffer.alloc(32, 3));
      checkpoints[0] = signCheckpoint(forger, TENANT, checkpoints[0]!, at);
      expect(await verifyTrail(store, keys, { tenantId: TENANT })).toMatchObject({
        intact: false,
        checked: 1,
        break: { brokenSeq: 2, problem: 'forged-checkpoint' },
      });
      // Past the last record, where no record reaches it.
      const beyond = await anchoredTrail(5, []);
      beyond.checkpoints.push({ ...signCheckpoint(keys.anchor, TENANT, { seq: 9, hash: 'ab'.repeat(32) }, at) });
      beyond.checkpoints[0] = { ...beyond.checkpoints[0]!, signature: '0'.repeat(64) };
      expect(await verifyTrail(beyond.store, keys, { tenantId: TENANT })).toMatchObject({
        intact: false,
        break: { brokenSeq: 9, problem: 'forged-checkpoint' },
      });
    });

    it('a trail whose head and records are all gone, by its checkpoints', async () => {
      const { store, records, heads } = await anchoredTrail(3, [3]);
      records.length = 0;
      heads.delete(TENANT);
      expect(await verifyTrail(store, keys, { tenantId: TENANT })).toMatchObject({
        intact: false,
        checked: 0,
        break: { brokenSeq: 1, problem: 'truncated' },
      });
    });
  });
});
