import { describe, expect, it } from 'vitest';
import { filledTrail, OTHER_TENANT, TENANT, testKeys } from '../testing/trail-fixtures.js';
import { anchorTrails } from './anchor-trails.js';
import type { VerificationRun } from './types.js';
import { verificationDue, verifyTrails } from './verify-trails.js';

const keys = testKeys();
let clock = Date.parse('2030-01-07T06:00:00.000Z');
const now = () => new Date((clock += 1_000));
const newId = () => '0192f0a0-0000-7000-8000-00000000aaaa';

describe('verifyTrails', () => {
  it('checks every trail and records the run: intact', async () => {
    const fake = await filledTrail(keys, 3, [TENANT, OTHER_TENANT]);
    const run = await verifyTrails({ ...fake, keys, now, newId });
    expect(run).toMatchObject({ tenants: 2, records: 6, broken: [] });
    expect(run!.finishedAt.getTime()).toBeGreaterThan(run!.startedAt.getTime());
    expect(fake.runs).toEqual([run]);
  });

  it('records the first break of each broken trail, including one whose head and records were removed', async () => {
    const fake = await filledTrail(keys, 3, [TENANT, OTHER_TENANT]);
    await anchorTrails({ ...fake, keys, now });
    const i = fake.records.findIndex((r) => r.tenantId === TENANT && r.seq === 2);
    fake.records[i] = { ...fake.records[i]!, actorId: 'intruder' };
    fake.records.splice(0, fake.records.length, ...fake.records.filter((r) => r.tenantId !== OTHER_TENANT));
    fake.heads.delete(OTHER_TENANT);
    const run = await verifyTrails({ ...fake, keys, now, newId });
    expect(run?.tenants).toBe(2);
    expect(run?.broken).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tenantId: TENANT, seq: 2, problem: 'altered-record' }),
        expect.objectContaining({ tenantId: OTHER_TENANT, seq: 1, problem: 'truncated' }),
      ]),
    );
  });

  it('records nothing when stopped part-way, even inside a long trail', async () => {
    const fake = await filledTrail(keys, 2_500);
    const controller = new AbortController();
    let reads = 0;
    const store = {
      ...fake.store,
      chainRecords: (...args: Parameters<typeof fake.store.chainRecords>) => {
        reads += 1;
        if (reads === 2) controller.abort();
        return fake.store.chainRecords(...args);
      },
    };
    expect(await verifyTrails({ ...fake, store, keys, now, newId }, controller.signal)).toBeUndefined();
    expect(reads).toBe(2);
    expect(fake.runs).toEqual([]);
  });
});

describe('verificationDue', () => {
  const run = (startedAt: string): VerificationRun => ({
    id: newId(),
    startedAt: new Date(startedAt),
    finishedAt: new Date(startedAt),
    tenants: 0,
    records: 0,
    broken: [],
  });
  const hour = 3_600_000;

  it('is due with no run yet, or once the newest run is (nearly) an interval old', () => {
    const at = new Date('2030-01-07T06:00:00.000Z');
    expect(verificationDue(undefined, at, hour)).toBe(true);
    expect(verificationDue(run('2030-01-07T05:30:00.000Z'), at, hour)).toBe(false);
    expect(verificationDue(run('2030-01-07T05:05:00.000Z'), at, hour)).toBe(true);
    expect(verificationDue(run('2030-01-07T04:00:00.000Z'), at, hour)).toBe(true);
  });
});
