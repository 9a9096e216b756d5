/** Wires and starts the gateway: the REST API in front of the gRPC services. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createRedis, loadConfigOrExit, redisCheck, startRuntime, runMain } from '@hms/platform';
import { configSchema } from './config.js';
import { createPrisma } from './db/prisma.js';
import { createTenantRepository } from './db/tenant.repository.js';
import { createApp } from './http/app.js';
import { closeBackends, createBackends } from './http/backends.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));

export async function startGateway(env: Record<string, string | undefined>, options: { inProcess?: boolean } = {}) {
  const config = loadConfigOrExit(configSchema, env);
  const runtime = await startRuntime({
    name: 'gateway',
    schema: 'identity',
    config,
    migrationsDir: MIGRATIONS_DIR,
    inProcess: options.inProcess ?? false,
  });
  const { logger, metrics, lifecycle } = runtime;
  const prisma = createPrisma(runtime.pool());
  lifecycle.onShutdown('prisma', () => prisma.$disconnect());
  const redis = createRedis(config.REDIS_URL, logger);
  runtime.addCheck(redisCheck(redis));
  lifecycle.onShutdown('redis', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  const backends = createBackends({
    addresses: {
      appointments: config.APPOINTMENTS_GRPC_ADDRESS,
      billing: config.BILLING_GRPC_ADDRESS,
      queue: config.QUEUE_GRPC_ADDRESS,
      audit: config.AUDIT_GRPC_ADDRESS,
    },
    deadlineMs: config.GRPC_DEADLINE_MS,
    metrics,
  });
  lifecycle.onShutdown('grpc clients', () => closeBackends(backends));

  const app = createApp({
    logger,
    metrics,
    backends,
    tenants: createTenantRepository(prisma),
    redis,
    jwt: { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER },
    rateLimitPerMinute: config.RATE_LIMIT_PER_TENANT_PER_MINUTE,
    tenantCacheTtlMs: config.TENANT_CACHE_TTL_MS,
    trustProxy: config.TRUST_PROXY,
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.HTTP_PORT, config.HTTP_HOST, () => resolve());
  });
  const httpPort = (server.address() as AddressInfo).port;
  // Registered last, so it closes first: no new requests, those in flight finish
  // (bounded), idle keep-alive sockets close, then the clients they used.
  lifecycle.onShutdown('http server', async () => {
    const bound = setTimeout(() => server.closeAllConnections(), Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 3_000));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearTimeout(bound);
  });
  const ports = await runtime.serve();
  logger.info({ httpPort }, 'REST API listening');
  return { runtime, prisma, redis, httpPort, ...ports };
}

runMain(import.meta.url, () => startGateway(process.env));
