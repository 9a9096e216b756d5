/**
 * A cache shared by every replica of a service: an in-process LRU in front of
 * Redis in front of the source of truth (a loader, usually the database).
 *
 * A change is announced with `invalidate(key)`: the value leaves Redis and,
 * through one Redis pub/sub channel, every replica's LRU, within milliseconds.
 * Values read before a change can never be stored after it: each key has a
 * generation in Redis that an invalidation moves, and a loaded value is written
 * to Redis only if the generation is still the one seen before loading (one
 * Lua script); each process drops what it loaded while an invalidation
 * arrived likewise.
 *
 * Redis away: the cache still answers, from the LRU and the loader, but keeps
 * an entry only `degradedTtlMs` (invalidations cannot arrive); when the
 * subscription is back, every LRU starts empty (it may have missed some).
 */
import { LRUCache } from 'lru-cache';
import { Counter } from 'prom-client';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Redis } from './redis.js';

const CHANNEL = 'hms:cache:invalidate';

/** One subscription per process, shared by all its caches. */
export interface CacheInvalidations {
  /** Whether invalidations can arrive now (the subscription is live). */
  readonly live: boolean;
  /** Calls `onKey` for every invalidation of `cache` (by any process), and `onReset` when some may have been missed. */
  listen(cache: string, handlers: { onKey(key: string): void; onReset(): void }): void;
  close(): Promise<void>;
}

export function createCacheInvalidations(redis: Redis, logger: Logger): CacheInvalidations {
  const subscriber = redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
  const listeners = new Map<string, { onKey(key: string): void; onReset(): void }[]>();
  let live = false;
  let everLive = false;
  const resetAll = () => {
    for (const list of listeners.values()) for (const l of list) l.onReset();
  };
  subscriber.on('error', () => {
    // createRedis' client reports the outage; this one follows it.
  });
  subscriber.on('close', () => {
    if (live) logger.warn('cache invalidations unavailable; cached entries now live briefly');
    live = false;
  });
  subscriber.on('ready', () => {
    // ioredis subscribes again by itself once connected; until then the entries kept may be stale.
    void subscriber.subscribe(CHANNEL).then(
      () => {
        live = true;
        if (everLive) {
          logger.info('cache invalidations available again; in-process caches emptied');
          resetAll();
        }
        everLive = true;
      },
      (error: unknown) => logger.warn({ err: error }, 'cache invalidation subscribe failed'),
    );
  });
  subscriber.on('message', (_channel: string, message: string) => {
    const cut = message.indexOf('\n');
    if (cut <= 0) return;
    const list = listeners.get(message.slice(0, cut));
    const key = message.slice(cut + 1);
    if (list) for (const l of list) l.onKey(key);
  });
  return {
    get live() {
      return live;
    },
    listen(cache, handlers) {
      listeners.set(cache, [...(listeners.get(cache) ?? []), handlers]);
    },
    async close() {
      live = false;
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

export interface SharedCacheOptions<V> {
  /** Names the cache in Redis keys, invalidation messages and metrics (e.g. `tenant`). */
  name: string;
  redis: Redis;
  invalidations: CacheInvalidations;
  /** The source of truth; undefined: there is no such thing (remembered too, so floods of unknown keys stay cheap). */
  load(key: string): Promise<V | undefined>;
  /** How long an entry lives in Redis and in each process. */
  ttlMs: number;
  /** How long a process keeps an entry while invalidations cannot reach it. */
  degradedTtlMs?: number;
  /** Entries per process. */
  max?: number;
  metrics?: Metrics;
  logger?: Logger;
}

export interface SharedCache<V> {
  get(key: string): Promise<V | undefined>;
  /** After a change: every process forgets `key` (Redis too); the next get loads it again. */
  invalidate(key: string): Promise<void>;
}

// Sets the value only when the key's generation is still the one read before loading.
const SET_IF_GENERATION = `
if (redis.call('GET', KEYS[2]) or '0') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

interface Entry<V> {
  value: V | undefined;
  at: number;
}

export function createSharedCache<V>(options: SharedCacheOptions<V>): SharedCache<V> {
  const { name, redis, invalidations } = options;
  const degradedTtlMs = options.degradedTtlMs ?? 1_000;
  const local = new LRUCache<string, Entry<V>>({ max: options.max ?? 10_000, ttl: options.ttlMs });
  const inflight = new Map<string, Promise<V | undefined>>();
  // Moves on every invalidation this process hears of: a load that saw another epoch is not kept.
  let epoch = 0;
  const results = options.metrics && cacheRequests(options.metrics);
  const count = (result: 'local' | 'redis' | 'load') => {
    results?.inc({ cache: name, result });
    // The in-process hit ratio every service reports (hms_cache_lookups_total): Redis counts as a miss here.
    options.metrics?.cacheLookups.inc({ cache: name, result: result === 'local' ? 'hit' : 'miss' });
  };
  const valueKey = (key: string) => `hms:cache:${name}:${key}`;
  const generationKey = (key: string) => `hms:cache:${name}:${key}:gen`;

  invalidations.listen(name, {
    onKey(key) {
      epoch += 1;
      local.delete(key);
      inflight.delete(key);
    },
    onReset() {
      epoch += 1;
      local.clear();
      inflight.clear();
    },
  });

  async function fetch(key: string): Promise<V | undefined> {
    const seenEpoch = epoch;
    let generation: string | undefined;
    try {
      const [raw, gen] = await redis.mget(valueKey(key), generationKey(key));
      generation = gen ?? '0';
      if (typeof raw === 'string') {
        const entry = JSON.parse(raw) as { v?: V };
        count('redis');
        if (epoch === seenEpoch) local.set(key, { value: entry.v, at: Date.now() });
        return entry.v;
      }
    } catch (error) {
      // Redis away: from the source, kept briefly (below).
      options.logger?.debug({ err: error, cache: name }, 'shared cache: redis unavailable');
    }
    const value = await options.load(key);
    count('load');
    if (generation !== undefined) {
      await redis
        .eval(
          SET_IF_GENERATION,
          2,
          valueKey(key),
          generationKey(key),
          generation,
          JSON.stringify({ v: value }),
          String(options.ttlMs),
        )
        .catch(() => undefined);
    }
    if (epoch === seenEpoch) local.set(key, { value, at: Date.now() });
    return value;
  }

  return {
    async get(key) {
      const hit = local.get(key);
      if (hit && (invalidations.live || Date.now() - hit.at < degradedTtlMs)) {
        count('local');
        return hit.value;
      }
      let pending = inflight.get(key);
      if (!pending) {
        pending = fetch(key).finally(() => {
          if (inflight.get(key) === pending) inflight.delete(key);
        });
        inflight.set(key, pending);
      }
      return pending;
    },
    async invalidate(key) {
      epoch += 1;
      local.delete(key);
      inflight.delete(key);
      try {
        await redis
          .multi()
          .incr(generationKey(key))
          .pexpire(generationKey(key), options.ttlMs * 2)
          .del(valueKey(key))
          .publish(CHANNEL, `${name}\n${key}`)
          .exec();
      } catch (error) {
        // Redis away: no process hears of it, but none keeps an entry longer than degradedTtlMs meanwhile.
        options.logger?.warn({ err: error, cache: name, key }, 'shared cache: invalidation not delivered');
      }
    },
  };
}

function cacheRequests(metrics: Metrics): Counter<'cache' | 'result'> {
  const metricName = 'hms_cache_requests_total';
  return (
    (metrics.registry.getSingleMetric(metricName) as Counter<'cache' | 'result'> | undefined) ??
    new Counter({
      name: metricName,
      help: 'Shared cache look-ups by where the answer came from: local (in-process), redis, or load (the source)',
      labelNames: ['cache', 'result'],
      registers: [metrics.registry],
    })
  );
}
