import { describe, expect, it } from 'vitest';
import { checkpointFlaw, signCheckpoint } from './checkpoint.js';
import { keyring } from './keyring.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const keys = keyring(Buffer.alloc(32, 5));
const link = { seq: 12, hash: 'ab'.repeat(32) };
const at = new Date('2030-01-07T06:00:00.000Z');

describe('checkpoints', () => {
  it('verify under the key that signed them, retired or current', () => {
    const cp = signCheckpoint(keys, tenantId, link, at);
    expect(cp).toMatchObject({ tenantId, seq: 12, hash: link.hash, anchoredAt: at, keyId: keys.current.id });
    expect(cp.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(checkpointFlaw(keys, cp)).toBeUndefined();
    expect(checkpointFlaw(keyring(Buffer.alloc(32, 6), [Buffer.alloc(32, 5)]), cp)).toBeUndefined();
  });

  it.each([
    ['tenant', { tenantId: '0192f0a0-0000-7000-8000-000000000002' }],
    ['seq', { seq: 13 }],
    ['hash', { hash: 'cd'.repeat(32) }],
    ['time', { anchoredAt: new Date(at.getTime() + 1) }],
    ['signature', { signature: '0'.repeat(64) }],
  ])('are found forged when their %s was changed', (_what, change) => {
    const cp = { ...signCheckpoint(keys, tenantId, link, at), ...change };
    expect(checkpointFlaw(keys, cp)).toMatch(/does not verify/);
  });

  it('are found forged when signed with a key not held', () => {
    const cp = signCheckpoint(keyring(Buffer.alloc(32, 9)), tenantId, link, at);
    expect(checkpointFlaw(keys, cp)).toMatch(/not one of the anchor keys/);
    expect(checkpointFlaw(keys, { ...cp, keyId: keys.current.id })).toMatch(/does not verify/);
  });
});
