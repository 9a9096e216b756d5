import { describe, expect, it } from 'vitest';
import { keyIdOf, keyring } from './keyring.js';

describe('keyring', () => {
  it('knows each key by an id derived from it, never the key itself', () => {
    const secret = Buffer.alloc(32, 7);
    const keys = keyring(secret);
    expect(keys.current.id).toMatch(/^[0-9a-f]{16}$/);
    expect(keys.current.id).toBe(keyIdOf(Buffer.alloc(32, 7)));
    expect(secret.toString('hex')).not.toContain(keys.current.id);
    expect(keyIdOf(Buffer.alloc(32, 8))).not.toBe(keys.current.id);
  });

  it('seals with the current key and finds retired ones by id', () => {
    const old = Buffer.alloc(32, 1);
    const keys = keyring(Buffer.alloc(32, 2), [old]);
    expect(keys.current.secret).toEqual(Buffer.alloc(32, 2));
    expect(keys.byId(keyIdOf(old))?.secret).toEqual(old);
    expect(keys.byId(keys.current.id)).toBe(keys.current);
    expect(keys.byId('0'.repeat(16))).toBeUndefined();
  });

  it('refuses keys shorter than 256 bits', () => {
    expect(() => keyring(Buffer.alloc(31))).toThrow(RangeError);
    expect(() => keyring(Buffer.alloc(32), [Buffer.alloc(16)])).toThrow(RangeError);
  });
});
