/** Wires and starts the gateway: the REST API in front of the gRPC services. */
import {
  createInternalTokenSigner,
  createRedis,
  createServiceRuntime,
  loadConfigOrExit,
  redisCheck,
  runMain,
} from '@hms/platform';
import { configSchema } from './config.js';
import { createDisplayTokenRepository } from './db/display-token.repository.js';
import { createTenantRepository } from './db/tenant.repository.js';
import { createApp } from './http/app.js';
import { closeBackends, createBackends } from './http/backends.js';
import { defaultStreamCaps } from './http/plan-limits.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { createPrometheusReader } from './http/prometheus.js';
import { createTenantMetrics } from './http/tenant-metrics.js';
import { createQueueHub } from './live/queue-hub.js';

export async function startGateway(env: Record<string, string | undefined>, options: { inProcess?: boolean } = {}) {
  const config = loadConfigOrExit(configSchema, env);
  const runtime = createServiceRuntime({
    name: 'gateway',
    schema: 'identity',
    config,
    inProcess: options.inProcess ?? false,
  });
  const { logger, metrics } = runtime;
  const redis = createRedis(config.REDIS_URL, logger);
  runtime.addCheck(redisCheck(redis));
  runtime.manage({
    name: 'redis',
    stop: () =>
      redis.quit().then(
        () => undefined,
        () => redis.disconnect(),
      ),
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
    tokens: createInternalTokenSigner({
      privateKey: config.INTERNAL_TOKEN_PRIVATE_KEY,
      ttlSeconds: config.INTERNAL_TOKEN_TTL_SECONDS,
    }),
  });
  runtime.manage({ name: 'grpc clients', stop: () => closeBackends(backends) });
  const hub = createQueueHub({
    backends,
    logger,
    metrics,
    heartbeatMs: config.SSE_HEARTBEAT_MS,
    replayBuffer: config.SSE_REPLAY_BUFFER,
    clientBufferBytes: config.SSE_CLIENT_BUFFER_BYTES,
    lingerMs: config.SSE_UPSTREAM_LINGER_MS,
    readyTimeoutMs: Math.max(config.GRPC_DEADLINE_MS, 3_000),
  });
  // Closed before the gRPC clients: the streams end, then the watches they used.
  runtime.manage({ name: 'live queues', stop: () => hub.close() });

  const app = createApp({
    logger,
    metrics,
    backends,
    tenants: createTenantRepository(runtime.database),
    redis,
    jwt: { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER },
    rateLimitPerMinute: config.RATE_LIMIT_PER_TENANT_PER_MINUTE,
    tenantCacheTtlMs: config.TENANT_CACHE_TTL_MS,
    trustProxy: config.TRUST_PROXY,
    auditVerifyDeadlineMs: config.AUDIT_VERIFY_DEADLINE_MS,
    claimDeadlineMs: config.CLAIM_DEADLINE_MS,
    tenantMetrics: createTenantMetrics(metrics.registry, { maxTenants: config.TENANT_METRICS_MAX_TENANTS }),
    platformMetrics: {
      prometheus: createPrometheusReader({ url: config.PROMETHEUS_URL, timeoutMs: config.PROMETHEUS_TIMEOUT_MS }),
      admins: config.PLATFORM_ADMIN_USERS,
    },
    hub,
    displayTokens: createDisplayTokenRepository(runtime.database),
    displayTokenCacheTtlMs: config.DISPLAY_TOKEN_CACHE_TTL_MS,
    streamCapsOf: defaultStreamCaps({
      perQueue: config.SSE_MAX_STREAMS_PER_QUEUE,
      perToken: config.SSE_MAX_STREAMS_PER_TOKEN,
    }),
    maxStreamsPerProcess: config.SSE_MAX_STREAMS_PER_PROCESS,
  });
  let server: HttpServer | undefined;
  // Added last, so it closes first: no new requests, those in flight finish
  // (bounded, leaving the rest of the shutdown budget to the closes after it),
  // idle keep-alive sockets close, then the clients and pools they used.
  runtime.manage({
    name: 'http server',
    async start() {
      server = await startHttpServer(app, { host: config.HTTP_HOST, port: config.HTTP_PORT });
      logger.info({ httpPort: server.port }, 'REST API listening');
    },
    stop: () => server?.close(Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 3_000)),
  });
  const ports = await runtime.serve();
  return { runtime, redis, hub, httpPort: server!.port, ...ports };
}

runMain(import.meta.url, () => startGateway(process.env));
