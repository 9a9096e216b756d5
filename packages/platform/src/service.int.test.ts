/**
 * The service runtime: building starts nothing, serve() starts the parts in
 * order, close() stops them in reverse, and a service with two consumer groups
 * registers each metric once.
 */
import { EVENTS } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { createServiceRuntime, type RuntimeConfig } from './service.js';
import { serviceDatabaseUrl, testEnv } from './testing/env.js';
import { testKeys } from './testing/internal-token.js';

const base: RuntimeConfig = {
  LOG_LEVEL: 'silent',
  OPS_HOST: '127.0.0.1',
  OPS_PORT: 0,
  SHUTDOWN_TIMEOUT_MS: 10_000,
  SHUTDOWN_DRAIN_DELAY_MS: 0,
};

describe('service runtime', () => {
  it('connects to nothing and listens on nothing until serve()', async () => {
    // Nothing answers on port 1: any connection attempt at build time would fail.
    const runtime = createServiceRuntime({
      name: 'probe',
      inProcess: true,
      config: {
        ...base,
        DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:1/none',
        KAFKA_BROKERS: ['127.0.0.1:1'],
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: 0,
        INTERNAL_TOKEN_PUBLIC_KEYS: [testKeys().publicKey],
      },
    });
    runtime.consumer('probe.group').on(EVENTS.billCreated, async () => undefined);
    expect(runtime.pool.totalCount).toBe(0);
    expect(await runtime.close('never served')).toBe(true);
  });

  it('starts its parts in order and stops them in reverse; two consumer groups share one lag gauge', async () => {
    const order: string[] = [];
    const runtime = createServiceRuntime({
      name: 'billing',
      inProcess: true,
      config: {
        ...base,
        DATABASE_URL: serviceDatabaseUrl('billing'),
        KAFKA_BROKERS: testEnv().HMS_KAFKA_BROKERS.split(','),
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: 0,
        INTERNAL_TOKEN_PUBLIC_KEYS: [testKeys().publicKey],
      },
    });
    for (const group of ['it.runtime.a', 'it.runtime.b']) {
      runtime.consumer(group).on(EVENTS.billCreated, async () => undefined);
    }
    for (const name of ['first', 'second']) {
      runtime.manage({
        name,
        start: () => {
          order.push(`start ${name}`);
        },
        stop: () => {
          order.push(`stop ${name}`);
        },
      });
    }
    const { grpcPort, opsPort } = await runtime.serve();
    expect(grpcPort).toBeGreaterThan(0);
    expect(() => runtime.manage({ name: 'late', stop: () => undefined })).toThrow(/after serve/);
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    expect(metrics.match(/^# TYPE hms_kafka_consumer_lag gauge$/gm)).toHaveLength(1);
    expect(await runtime.close('test done')).toBe(true);
    expect(order).toEqual(['start first', 'start second', 'stop second', 'stop first']);
    await expect(fetch(`http://127.0.0.1:${opsPort}/livez`)).rejects.toThrow();
  });
});
