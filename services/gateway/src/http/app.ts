/**
 * The REST API as an Express app: observability first (so every response,
 * errors included, has a request id, a trace and a metric), then
 * authentication, the tenant's and the user's request budgets, JSON bodies, no
 * NUL characters in any text, the routes (each method declaring the permission
 * it needs), and problem+json for everything that goes wrong.
 */
import express, { type RequestHandler } from 'express';
import type { Logger, Metrics } from '@hms/platform';
import type { DisplayTokenRepository } from '../db/display-token.repository.js';
import type { QueueHub } from '../live/queue-hub.js';
import { API_PREFIX } from './api-prefix.js';
import { ACCESS_LOG, type AccessLog } from './access-log.js';
import { authenticate, type AuthenticateOptions } from './auth.js';
import type { Backends } from './backends.js';
import { authenticateStaffOrDisplay, createDisplayAuth } from './display-auth.js';
import type { DoctorDirectory } from './doctors.js';
import type { LoginGuard } from './login-guard.js';
import type { StreamCapsOf } from './plan-limits.js';
import { observe } from './observability.js';
import { RATE_LIMITS } from './permissions.js';
import type { PrometheusReader } from './prometheus.js';
import type { TenantMetrics } from './tenant-metrics.js';
import { HttpProblem, problemHandler } from './problem.js';
import type { RateLimits } from './rate-limit.js';
import { refuseNulCharacters } from './text-input.js';
import { adminMetricsRoutes } from './routes/admin-metrics.js';
import { adminRoutes, type AdminRouteDeps } from './routes/admin.js';
import { apiDocsRoutes } from './routes/api-docs.js';
import { appointmentRoutes } from './routes/appointments.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
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
import { createQueueReads, type QueueReadOptions } from '../live/queue-reads.js';
import type { SessionDeps } from '../domain/login.js';
import type { SlotWindows } from './slot-windows.js';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  backends: Backends;
  /** Doctors as the queue desk and the streams need them (cached, invalidated by doctor.updated). */
  doctors: DoctorDirectory;
  /** GET /doctors/{id}/slots's answers kept in the process (src/http/slot-windows.ts); none: always read. */
  slotWindows?: SlotWindows;
  /** How credentials are checked (access tokens, API keys, development tokens). */
  authentication: Omit<AuthenticateOptions, 'limits'>;
  limits: RateLimits;
  loginGuard: LoginGuard;
  sessions: SessionDeps;
  admin: AdminRouteDeps;
  accessLog: AccessLog;
  trustProxy: string;
  /** Deadline of a trail verification, which reads far more than other calls. */
  auditVerifyDeadlineMs: number;
  /** Deadline of a booking or a slot hold (see config.ts); the default deadline when absent. */
  claimDeadlineMs?: number;
  /** Per-tenant request figures (bounded labels); none in tests that do not look at them. */
  tenantMetrics?: TenantMetrics;
  /** What the platform operators' /admin/metrics reads (platform.metrics.read). */
  prometheus?: PrometheusReader;
  hub: QueueHub;
  displayTokens: DisplayTokenRepository;
  displayTokenCacheTtlMs: number;
  streamCapsOf: StreamCapsOf;
  maxStreamsPerProcess: number;
  /** GET /queues/{doctorId}'s cache of serialized queues (src/live/queue-reads.ts). */
  queueReads: Pick<QueueReadOptions, 'maxAgeMs' | 'maxBytes'>;
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
  // What routes reach through their request: endpoint-class budgets (requires) and the access log (noteRead).
  app.locals[RATE_LIMITS] = deps.limits;
  app.locals[ACCESS_LOG] = deps.accessLog;
  app.use(observe(deps.metrics, deps.tenantMetrics));

  // Who is asking, and whether they may, before any work on what they sent. Each
  // route runs these itself (so a 401 or 429 is measured under its route
  // template), and each method names its permission (`requires`).
  const authenticated = authenticate({ ...deps.authentication, limits: deps.limits });
  const tenantOf = (id: string) => deps.authentication.access.tenant(id);
  const displayAuth = createDisplayAuth(deps.displayTokens, deps.displayTokenCacheTtlMs);
  const doctors = deps.doctors;
  const body = [
    requireJsonBody,
    express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }),
    refuseNulCharacters,
  ];
  const guards = [authenticated, deps.limits.budgets, ...body];
  const authenticateIfPresent: RequestHandler = (req, res, next) =>
    req.get('authorization') ? authenticated(req, res, next) : next();

  // The published contracts and their docs page: public, before any guard.
  app.use(apiDocsRoutes());
  // Routes carry their full path, so the route template of a metric is whole
  // even when the response is an error sent after Express left the router.
  app.use(
    authRoutes({
      sessions: deps.sessions,
      tokens: deps.authentication.tokens,
      access: deps.authentication.access,
      guard: deps.loginGuard,
      body,
      authenticateIfPresent,
    }),
  );
  const claims = { claimDeadlineMs: deps.claimDeadlineMs };
  app.use(appointmentRoutes(deps.backends, guards, claims));
  app.use(clinicalRoutes(deps.backends, guards));
  app.use(patientRoutes(deps.backends, guards));
  app.use(directoryRoutes(deps.backends, doctors, guards));
  app.use(calendarRoutes(deps.backends, guards, { ...claims, slotWindows: deps.slotWindows }));
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
        deps.limits.budgets,
        refuseNulCharacters,
      ],
    ),
  );
  app.use(
    queueRoutes(createQueueReads({ backends: deps.backends, metrics: deps.metrics, ...deps.queueReads }), guards),
  );
  app.use(queueDeskRoutes(deps.backends, doctors, guards));
  app.use(displayTokenRoutes({ tokens: deps.displayTokens, auth: displayAuth, doctors, hub: deps.hub }, guards));
  app.use(displayPageRoutes());
  app.use(billRoutes(deps.backends, guards));
  app.use(auditRoutes(deps.backends, guards, { verifyDeadlineMs: deps.auditVerifyDeadlineMs }));
  app.use(adminRoutes(deps.admin, guards));
  if (deps.prometheus) app.use(adminMetricsRoutes(deps.prometheus, guards));

  // An unknown path under the API still needs a token and spends the budget, so
  // probing for routes is neither anonymous nor free.
  app.use(API_PREFIX, authenticated, deps.limits.budgets);
  app.use(() => {
    throw new HttpProblem(404, 'not-found', 'no such resource');
  });
  app.use(problemHandler(deps.logger));
  return app;
}
