import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseConfigShape, ConfigError, configTypes, databaseConfigShape, loadConfig } from './config.js';

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

  it('checks URL protocols and splits lists', () => {
    const s = z.object({ U: configTypes.url(['redis']), L: configTypes.list() });
    expect(loadConfig(s, { U: 'redis://h:1', L: 'a:1, b:2,,' })).toEqual({ U: 'redis://h:1', L: ['a:1', 'b:2'] });
    expect(() => loadConfig(s, { U: 'http://h', L: 'a' })).toThrow(/must be a redis URL/);
    expect(() => loadConfig(s, { U: 'not a url', L: 'a' })).toThrow(ConfigError);
  });
});
