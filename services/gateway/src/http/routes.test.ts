/**
 * Every route of the REST API declares what it needs: each method handler of
 * each route has a `requires(permission)` or a `publicRoute(why)` in its chain.
 * A route added without one fails here, whichever file it lives in.
 */
import { createLogger, createMetrics } from '@hms/platform';
import { isPermission } from '@hms/proto';
import type { RequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from './app.js';
import { declarationOf } from './permissions.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean>; stack: { method?: string; handle: unknown }[] };
  handle: { stack?: Layer[] };
}

/** Every route of the app, with the declaration of each of its methods. */
function routesOf(app: ReturnType<typeof createApp>): { method: string; path: string; needs: string | undefined }[] {
  const found: { method: string; path: string; needs: string | undefined }[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
          const declared = layer.route.stack
            .filter((l) => l.method === method)
            .map((l) => declarationOf(l.handle))
            .find(Boolean);
          found.push({ method: method.toUpperCase(), path: layer.route.path, needs: declared?.permission });
        }
      } else if (layer.handle.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}

const pass: RequestHandler = (_req, _res, next) => next();

/** An app built from inert parts: enough to list its routes, never to serve one. */
function inertApp() {
  const inert = {} as never;
  const deps: AppDeps = {
    logger: createLogger({ service: 'routes-test', level: 'silent' }),
    metrics: createMetrics('routes-test', { defaultMetrics: false }),
    backends: new Proxy({}, { get: () => ({ call: {} }) }) as never,
    authentication: {
      access: inert,
      tokens: { ttlSeconds: 900 } as never,
      apiKeys: inert,
      failuresPerIpPerMinute: 60,
      apiKeyUsed: () => undefined,
    },
    limits: { budgets: pass } as never,
    loginGuard: inert,
    sessions: inert,
    admin: inert,
    accessLog: inert,
    trustProxy: 'loopback',
    auditVerifyDeadlineMs: 20_000,
    prometheus: inert,
    hub: { onHeartbeat: () => undefined } as never,
    displayTokens: inert,
    displayTokenCacheTtlMs: 5_000,
    streamCapsOf: () => ({ perQueue: 1, perToken: 1 }),
    maxStreamsPerProcess: 1,
  };
  return createApp(deps);
}

describe('routes', () => {
  const routes = routesOf(inertApp());

  it('are all found (the walk sees every router)', () => {
    const listed = routes.map((r) => `${r.method} ${r.path}`);
    for (const known of [
      'POST /api/v1/auth/login',
      'GET /.well-known/jwks.json',
      'POST /api/v1/appointments',
      'GET /api/v1/appointments/:id',
      'GET /api/v1/bills',
      'GET /api/v1/audit/verify',
      'PATCH /api/v1/admin/users/:id',
      'PATCH /api/v1/admin/tenants/:id',
      'POST /api/v1/bills/:id/payments',
      'POST /api/v1/refunds/:id/approve',
      'POST /api/v1/queues/:doctorId/call-next',
      'GET /api/v1/queues/:doctorId/stream',
      'POST /api/v1/display-tokens',
      'GET /api/v1/admin/metrics/summary',
    ]) {
      expect(listed).toContain(known);
    }
  });

  it('each declare the permission they need, or that they are public', () => {
    const undeclared = routes.filter((r) => r.needs === undefined).map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
    for (const r of routes) {
      if (r.needs !== 'public') expect(isPermission(r.needs!), `${r.method} ${r.path}: ${r.needs}`).toBe(true);
    }
  });

  it('leave only signing in, out, the public keys and the waiting-room page open to anyone', () => {
    expect(
      routes
        .filter((r) => r.needs === 'public')
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    ).toEqual([
      'GET /.well-known/jwks.json',
      'GET /display/display.css',
      'GET /display/display.js',
      'GET /display/queues',
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/logout',
      'POST /api/v1/auth/refresh',
    ]);
  });

  it("give tenant administration to the tenant, and tenants and the platform's metrics to the platform", () => {
    const platformWide = (path: string) =>
      path.startsWith('/api/v1/admin/tenants') || path.startsWith('/api/v1/admin/metrics');
    for (const r of routes.filter((x) => x.path.startsWith('/api/v1/admin/tenants'))) {
      expect(r.needs).toBe('platform.tenants.manage');
    }
    for (const r of routes.filter((x) => x.path.startsWith('/api/v1/admin/metrics'))) {
      expect(r.needs).toBe('platform.metrics.read');
    }
    for (const r of routes.filter((x) => !platformWide(x.path))) {
      expect(r.needs?.startsWith('platform.'), `${r.method} ${r.path}`).toBe(false);
    }
  });
});
