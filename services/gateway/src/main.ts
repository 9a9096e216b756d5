/** Wires and starts the gateway: the REST API in front of the gRPC services. */
import { fileURLToPath } from 'node:url';
import { createRedis, loadConfigOrExit, redisCheck, startRuntime, runMain } from '@hms/platform';
import { configSchema } from './config.js';
import { createPrisma } from './db/prisma.js';
import { createTenantRepository } from './db/tenant.repository.js';
import { createApp } from './http/app.js';
import { closeBackends, createBackends } from './http/backends.js';
import { startHttpServer } from './http/server.js';

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
  const server = await startHttpServer(app, { host: config.HTTP_HOST, port: config.HTTP_PORT });
  // Registered last, so it closes first: no new requests, those in flight finish
  // (bounded, leaving the rest of the shutdown budget to the closes after it),
  // idle keep-alive sockets close, then the clients and pools they used.
  lifecycle.onShutdown('http server', () => server.close(Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 3_000)));
  const ports = await runtime.serve();
  logger.info({ httpPort: server.port }, 'REST API listening');
  return { runtime, prisma, redis, httpPort: server.port, ...ports };
}

runMain(import.meta.url, () => startGateway(process.env));
