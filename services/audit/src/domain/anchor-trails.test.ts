import { describe, expect, it } from 'vitest';
import { entryOf, filledTrail, OTHER_TENANT, TENANT, testKeys } from '../testing/trail-fixtures.js';
import { anchorTrails } from './anchor-trails.js';
import { checkpointFlaw } from './checkpoint.js';
import { appendToChain, CHAIN_START } from './hash-chain.js';
import { keyring } from './keyring.js';
import { recordEvent } from './record-event.js';
import { verifyTrail } from './verify-trail.js';

const keys = testKeys();
const now = () => new Date('2030-01-07T06:00:00.000Z');

describe('anchorTrails', () => {
  it('signs a checkpoint at the head of every chain that grew, and none for a chain that did not', async () => {
    const fake = await filledTrail(keys, 3, [TENANT, OTHER_TENANT]);
    const deps = { ...fake, keys, now };
    expect(await anchorTrails(deps)).toEqual(
      [TENANT, OTHER_TENANT].sort().map((tenantId) => ({
        tenantId,
        anchored: true,
        seq: 3,
        hash: fake.heads.get(tenantId)!.hash,
        checked: 3,
      })),
    );
    expect(fake.checkpoints.map((c) => [c.tenantId, c.seq])).toEqual(
      expect.arrayContaining([
        [TENANT, 3],
        [OTHER_TENANT, 3],
      ]),
    );
    for (const cp of fake.checkpoints) {
      expect(cp.hash).toBe(fake.heads.get(cp.tenantId)!.hash);
      expect(checkpointFlaw(keys.anchor, cp)).toBeUndefined();
    }
    expect(await anchorTrails(deps)).toEqual([]);

    // Only what is new since the checkpoint is checked again.
    await recordEvent(fake.store, keys.chain, entryOf(4));
    expect(await anchorTrails(deps)).toEqual([
      { tenantId: TENANT, anchored: true, seq: 4, hash: fake.heads.get(TENANT)!.hash, checked: 1 },
    ]);
  });

  it('refuses to vouch for a record inserted without the chain key, and names it', async () => {
    const fake = await filledTrail(keys, 2);
    await anchorTrails({ ...fake, keys, now });
    // Someone who may insert rows (the service's own login) but lacks the key appends a record.
    const forger = keyring(Buffer.alloc(32, 9));
    const head = fake.heads.get(TENANT)!;
    const forged = appendToChain(forger, head, entryOf(3));
    fake.records.push({ ...forged, keyId: keys.chain.current.id, id: 'forged', recordedAt: new Date(0) });
    fake.heads.set(TENANT, { seq: 3, hash: forged.hash });
    expect(await anchorTrails({ ...fake, keys, now })).toEqual([
      {
        tenantId: TENANT,
        anchored: false,
        break: expect.objectContaining({ brokenSeq: 3, problem: 'altered-record' }),
      },
    ]);
    expect(fake.checkpoints.map((c) => c.seq)).toEqual([2]);
  });

  it('after anchoring, a rewrite of the whole chain with the chain key is found', async () => {
    const fake = await filledTrail(keys, 4);
    await anchorTrails({ ...fake, keys, now });
    let end = CHAIN_START;
    fake.records.forEach((r, i) => {
      const rewritten = appendToChain(keys.chain, end, { ...r, data: { n: 0 } });
      fake.records[i] = { ...r, ...rewritten };
      end = { seq: rewritten.seq, hash: rewritten.hash };
    });
    fake.heads.set(TENANT, end);
    expect(await verifyTrail(fake.store, keys, { tenantId: TENANT })).toMatchObject({
      intact: false,
      break: { brokenSeq: 4, problem: 'checkpoint-mismatch' },
    });
  });

  it('stops between tenants when asked to', async () => {
    const fake = await filledTrail(keys, 1, [TENANT, OTHER_TENANT]);
    const controller = new AbortController();
    controller.abort();
    expect(await anchorTrails({ ...fake, keys, now }, controller.signal)).toEqual([]);
    expect(fake.checkpoints).toEqual([]);
  });
});
