/**
 * The REST API as an Express app: observability first (so every response,
 * errors included, has a request id, a trace and a metric), then
 * authentication, the tenant's rate limit, JSON bodies, no NUL characters in
 * any text, the routes, and problem+json for everything that goes wrong.
 */
import express, { type RequestHandler } from 'express';
import type { Logger, Metrics, Redis } from '@hms/platform';
import type { DisplayTokenRepository } from '../db/display-token.repository.js';
import type { TenantRepository } from '../db/tenant.repository.js';
import type { QueueHub } from '../live/queue-hub.js';
import { API_PREFIX } from './api-prefix.js';
import { authenticate, cachedTenants } from './auth.js';
import type { Backends } from './backends.js';
import { authenticateStaffOrDisplay, createDisplayAuth } from './display-auth.js';
import { createDoctorDirectory } from './doctors.js';
import type { StreamCapsOf } from './plan-limits.js';
import { observe } from './observability.js';
import { requirePlatformAdmin } from './platform-admin.js';
import type { PrometheusReader } from './prometheus.js';
import type { TenantMetrics } from './tenant-metrics.js';
import { HttpProblem, problemHandler } from './problem.js';
import { rateLimitPerTenant } from './rate-limit.js';
import { refuseNulCharacters } from './text-input.js';
import { adminMetricsRoutes } from './routes/admin-metrics.js';
import { appointmentRoutes } from './routes/appointments.js';
import { auditRoutes } from './routes/audit.js';
import { billRoutes } from './routes/bills.js';
import { calendarRoutes } from './routes/calendars.js';
import { clinicalRoutes } from './routes/clinical.js';
import { directoryRoutes } from './routes/directory.js';
import { patientRoutes } from './routes/patients.js';
import { displayPageRoutes } from './routes/display-page.js';
import { displayTokenRoutes } from './routes/display-tokens.js';
import { queueDeskRoutes } from './routes/queue-desk.js';
import { queueStreamRoutes } from './routes/queue-stream.js';
import { queueRoutes } from './routes/queues.js';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  backends: Backends;
  tenants: TenantRepository;
  redis: Redis;
  jwt: { secret: string; issuer: string };
  rateLimitPerMinute: number;
  tenantCacheTtlMs: number;
  trustProxy: string;
  /** Deadline of a trail verification, which reads far more than other calls. */
  auditVerifyDeadlineMs: number;
  /** Deadline of a booking or a slot hold (see config.ts); the default deadline when absent. */
  claimDeadlineMs?: number;
  /** Per-tenant request figures (bounded labels); none in tests that do not look at them. */
  tenantMetrics?: TenantMetrics;
  /** What /admin/metrics reads, and who may (see platform-admin.ts). */
  platformMetrics?: { prometheus: PrometheusReader; admins: readonly string[] };
  hub: QueueHub;
  displayTokens: DisplayTokenRepository;
  displayTokenCacheTtlMs: number;
  streamCapsOf: StreamCapsOf;
  maxStreamsPerProcess: number;
}

/** A body that is there must be JSON; no body at all is fine (e.g. check-in). */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is(['application/json', 'application/*+json'])) {
    throw new HttpProblem(415, 'unsupported-media-type', 'the request body must be application/json');
  }
  next();
};

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // API responses are not cached by validators: hashing every body for an ETag is CPU for nothing.
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy);
  app.set('json spaces', 0);
  app.use(observe(deps.metrics, deps.tenantMetrics));

  // Who is asking, and whether they may, before any work on what they sent. Each
  // route runs these itself (so a 401 or 429 is measured under its route
  // template, and the auth work can add per-route permissions beside them).
  const tenantOf = cachedTenants(deps.tenants, deps.tenantCacheTtlMs, deps.metrics.cacheLookups);
  const authenticated = authenticate({
    ...deps.jwt,
    tenants: deps.tenants,
    cacheTtlMs: deps.tenantCacheTtlMs,
    cacheLookups: deps.metrics.cacheLookups,
    tenantOf,
  });
  const limited = rateLimitPerTenant({ redis: deps.redis, perMinute: deps.rateLimitPerMinute });
  const displayAuth = createDisplayAuth(deps.displayTokens, deps.displayTokenCacheTtlMs);
  const doctors = createDoctorDirectory(deps.backends);
  const guards = [
    authenticated,
    limited,
    requireJsonBody,
    express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }),
    refuseNulCharacters,
  ];
  // Routes carry their full path, so the route template of a metric is whole
  // even when the response is an error sent after Express left the router.
  const claims = { claimDeadlineMs: deps.claimDeadlineMs };
  app.use(appointmentRoutes(deps.backends, guards, claims));
  app.use(clinicalRoutes(deps.backends, guards));
  app.use(patientRoutes(deps.backends, guards));
  app.use(directoryRoutes(deps.backends, guards));
  app.use(calendarRoutes(deps.backends, guards, claims));
  // The stream before /queues/:doctorId; it alone also takes a display token.
  app.use(
    queueStreamRoutes(
      {
        hub: deps.hub,
        doctors,
        capsOf: deps.streamCapsOf,
        maxStreamsPerProcess: deps.maxStreamsPerProcess,
        displayTokens: deps.displayTokens,
        metrics: deps.metrics,
      },
      [
        authenticateStaffOrDisplay({ staff: authenticated, display: displayAuth, tenantOf }),
        limited,
        refuseNulCharacters,
      ],
    ),
  );
  app.use(queueRoutes(deps.backends, guards));
  app.use(queueDeskRoutes(deps.backends, doctors, guards));
  app.use(displayTokenRoutes({ tokens: deps.displayTokens, auth: displayAuth, doctors, hub: deps.hub }, guards));
  app.use(displayPageRoutes());
  app.use(billRoutes(deps.backends, guards));
  app.use(auditRoutes(deps.backends, guards, { verifyDeadlineMs: deps.auditVerifyDeadlineMs }));
  if (deps.platformMetrics) {
    const { prometheus, admins } = deps.platformMetrics;
    app.use(adminMetricsRoutes(prometheus, guards, requirePlatformAdmin(admins)));
  }

  // An unknown path under the API still needs a token and spends the budget, so
  // probing for routes is neither anonymous nor free.
  app.use(API_PREFIX, authenticated, limited);
  app.use(() => {
    throw new HttpProblem(404, 'not-found', 'no such resource');
  });
  app.use(problemHandler(deps.logger));
  return app;
}
