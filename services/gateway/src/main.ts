/** Wires and starts the gateway: identity, and the REST API in front of the gRPC services. */
import {
  audienceOf,
  createCacheInvalidations,
  createGrpcClient,
  createInternalTokenSigner,
  createRedis,
  createServiceRuntime,
  loadConfigOrExit,
  newId,
  redisCheck,
  runMain,
} from '@hms/platform';
import { loadContracts, type QuotaName, type UsageServiceClient } from '@hms/proto';
import { createAccess } from './auth/access.js';
import { createAccessTokens } from './auth/access-tokens.js';
import { createApiKeyUsage } from './auth/api-key-usage.js';
import { createApiKeys } from './auth/api-keys.js';
import { createPasswordHasher } from './auth/passwords.js';
import { createRefreshTokens } from './auth/refresh-tokens.js';
import { configSchema, DEVELOPMENT_PROFILES } from './config.js';
import { createIdentityStore } from './db/identity.repository.js';
import { createDisplayTokenRepository } from './db/display-token.repository.js';
import { createTenantRepository } from './db/tenant.repository.js';
import { createAccessLog } from './http/access-log.js';
import { createDoctorDirectory, type DoctorDirectory } from './http/doctors.js';
import { createSlotWindows } from './http/slot-windows.js';
import { createApp } from './http/app.js';
import { closeBackends, createBackends } from './http/backends.js';
import { createLoginGuard } from './http/login-guard.js';
import { createGatewayCensus, createRateLimits } from './http/rate-limit.js';
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
  const invalidations = createCacheInvalidations(redis, logger);
  runtime.manage({
    name: 'redis',
    stop: async () => {
      await invalidations.close();
      await redis.quit().then(
        () => undefined,
        () => redis.disconnect(),
      );
    },
  });
  const tokens = createInternalTokenSigner({
    privateKey: config.INTERNAL_TOKEN_PRIVATE_KEY,
    ttlSeconds: config.INTERNAL_TOKEN_TTL_SECONDS,
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
    tokens,
  });
  // The same contract, served by each service that holds something a plan counts.
  const usageClients = (['appointments', 'audit'] as const).map((service) =>
    createGrpcClient<UsageServiceClient>(loadContracts().hms.usage.v1.UsageService, {
      address: service === 'appointments' ? config.APPOINTMENTS_GRPC_ADDRESS : config.AUDIT_GRPC_ADDRESS,
      defaultDeadlineMs: config.GRPC_DEADLINE_MS,
      metrics,
      tokens,
      audience: audienceOf(service),
    }),
  );
  runtime.manage({
    name: 'grpc clients',
    stop: () => {
      closeBackends(backends);
      for (const client of usageClients) client.close();
    },
  });

  const store = createIdentityStore(runtime.database);
  const tenants = createTenantRepository(runtime.database);
  const passwords = createPasswordHasher();
  const apiKeys = createApiKeys(config.API_KEY_SECRET);
  const access = createAccess({
    redis,
    invalidations,
    tenants,
    store,
    ttlMs: config.TENANT_CACHE_TTL_MS,
    metrics,
    logger,
  });
  const census = createGatewayCensus({ redis, expected: config.GATEWAY_REPLICAS, logger });
  runtime.manage(census);
  const limits = createRateLimits({ redis, census, metrics, logger });
  const accessLog = createAccessLog({
    database: runtime.database,
    flushIntervalMs: config.ACCESS_LOG_FLUSH_INTERVAL_MS,
    maxPending: config.ACCESS_LOG_MAX_PENDING,
    logger,
    metrics,
  });
  runtime.manage(accessLog);
  const apiKeyUsage = createApiKeyUsage({ store, intervalMs: 5_000, logger });
  runtime.manage(apiKeyUsage);
  const accessTokens = createAccessTokens({
    privateKey: config.ACCESS_TOKEN_PRIVATE_KEY,
    extraPublicKeys: config.ACCESS_TOKEN_PUBLIC_KEYS,
    issuer: config.ACCESS_TOKEN_ISSUER,
    audience: config.ACCESS_TOKEN_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    clockSkewSeconds: config.ACCESS_TOKEN_CLOCK_SKEW_SECONDS,
  });
  const developmentTokens =
    config.JWT_SECRET && (DEVELOPMENT_PROFILES as readonly string[]).includes(config.DEPLOYMENT_PROFILE)
      ? { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER }
      : undefined;
  const now = () => new Date();
  const sessions = {
    tenants,
    store,
    passwords,
    refreshTokens: createRefreshTokens(),
    now,
    newId,
    sessionMaxAgeMs: config.SESSION_MAX_AGE_SECONDS * 1000,
    refreshTokenTtlMs: config.REFRESH_TOKEN_TTL_SECONDS * 1000,
  };
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

  // Appointments drops a changed doctor here through the invalidation channel.
  const doctors: DoctorDirectory = createDoctorDirectory({
    backends,
    redis,
    invalidations,
    registry: metrics.registry,
    logger,
    ttlMs: config.DOCTOR_CACHE_TTL_MS,
  });

  const slotWindows = createSlotWindows({
    backends,
    invalidations,
    lookups: metrics.cacheLookups,
    ttlMs: config.SLOT_WINDOWS_TTL_MS,
  });

  const app = createApp({
    logger,
    metrics,
    backends,
    doctors,
    slotWindows,
    authentication: {
      access,
      tokens: accessTokens,
      apiKeys,
      development: developmentTokens,
      failuresPerIpPerMinute: config.AUTH_FAILURES_PER_IP_PER_MINUTE,
      apiKeyUsed: (tenantId, id) => apiKeyUsage.used(tenantId, id),
      cacheLookups: metrics.cacheLookups,
    },
    limits,
    loginGuard: createLoginGuard({
      limits,
      failuresPerIp: config.LOGIN_FAILURES_PER_IP,
      failuresBeforeLockout: config.LOGIN_FAILURES_BEFORE_LOCKOUT,
    }),
    sessions,
    admin: {
      users: { store, tenants, passwords, access, now, newId },
      roles: { store, access, now },
      apiKeys: { store, access, mint: apiKeys, now, newId },
      tenantAdmin: { tenants, passwords, access, now, newId },
      store,
      tenants,
      async usage(tenantId) {
        const counted = await Promise.all([
          store.read(tenantId, (tx) => tx.countUsers()),
          ...usageClients.map((client) => client.call.getTenantUsage({})),
        ]);
        const [users, ...others] = counted as [number, ...{ usage: { quota: string; used: number }[] }[]];
        const usage: Partial<Record<QuotaName, number>> = { users };
        for (const answer of others) for (const u of answer.usage) usage[u.quota as QuotaName] = Number(u.used);
        return usage;
      },
    },
    accessLog,
    trustProxy: config.TRUST_PROXY,
    auditVerifyDeadlineMs: config.AUDIT_VERIFY_DEADLINE_MS,
    claimDeadlineMs: config.CLAIM_DEADLINE_MS,
    tenantMetrics: createTenantMetrics(metrics.registry, { maxTenants: config.TENANT_METRICS_MAX_TENANTS }),
    prometheus: createPrometheusReader({ url: config.PROMETHEUS_URL, timeoutMs: config.PROMETHEUS_TIMEOUT_MS }),
    hub,
    displayTokens: createDisplayTokenRepository(runtime.database),
    displayTokenCacheTtlMs: config.DISPLAY_TOKEN_CACHE_TTL_MS,
    streamCapsOf: defaultStreamCaps({
      perQueue: config.SSE_MAX_STREAMS_PER_QUEUE,
      perToken: config.SSE_MAX_STREAMS_PER_TOKEN,
    }),
    maxStreamsPerProcess: config.SSE_MAX_STREAMS_PER_PROCESS,
    queueReads: { maxAgeMs: config.QUEUE_READ_MAX_AGE_MS, maxBytes: config.QUEUE_READ_CACHE_BYTES },
  });
  if (developmentTokens) logger.warn({ profile: config.DEPLOYMENT_PROFILE }, 'development tokens are accepted');
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
  return { runtime, redis, access, accessLog, apiKeyUsage, hub, httpPort: server!.port, ...ports };
}

runMain(import.meta.url, () => startGateway(process.env));
