/**
 * Every route of the REST API declares what it needs: each method handler of
 * each route has a `requires(permission)` or a `publicRoute(why)` in its chain.
 * A route added without one fails here, whichever file it lives in.
 */
import { isPermission } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { inertApp, routesOf } from '../testing/inert-app.js';

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

  it('leave only signing in, out, the public keys, the published contracts and the waiting-room page open to anyone', () => {
    expect(
      routes
        .filter((r) => r.needs === 'public')
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    ).toEqual([
      'GET /.well-known/jwks.json',
      'GET /api/docs',
      'GET /api/docs/init.js',
      'GET /api/docs/scalar.js',
      'GET /api/v1/asyncapi.json',
      'GET /api/v1/openapi.json',
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
