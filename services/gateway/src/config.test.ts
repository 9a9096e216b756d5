import { loadConfig } from '@hms/platform';
import { newTestKeys, testKeys } from '@hms/platform/testing';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config.js';

const valid = {
  DATABASE_URL: 'postgresql://hms_gateway:pw@127.0.0.1:5432/hms',
  REDIS_URL: 'redis://127.0.0.1:6379',
  KAFKA_BROKERS: '127.0.0.1:9092',
  INTERNAL_TOKEN_PRIVATE_KEY: testKeys().privateKeyText,
  ACCESS_TOKEN_PRIVATE_KEY: newTestKeys().privateKeyText,
  API_KEY_SECRET: 'ab'.repeat(32),
  APPOINTMENTS_GRPC_ADDRESS: '127.0.0.1:50051',
  BILLING_GRPC_ADDRESS: 'billing:50052',
  QUEUE_GRPC_ADDRESS: 'queue.hms.svc:50053',
  AUDIT_GRPC_ADDRESS: '10.0.0.7:50054',
};

describe('gateway configuration', () => {
  it('fills the documented defaults: production, no development tokens, 15-minute access tokens', () => {
    const config = loadConfig(configSchema, valid);
    expect(config).toMatchObject({
      HTTP_PORT: 8081,
      OPS_PORT: 9101,
      DEPLOYMENT_PROFILE: 'production',
      ACCESS_TOKEN_TTL_SECONDS: 900,
      ACCESS_TOKEN_ISSUER: 'hms',
      ACCESS_TOKEN_AUDIENCE: 'hms-api',
      ACCESS_TOKEN_CLOCK_SKEW_SECONDS: 30,
      ACCESS_TOKEN_PUBLIC_KEYS: [],
      GRPC_DEADLINE_MS: 3_000,
      TRUST_PROXY: 'loopback',
      TENANT_CACHE_TTL_MS: 30_000,
      INTERNAL_TOKEN_TTL_SECONDS: 60,
      GATEWAY_REPLICAS: 1,
    });
    expect(config.JWT_SECRET).toBeUndefined();
  });

  it('accepts a development-token secret in the dev and test profiles only', () => {
    for (const profile of ['dev', 'test']) {
      expect(
        loadConfig(configSchema, { ...valid, DEPLOYMENT_PROFILE: profile, JWT_SECRET: 's'.repeat(32) }).JWT_SECRET,
      ).toBe('s'.repeat(32));
    }
    for (const profile of ['bench', 'staging', 'production', undefined]) {
      expect(() =>
        loadConfig(configSchema, { ...valid, DEPLOYMENT_PROFILE: profile, JWT_SECRET: 's'.repeat(32) }),
      ).toThrow(/JWT_SECRET: development tokens are refused/);
    }
  });

  it('refuses bad keys, a gRPC address without a port and a missing Redis, naming each key', () => {
    const { REDIS_URL: _, ...withoutRedis } = valid;
    expect(() => loadConfig(configSchema, { ...withoutRedis, BILLING_GRPC_ADDRESS: 'billing' })).toThrow(
      /REDIS_URL[\s\S]*BILLING_GRPC_ADDRESS|BILLING_GRPC_ADDRESS[\s\S]*REDIS_URL/,
    );
    for (const [key, value] of [
      ['JWT_SECRET', 'short'],
      ['BILLING_GRPC_ADDRESS', 'billing'],
      ['REDIS_URL', undefined],
      ['HTTP_PORT', 'eighty'],
      ['INTERNAL_TOKEN_PRIVATE_KEY', undefined],
      ['ACCESS_TOKEN_PRIVATE_KEY', 'not a key'],
      ['ACCESS_TOKEN_PUBLIC_KEYS', 'not a key'],
      ['API_KEY_SECRET', 'abcd'],
      ['ACCESS_TOKEN_TTL_SECONDS', '86400'],
    ] as const) {
      expect(() => loadConfig(configSchema, { ...valid, DEPLOYMENT_PROFILE: 'dev', [key]: value })).toThrow(
        new RegExp(`${key}(\\.\\d+)?: `),
      );
    }
  });

  it('describes every key', () => {
    for (const [key, schema] of Object.entries(configSchema.shape)) {
      expect(schema.description, key).toBeTruthy();
    }
  });
});
