/**
 * Plans and their request budgets, in-process gateways against the test
 * stack's real Redis (and one with Redis unreachable): per tenant and per
 * user, so no user spends the tenant's budget alone; endpoint classes; IETF
 * RateLimit headers and 429 with Retry-After; and the Redis-down policy, each
 * gateway its share of the budget rather than all of it.
 */
import { createLogger, createMetrics, createRedis, newId } from '@hms/platform';
import { testEnv } from '@hms/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDevelopmentToken } from './http/auth.js';
import { createRateLimits } from './http/rate-limit.js';
import {
  DEV_SECRET,
  json,
  makeTenant,
  ownerPrisma,
  request,
  startTestGateway,
  type Gateway,
} from './testing/harness.js';

const prisma = ownerPrisma();
let shared: Gateway;
let withoutRedis: Gateway;

const tokenOf = (tenantId: string, userId: string) =>
  signDevelopmentToken({ tenantId, userId }, { secret: DEV_SECRET, issuer: 'hms-dev', ttl: '10m' });

/** Requests until the first refusal (at most `max`): how many passed, and the refusal. */
async function spendUntilRefused(g: Gateway, token: string, max: number, path = '/api/v1/admin/users') {
  for (let passed = 0; passed <= max; passed += 1) {
    const r = await request(g, 'GET', path, { token });
    if (r.status === 429) return { passed, refusal: r };
    expect(r.status).not.toBe(500);
  }
  throw new Error(`no refusal within ${max} requests`);
}

beforeAll(async () => {
  shared = await startTestGateway();
  // Two gateways counted (the census cannot reach Redis either): this one allows half of each budget.
  withoutRedis = await startTestGateway({ REDIS_URL: 'redis://127.0.0.1:1', GATEWAY_REPLICAS: '2' });
});

afterAll(async () => {
  await Promise.all([shared?.runtime.close('test done'), withoutRedis?.runtime.close('test done')]);
  await prisma.$disconnect();
});

describe('request budgets', () => {
  it("give each user a share of the tenant's plan, and the tenant its total, with IETF headers", async () => {
    // FREE: 500 requests per 15 minutes for the tenant, 250 for any one user.
    const t = await makeTenant(prisma, { plan: 'FREE' });
    const [first, second, third] = await Promise.all(['u1', 'u2', 'u3'].map((u) => tokenOf(t.id, u)));
    const ok = await request(shared, 'GET', '/api/v1/admin/users', { token: first });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-policy')).toBe('"tenant";q=500;w=900, "user";q=250;w=900');
    expect(ok.headers.get('ratelimit')).toMatch(/^"tenant";r=499;t=\d+, "user";r=249;t=\d+$/);

    const one = await spendUntilRefused(shared, first!, 300);
    expect(one.passed).toBe(249);
    expect(Number(one.refusal.headers.get('retry-after'))).toBeGreaterThan(0);
    const problem = await json(one.refusal);
    expect(problem).toMatchObject({ type: 'urn:hms:problem:rate-limited', status: 429 });
    expect(String(problem.detail)).toMatch(/you made too many requests/);
    expect(one.refusal.headers.get('ratelimit')).toMatch(/"user";r=0;/);
    // Trying on after the refusal spends nothing more of the tenant's budget.
    for (let i = 0; i < 20; i++)
      expect((await request(shared, 'GET', '/api/v1/admin/users', { token: first })).status).toBe(429);

    // Another user of the tenant is not held back by the first...
    const two = await spendUntilRefused(shared, second!, 300);
    expect(two.passed).toBe(250);
    // ...but once the tenant's 500 are spent, nobody of it gets through.
    const three = await request(shared, 'GET', '/api/v1/admin/users', { token: third });
    expect(three.status).toBe(429);
    expect(String((await json(three)).detail)).toMatch(/tenant's plan/);
    // Another tenant is untouched.
    const other = await makeTenant(prisma, { plan: 'FREE' });
    expect((await request(shared, 'GET', '/api/v1/admin/users', { token: other.devToken })).status).toBe(200);
  });

  it('hold searches to 30 a minute per user, on top of the plan', async () => {
    const t = await makeTenant(prisma, { plan: 'ENTERPRISE' });
    const searches = await spendUntilRefused(shared, t.devToken, 40, `/api/v1/audit?entityId=${newId()}`);
    expect(searches.passed).toBe(30);
    expect(searches.refusal.headers.get('ratelimit-policy')).toContain('"search";q=30;w=60');
    // Other routes still answer.
    expect((await request(shared, 'GET', '/api/v1/admin/users', { token: t.devToken })).status).toBe(200);
  });

  it('keep limiting with Redis away: each gateway its share, never every gateway the whole budget', async () => {
    const t = await makeTenant(prisma, { plan: 'FREE' });
    const token = await tokenOf(t.id, 'u1');
    // 250 for the user across 2 gateways: 125 here.
    const alone = await spendUntilRefused(withoutRedis, token, 300);
    expect(alone.passed).toBe(125);
    expect(alone.refusal.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('budgets over the auto-pipelined Redis client', () => {
  it('spends a budget first used in the same tick as other commands, and counts it in Redis', async () => {
    const logger = createLogger({ service: 'test-rate-limits', level: 'error' });
    const redis = createRedis(testEnv().HMS_REDIS_URL, logger);
    try {
      if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
      const limits = createRateLimits({
        redis,
        census: { name: 'census', start: async () => undefined, stop: async () => undefined, count: () => 1 },
        metrics: createMetrics('test', { defaultMetrics: false }),
        logger,
      });
      const key = newId();
      // One tick: a command opens the tick's pipeline, then two budgets of a policy never used before.
      const [pong, spent] = await Promise.all([
        redis.ping(),
        limits.spend([
          { policy: `probe-${key}`, key, points: 5, durationSeconds: 60 },
          { policy: `probe-${key}`, key: `${key}:user`, points: 3, durationSeconds: 60 },
        ]),
      ]);
      expect(pong).toBe('PONG');
      expect(spent.map((s) => s.remaining)).toEqual([4, 2]);
      // Spent in Redis, not in a process fallback.
      expect(Number(await redis.get(`hms:rl:probe-${key}:60:${key}`))).toBe(1);
    } finally {
      redis.disconnect();
    }
  });
});
