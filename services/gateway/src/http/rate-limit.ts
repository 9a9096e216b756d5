/**
 * A per-tenant request budget shared by every gateway through Redis: the
 * tenant's own limit when it has one, else the default. When Redis is away the
 * in-process insurance limiter takes over, so an outage degrades the limit's
 * precision, never the API.
 */
import type { RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { currentContext, type Redis } from '@hms/platform';
import type { Tenant } from '../db/tenant.repository.js';
import { HttpProblem } from './problem.js';

export function rateLimitPerTenant(options: { redis: Redis; perMinute: number }): RequestHandler {
  // One limiter per distinct budget (a handful: the default and a few contracts).
  const limiters = new Map<number, RateLimiterRedis>();
  const limiterFor = (perMinute: number) => {
    let limiter = limiters.get(perMinute);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: options.redis,
        keyPrefix: `hms:rl:tenant:${perMinute}`,
        points: perMinute,
        duration: 60,
        insuranceLimiter: new RateLimiterMemory({ points: perMinute, duration: 60 }),
      });
      limiters.set(perMinute, limiter);
    }
    return limiter;
  };
  return async (_req, res, next) => {
    const tenantId = currentContext()?.tenantId;
    if (!tenantId) return next();
    const perMinute = (res.locals.tenant as Tenant | undefined)?.requestLimitPerMinute ?? options.perMinute;
    const limiter = limiterFor(perMinute);
    const headers = (r: RateLimiterRes) => ({
      'ratelimit-limit': String(perMinute),
      'ratelimit-remaining': String(Math.max(0, r.remainingPoints)),
      'ratelimit-reset': String(Math.ceil(r.msBeforeNext / 1000)),
    });
    try {
      const result = await limiter.consume(tenantId);
      res.set(headers(result));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw new HttpProblem(429, 'rate-limited', 'this tenant made too many requests; retry later', [], {
        ...headers(rejection),
        'retry-after': String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))),
      });
    }
    next();
  };
}
