import { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import type { HealthCheck } from './ops-server.js';

export type { Redis } from 'ioredis';

/**
 * An ioredis client that fails commands fast while Redis is away (callers fall
 * back to in-process state) and keeps reconnecting in the background.
 * Commands issued in the same event-loop tick leave in one write (ioredis's
 * auto-pipelining): a gateway request spends its tenant's and its user's
 * budgets at once, and under load many requests' commands share a write, where
 * each command's own socket write was a measured share of the gateway's CPU.
 */
export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    enableAutoPipelining: true,
  });
  let warned = false;
  redis.on('error', (error) => {
    if (!warned) logger.warn({ err: error }, 'redis unavailable; degrading to in-process state');
    warned = true;
  });
  redis.on('ready', () => {
    if (warned) logger.info('redis available again');
    warned = false;
  });
  return redis;
}

/** Redis degrades gracefully, so it is reported but not critical. */
export function redisCheck(redis: Redis): HealthCheck {
  return {
    name: 'redis',
    critical: false,
    check: async () => {
      if ((await redis.ping()) !== 'PONG') throw new Error('unexpected PING answer');
    },
  };
}
