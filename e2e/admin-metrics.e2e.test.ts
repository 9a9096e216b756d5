/**
 * The platform admins' metrics endpoints through nginx, backed by the test
 * stack's Prometheus: refused to a tenant's user, answered to a platform admin
 * (PLATFORM_ADMIN of the platform tenant, platform.metrics.read)
 * with the platform's figures, a tenant's own, and the SLO problems view.
 */
import { eventually } from '@hms/platform/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, newTenant, platformOperatorToken, type DemoTenant } from './support/stack.js';

let tenant: DemoTenant;
let admin: string;

/**
 * A request of the tenant (a 404: no such appointment). The platform operator's
 * polling belongs to the platform tenant, so the tenant's rate rises only while
 * the tenant itself keeps calling: a counter that stopped before its first
 * scrape has no rate.
 */
const traffic = () => call('GET', `/appointments/${tenant.patients[0]!.id}`, { token: tenant.token });

beforeAll(async () => {
  tenant = await newTenant();
  admin = await platformOperatorToken();
  // Traffic of the tenant for its figures.
  for (let i = 0; i < 20; i += 1) await traffic();
});

describe('platform metrics for platform admins', () => {
  it("refuses a tenant's user", async () => {
    for (const p of [
      '/admin/metrics/summary',
      `/admin/metrics/tenants/${tenant.tenantId}`,
      '/admin/metrics/problems',
    ]) {
      const r = await call('GET', p, { token: tenant.token });
      expect(r.status, p).toBe(403);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.json.type).toBe('urn:hms:problem:forbidden');
      expect(String(r.json.detail)).toContain('platform.metrics.read');
    }
    expect((await call('GET', '/admin/metrics/summary')).status).toBe(401);
  });

  it("shows the platform's figures and the top tenants, this one among them", async () => {
    const summary = await eventually(
      async () => {
        await traffic();
        // Other suites' tenants may be busier: ask for all of them.
        const r = await call('GET', '/admin/metrics/summary?top=100', { token: admin });
        expect(r.status).toBe(200);
        const top = r.json.topTenants as { tenantId: string; requestsPerSecond: number }[];
        // Its series exist from the first scrape; a rate needs two.
        return top.some((t) => t.tenantId === tenant.tenantId && t.requestsPerSecond > 0) ? r.json : undefined;
      },
      { what: 'the tenant among the top tenants', timeoutMs: 60_000, intervalMs: 2_000 },
    );
    expect(summary.requestsPerSecond).toBeGreaterThan(0);
    expect(summary.slos).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'booking_availability', objective: 0.999 })]),
    );
    const mine = (summary.topTenants as Record<string, unknown>[]).find((t) => t.tenantId === tenant.tenantId)!;
    expect(mine.requestsPerSecond).toBeGreaterThan(0);
    expect(mine.rateLimitedPerSecond).toBe(0);
  });

  it("shows one tenant's figures, and refuses an id that is not a UUID", async () => {
    const r = await eventually(
      async () => {
        await traffic();
        const reply = await call('GET', `/admin/metrics/tenants/${tenant.tenantId}`, { token: admin });
        return (reply.json.requestsPerSecond as number | null) ? reply : undefined;
      },
      { what: "the tenant's figures", timeoutMs: 60_000, intervalMs: 2_000 },
    );
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ tenantId: tenant.tenantId, window: '5m', rateLimitedPerSecond: 0 });
    // Its requests were 404s (no such appointment): client errors, not 5xx.
    expect(r.json.errorRatio).toBe(0);
    expect(r.json.p95Seconds).toBeGreaterThan(0);
    expect(r.json.sloBreaches).toEqual([]);

    const bad = await call('GET', '/admin/metrics/tenants/not-a-uuid', { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([expect.objectContaining({ field: 'id' })]);
    const tooMany = await call('GET', '/admin/metrics/summary?top=1000', { token: admin });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.errors).toEqual([expect.objectContaining({ field: 'top' })]);
  });

  it('lists the tenants breaching their SLO over the last hour', async () => {
    const r = await call('GET', '/admin/metrics/problems', { token: admin });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ window: '1h', objectives: { availability: 0.999, p95Seconds: 0.2 } });
    expect(Array.isArray(r.json.tenants)).toBe(true);
    expect((r.json.tenants as { tenantId: string }[]).some((t) => t.tenantId === tenant.tenantId)).toBe(false);
  });
});
