import { loadConfig } from '@hms/platform';
import { testKeys } from '@hms/platform/testing';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config.js';

const valid = {
  DATABASE_URL: 'postgresql://hms_gateway:pw@127.0.0.1:5432/hms',
  REDIS_URL: 'redis://127.0.0.1:6379',
  JWT_SECRET: 's'.repeat(32),
  INTERNAL_TOKEN_PRIVATE_KEY: testKeys().privateKeyText,
  APPOINTMENTS_GRPC_ADDRESS: '127.0.0.1:50051',
  BILLING_GRPC_ADDRESS: 'billing:50052',
  QUEUE_GRPC_ADDRESS: 'queue.hms.svc:50053',
  AUDIT_GRPC_ADDRESS: '10.0.0.7:50054',
};

describe('gateway configuration', () => {
  it('fills the documented defaults', () => {
    expect(loadConfig(configSchema, valid)).toMatchObject({
      HTTP_PORT: 8081,
      OPS_PORT: 9101,
      JWT_ISSUER: 'hms-dev',
      GRPC_DEADLINE_MS: 3_000,
      RATE_LIMIT_PER_TENANT_PER_MINUTE: 6_000,
      TRUST_PROXY: 'loopback',
      TENANT_CACHE_TTL_MS: 30_000,
      INTERNAL_TOKEN_TTL_SECONDS: 60,
    });
  });

  it('refuses a short secret, a gRPC address without a port and a missing Redis, naming each key', () => {
    const { REDIS_URL: _, ...withoutRedis } = valid;
    expect(() =>
      loadConfig(configSchema, { ...withoutRedis, JWT_SECRET: 'short', BILLING_GRPC_ADDRESS: 'billing' }),
    ).toThrow(/JWT_SECRET[\s\S]*BILLING_GRPC_ADDRESS|BILLING_GRPC_ADDRESS[\s\S]*JWT_SECRET/);
    for (const [key, value] of [
      ['JWT_SECRET', 'short'],
      ['BILLING_GRPC_ADDRESS', 'billing'],
      ['REDIS_URL', undefined],
      ['HTTP_PORT', 'eighty'],
      ['INTERNAL_TOKEN_PRIVATE_KEY', undefined],
    ] as const) {
      expect(() => loadConfig(configSchema, { ...valid, [key]: value })).toThrow(new RegExp(`${key}: `));
    }
  });

  it('describes every key', () => {
    for (const [key, schema] of Object.entries(configSchema.shape)) {
      expect(schema.description, key).toBeTruthy();
    }
  });
});
