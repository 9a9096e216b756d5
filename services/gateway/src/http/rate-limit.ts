/**
 * Request budgets, shared by every gateway through Redis (rate-limiter-flexible):
 *
 * - per tenant and per user (or API key), per 15 minutes, by the tenant's
 *   plan (domain/plans.ts) times its contract multiplier; a plan change
 *   applies to the next request (the tenant cache is invalidated everywhere);
 * - per endpoint class (booking, search, bulk per user; sign-in per account
 *   and address), declared by the route (`requires(..., { limit })`).
 *
 * Every answer carries the IETF RateLimit-Policy and RateLimit headers
 * (draft-ietf-httpapi-ratelimit-headers); a refusal is a 429 problem naming
 * the budget, with Retry-After.
 *
 * Redis away: each gateway limits by itself, to its share of the budget,
 * floor(budget / gateways) with the number of gateways last counted in Redis
 * (GatewayCensus; GATEWAY_REPLICAS until the first count). Together they allow
 * about the budget, never N times it; one gateway's count is less precise, and
 * budgets start afresh when Redis returns (docs/security.md).
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger, ManagedPart, Metrics, Redis } from '@hms/platform';
import { Counter } from '@hms/platform';
import { BUDGET_WINDOW_SECONDS, ENDPOINT_CLASSES, PLANS, type EndpointClass } from '../domain/plans.js';
import type { Identity } from './identity.js';
import { HttpProblem } from './problem.js';

/** One budget: whose count (key), how many requests (points) per how long. */
export interface Budget {
  /** Names the policy in headers and problems: tenant, user, booking, search, bulk, login. */
  policy: string;
  key: string;
  points: number;
  durationSeconds: number;
}

export interface Spent {
  budget: Budget;
  remaining: number;
  resetSeconds: number;
}

/** How many gateways share the budgets (for the Redis-down policy). */
export interface GatewayCensus extends ManagedPart {
  count(): number;
}

export function createGatewayCensus(options: {
  redis: Redis;
  /** Assumed until Redis has been asked once. */
  expected: number;
  intervalMs?: number;
  logger: Logger;
}): GatewayCensus {
  const key = 'hms:gateways';
  const id = randomUUID();
  const intervalMs = options.intervalMs ?? 5_000;
  let counted = options.expected;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const now = Date.now();
    try {
      const results = await options.redis
        .multi()
        .zadd(key, now, id)
        .zremrangebyscore(key, 0, now - 3 * intervalMs)
        .zcard(key)
        .pexpire(key, 10 * intervalMs)
        .exec();
      const n = Number(results?.[2]?.[1]);
      if (Number.isInteger(n) && n >= 1) counted = n;
    } catch {
      // Redis away: keep the last count (the limits divide by it meanwhile).
    }
  };
  return {
    name: 'gateway census',
    async start() {
      await tick();
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await options.redis.zrem(key, id).catch(() => undefined);
    },
    count: () => counted,
  };
}

export interface RateLimits {
  /** Middleware: the tenant's and the user's budgets (after authentication). */
  budgets: RequestHandler;
  /** Spends one request of an endpoint class for the caller; a 429 problem when it is spent. */
  spendClass(endpoint: Exclude<EndpointClass, 'login'>, identity: Identity, res: Response): Promise<void>;
  /** Spends from any budgets at once: all their answers, or the first refusal (a RateLimiterRes). */
  spend(budgets: Budget[]): Promise<Spent[]>;
  /** Looks without spending: whether the budget is spent, and for how long still. */
  peek(budget: Budget): Promise<Spent | undefined>;
  /** Forgets a key's count (a successful sign-in clears nothing else). */
  reset(budget: Budget): Promise<void>;
}

export function createRateLimits(options: {
  redis: Redis;
  census: GatewayCensus;
  metrics: Metrics;
  logger: Logger;
}): RateLimits {
  const shared = new Map<string, RateLimiterRedis>();
  const local = new Map<string, RateLimiterMemory>();
  const refusals = rateLimitRefusals(options.metrics);
  let degraded = false;
  // A Redis limiter defines its Lua command on the client when it is made. The client
  // auto-pipelines (createRedis): a pipeline opened earlier in the same tick lacks a command
  // defined after it, and ioredis then fails the whole batch. Defined here, at start, before
  // any budget is spent, every pipeline has it.
  new RateLimiterRedis({ storeClient: options.redis, points: 1, duration: 1 });

  const sharedFor = (b: Budget) => {
    const id = `${b.policy}:${b.points}:${b.durationSeconds}`;
    let limiter = shared.get(id);
    if (!limiter) {
      // The key prefix leaves out the points: a plan change keeps the count and applies the new limit.
      limiter = new RateLimiterRedis({
        storeClient: options.redis,
        keyPrefix: `hms:rl:${b.policy}:${b.durationSeconds}`,
        points: b.points,
        duration: b.durationSeconds,
      });
      shared.set(id, limiter);
    }
    return limiter;
  };
  const localFor = (b: Budget) => {
    const points = Math.max(1, Math.floor(b.points / Math.max(1, options.census.count())));
    const id = `${b.policy}:${points}:${b.durationSeconds}`;
    let limiter = local.get(id);
    if (!limiter) {
      limiter = new RateLimiterMemory({ keyPrefix: b.policy, points, duration: b.durationSeconds });
      local.set(id, limiter);
    }
    return limiter;
  };

  /** Spends one request from a budget; `refund` gives it back (when another budget refused the request). */
  async function spendOne(b: Budget): Promise<{ spent: Spent; refund: () => Promise<unknown> }> {
    try {
      const limiter = sharedFor(b);
      const r = await limiter.consume(b.key);
      if (degraded) options.logger.info('rate limits shared through Redis again');
      degraded = false;
      return { spent: spent(b, r), refund: () => limiter.reward(b.key, 1) };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw Object.assign(rejection, { budget: b });
      if (!degraded) {
        options.logger.warn(
          { err: rejection, gateways: options.census.count() },
          'rate limits without Redis: each gateway enforces its share',
        );
      }
      degraded = true;
      const limiter = localFor(b);
      try {
        return { spent: spent(b, await limiter.consume(b.key)), refund: () => limiter.reward(b.key, 1) };
      } catch (localRejection) {
        if (localRejection instanceof RateLimiterRes) throw Object.assign(localRejection, { budget: b });
        throw localRejection;
      }
    }
  }

  async function spend(budgets: Budget[]): Promise<Spent[]> {
    const results = await Promise.allSettled(budgets.map(spendOne));
    const refused = results.find((r) => r.status === 'rejected');
    if (refused) {
      // A refused request costs none of the other budgets: a user past their own budget who keeps
      // trying must not go on spending the tenant's, which is what the per-user budget is for.
      await Promise.all(
        results.map((r) => (r.status === 'fulfilled' ? r.value.refund().catch(() => undefined) : undefined)),
      );
      throw (refused as PromiseRejectedResult).reason;
    }
    return results.map((r) => (r as PromiseFulfilledResult<{ spent: Spent }>).value.spent);
  }

  /** Spends, setting the headers of what was spent, or throws the 429 problem of the first budget refused. */
  async function spendOrRefuse(budgets: Budget[], res: Response): Promise<void> {
    try {
      const spentAll = await spend(budgets);
      addHeaders(res, spentAll);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const budget = (rejection as RateLimiterRes & { budget: Budget }).budget;
      refusals.inc({ policy: budget.policy });
      const refusedNow = spent(budget, rejection);
      addHeaders(res, [refusedNow]);
      throw new HttpProblem(429, 'rate-limited', refusalDetail(budget), [], {
        'retry-after': String(Math.max(1, refusedNow.resetSeconds)),
      });
    }
  }

  return {
    spend,
    async budgets(_req, res, next) {
      const identity = res.locals.identity as Identity | undefined;
      if (!identity) return next();
      const { tenant } = identity;
      const plan = PLANS[tenant.plan];
      await spendOrRefuse(
        [
          {
            policy: 'tenant',
            key: tenant.id,
            points: plan.tenantRequests * tenant.rateLimitMultiplier,
            durationSeconds: BUDGET_WINDOW_SECONDS,
          },
          {
            policy: 'user',
            key: `${tenant.id}:${identity.caller.actorId}`,
            points: plan.userRequests * tenant.rateLimitMultiplier,
            durationSeconds: BUDGET_WINDOW_SECONDS,
          },
        ],
        res,
      );
      next();
    },
    async spendClass(endpoint, identity, res) {
      const c = ENDPOINT_CLASSES[endpoint];
      await spendOrRefuse(
        [
          {
            policy: endpoint,
            key: `${identity.tenant.id}:${identity.caller.actorId}`,
            points: c.points * identity.tenant.rateLimitMultiplier,
            durationSeconds: c.durationSeconds,
          },
        ],
        res,
      );
    },
    async peek(b) {
      try {
        const r = await sharedFor(b).get(b.key);
        return r ? spent(b, r) : undefined;
      } catch {
        const r = await localFor(b).get(b.key);
        return r ? spent(b, r) : undefined;
      }
    },
    async reset(b) {
      await sharedFor(b)
        .delete(b.key)
        .catch(() => localFor(b).delete(b.key));
    },
  };
}

function spent(budget: Budget, r: RateLimiterRes): Spent {
  return {
    budget,
    remaining: Math.max(0, r.remainingPoints),
    resetSeconds: Math.max(0, Math.ceil(r.msBeforeNext / 1000)),
  };
}

function refusalDetail(b: Budget): string {
  switch (b.policy) {
    case 'tenant':
      return "this tenant's plan allows no more requests now; retry later";
    case 'user':
      return 'you made too many requests; retry later';
    default:
      return `too many ${b.policy} requests; retry later`;
  }
}

/**
 * RateLimit-Policy: "tenant";q=2000;w=900, "user";q=600;w=900
 * RateLimit:        "tenant";r=1999;t=840, "user";r=599;t=840
 * (Structured Field lists, one item per budget the request spent from.)
 */
export function addHeaders(res: Response, spentAll: Spent[]): void {
  const policies = spentAll.map((s) => `"${s.budget.policy}";q=${s.budget.points};w=${s.budget.durationSeconds}`);
  const state = spentAll.map((s) => `"${s.budget.policy}";r=${s.remaining};t=${s.resetSeconds}`);
  const append = (name: string, items: string[]) => {
    const before = res.getHeader(name);
    res.setHeader(name, [...(before ? [String(before)] : []), ...items].join(', '));
  };
  append('ratelimit-policy', policies);
  append('ratelimit', state);
}

function rateLimitRefusals(metrics: Metrics): Counter<'policy'> {
  const name = 'hms_rate_limit_refusals_total';
  return (
    (metrics.registry.getSingleMetric(name) as Counter<'policy'> | undefined) ??
    new Counter({
      name,
      help: 'Requests refused with 429 by budget: tenant, user, login, booking, search, bulk, auth-failures',
      labelNames: ['policy'],
      registers: [metrics.registry],
    })
  );
}
