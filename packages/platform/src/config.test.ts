import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  baseConfigShape,
  ConfigError,
  configTypes,
  databaseConfigShape,
  grpcServerConfigShape,
  internalTokenSignerConfigShape,
  loadConfig,
} from './config.js';
import { newTestKeys } from './testing/internal-token.js';

const schema = z.object({ ...baseConfigShape({ opsPort: 9999 }), ...databaseConfigShape() });

describe('loadConfig', () => {
  it('applies defaults and coerces types', () => {
    const config = loadConfig(schema, { DATABASE_URL: 'postgres://u:p@h:1/db', OPS_PORT: '1234' });
    expect(config.OPS_PORT).toBe(1234);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.OPS_HOST).toBe('0.0.0.0');
    expect(config.DATABASE_POOL_MAX).toBe(10);
  });

  it('names every bad or missing key with its description', () => {
    let error: unknown;
    try {
      loadConfig(schema, { OPS_PORT: '70000', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/DATABASE_URL: .*PostgreSQL URL/);
    expect(message).toMatch(/OPS_PORT: /);
    expect(message).toMatch(/LOG_LEVEL: /);
  });

  it('refuses a misspelt trace sampler or a share outside 0..1, and takes a good one', () => {
    const url = { DATABASE_URL: 'postgres://u:p@h:1/db' };
    expect(() => loadConfig(schema, { ...url, OTEL_TRACES_SAMPLER: 'parentbased_ratio' })).toThrow(
      /OTEL_TRACES_SAMPLER/,
    );
    expect(() => loadConfig(schema, { ...url, OTEL_TRACES_SAMPLER_ARG: '1.5' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    const config = loadConfig(schema, {
      ...url,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
    });
    expect([config.OTEL_TRACES_SAMPLER, config.OTEL_TRACES_SAMPLER_ARG]).toEqual(['parentbased_traceidratio', 0.1]);
  });

  it('checks URL protocols and splits lists', () => {
    const s = z.object({ U: configTypes.url(['redis']), L: configTypes.list() });
    expect(loadConfig(s, { U: 'redis://h:1', L: 'a:1, b:2,,' })).toEqual({ U: 'redis://h:1', L: ['a:1', 'b:2'] });
    expect(() => loadConfig(s, { U: 'http://h', L: 'a' })).toThrow(/must be a redis URL/);
    expect(() => loadConfig(s, { U: 'not a url', L: 'a' })).toThrow(ConfigError);
  });

  it('reads internal token keys, one or two public keys, and never echoes a bad key', () => {
    const [a, b, c] = [newTestKeys(), newTestKeys(), newTestKeys()];
    const server = z.object(grpcServerConfigShape({ port: 1 }));
    const two = loadConfig(server, { INTERNAL_TOKEN_PUBLIC_KEYS: `${a.publicKeyText}, ${b.publicKeyText}` });
    expect(two.INTERNAL_TOKEN_PUBLIC_KEYS.map((k) => k.asymmetricKeyType)).toEqual(['ed25519', 'ed25519']);
    expect(two.INTERNAL_TOKEN_ISSUERS).toEqual(['hms-gateway']);
    expect(two.INTERNAL_TOKEN_CLOCK_SKEW_SECONDS).toBe(5);
    expect(() => loadConfig(server, {})).toThrow(/INTERNAL_TOKEN_PUBLIC_KEYS: .*Public keys/);
    const three = [a, b, c].map((k) => k.publicKeyText).join(',');
    expect(() => loadConfig(server, { INTERNAL_TOKEN_PUBLIC_KEYS: three })).toThrow(/INTERNAL_TOKEN_PUBLIC_KEYS/);
    // A private key where the public one belongs: refused, and its text appears nowhere.
    let message = '';
    try {
      loadConfig(server, { INTERNAL_TOKEN_PUBLIC_KEYS: a.privateKeyText });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/must be an Ed25519 public key/);
    expect(message).not.toContain(a.privateKeyText.slice(20, 40));

    const signer = z.object(internalTokenSignerConfigShape());
    expect(loadConfig(signer, { INTERNAL_TOKEN_PRIVATE_KEY: a.privateKeyText }).INTERNAL_TOKEN_TTL_SECONDS).toBe(60);
    expect(() => loadConfig(signer, { INTERNAL_TOKEN_PRIVATE_KEY: 'c2VjcmV0' })).toThrow(/Ed25519 private key/);
    expect(() =>
      loadConfig(signer, { INTERNAL_TOKEN_PRIVATE_KEY: a.privateKeyText, INTERNAL_TOKEN_TTL_SECONDS: '3600' }),
    ).toThrow(/INTERNAL_TOKEN_TTL_SECONDS/);
  });
});
