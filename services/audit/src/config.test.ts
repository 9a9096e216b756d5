import { loadConfig } from '@hms/platform';
import { testKeys } from '@hms/platform/testing';
import { describe, expect, it } from 'vitest';
import { configSchema, trailKeys } from './config.js';
import { keyIdOf } from './domain/keyring.js';

const chain = 'a1'.repeat(32);
const anchor = 'b2'.repeat(32);
const env = (overrides: Record<string, string> = {}) => ({
  DATABASE_URL: 'postgres://hms_audit:pw@127.0.0.1:5432/hms',
  ANCHOR_DATABASE_URL: 'postgres://hms_audit_anchor:pw@127.0.0.1:5432/hms',
  KAFKA_BROKERS: '127.0.0.1:9092',
  AUDIT_CHAIN_KEY: chain,
  AUDIT_ANCHOR_KEY: anchor,
  INTERNAL_TOKEN_PUBLIC_KEYS: testKeys().publicKeyText,
  ...overrides,
});

describe('audit config', () => {
  it('builds the two keyrings, retired keys included, with 5-minute anchoring and hourly verification', () => {
    const old = 'c3'.repeat(40);
    const config = loadConfig(configSchema, env({ AUDIT_CHAIN_RETIRED_KEYS: ` ${old} ,` }));
    expect(config.AUDIT_ANCHOR_INTERVAL_MS).toBe(300_000);
    expect(config.AUDIT_VERIFY_INTERVAL_MS).toBe(3_600_000);
    const keys = trailKeys(config);
    expect(keys.chain.current.id).toBe(keyIdOf(Buffer.from(chain, 'hex')));
    expect(keys.chain.byId(keyIdOf(Buffer.from(old, 'hex')))).toBeDefined();
    expect(keys.anchor.current.id).toBe(keyIdOf(Buffer.from(anchor, 'hex')));
    expect(keys.anchor.byId(keys.chain.current.id)).toBeUndefined();
  });

  it.each([
    ['a missing chain key', { AUDIT_CHAIN_KEY: '' }, 'AUDIT_CHAIN_KEY'],
    ['a short key', { AUDIT_ANCHOR_KEY: 'ab'.repeat(31) }, 'AUDIT_ANCHOR_KEY'],
    ['a key that is not hex', { AUDIT_CHAIN_KEY: 'zz'.repeat(32) }, 'AUDIT_CHAIN_KEY'],
    ['a bad retired key', { AUDIT_ANCHOR_RETIRED_KEYS: `${'d4'.repeat(32)},nope` }, 'AUDIT_ANCHOR_RETIRED_KEYS'],
    ['the same key for both', { AUDIT_ANCHOR_KEY: chain }, 'AUDIT_ANCHOR_KEY'],
    ['no anchor login', { ANCHOR_DATABASE_URL: '' }, 'ANCHOR_DATABASE_URL'],
  ])('refuses %s, naming the key', (_what, overrides, key) => {
    expect(() => loadConfig(configSchema, env(overrides))).toThrow(new RegExp(`^\\s*${key}`, 'm'));
  });
});
