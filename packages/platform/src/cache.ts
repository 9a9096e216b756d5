/**
 * A read-through cache for reference data that changes rarely and is read on
 * every request (departments, doctors and their fees, permissions, tenants):
 * an in-process LRU in front of Redis in front of the source of truth.
 *
 * - get(key): the process's entry if it may be trusted, else Redis's, else
 *   `load` (one load per key at a time, however many callers wait), and the
 *   result is kept in both tiers with the cache's TTL.
 * - invalidate(key, version): forgets the key in both tiers. Call it where the
 *   change commits and wherever the change's event arrives (every replica), so
 *   every process answers the new value within moments. With a version, the
 *   process also refuses any older value of the key from then on: a replica
 *   that read the row just before the change and writes it to Redis just
 *   after cannot make other processes serve the old value again.
 * - Redis away: every call still answers, from the process and the loader;
 *   nothing fails because the shared tier does.
 * - `trustLocal`: while invalidations cannot reach this process (its event
 *   listener not yet, or no longer, connected), process entries are not
 *   served, so staleness stays bounded by Redis's freshness, not by the TTL.
 *
 * Values must survive JSON (Redis holds them as JSON): plain objects with
 * strings, numbers, booleans, arrays.
 */
import { LRUCache } from 'lru-cache';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export interface ReadThroughCacheOptions<V extends object> {
  /** Metric label and Redis key prefix: `hms:cache:<name>:<key>`. */
  name: string;
  /** How long an entry lives in either tier. */
  ttlMs: number;
  /** Most entries kept in the process (default 10,000). */
  maxEntries?: number;
  /** The shared tier; without it the cache is the process's alone. */
  redis?: Redis | undefined;
  /** The source of truth; undefined when the key names nothing (not cached). */
  load: (key: string) => Promise<V | undefined>;
  /** A number that grows with every change of the value (a row version). */
  versionOf: (value: V) => number;
  registry: Registry;
  logger: Logger;
  /** Whether process entries may be served now (default: always). */
  trustLocal?: () => boolean;
}

export interface ReadThroughCache<V extends object> {
  readonly name: string;
  get(key: string): Promise<V | undefined>;
  /** Forgets `key` in the process and in Redis; never again accepts a value older than `version`. */
  invalidate(key: string, version?: number): Promise<void>;
  /** Forgets everything this process holds (Redis is left alone). */
  clear(): void;
}

type Outcome = 'local_hit' | 'redis_hit' | 'miss';

interface CacheMetrics {
  /** The platform's shared look-up counter (metrics.ts): hit or miss, as every cache of every service counts. */
  lookups: Counter<'cache' | 'result'>;
  /** Which tier answered: the process, Redis, or neither (the loader). */
  reads: Counter<'cache' | 'outcome'>;
  ratio: Map<string, () => number>;
}

// Metrics are registered once per registry, whatever the number of caches on it.
const metricsByRegistry = new WeakMap<Registry, CacheMetrics>();

function cacheMetrics(registry: Registry): CacheMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) {
    const ratio = new Map<string, () => number>();
    const shared = registry.getSingleMetric('hms_cache_lookups_total') as Counter<'cache' | 'result'> | undefined;
    metrics = {
      lookups:
        shared ??
        new Counter({
          name: 'hms_cache_lookups_total',
          help: 'Cache look-ups by cache and result (hit, miss): hit ratio = hits / all',
          labelNames: ['cache', 'result'],
          registers: [registry],
        }),
      reads: new Counter({
        name: 'hms_cache_reads_total',
        help: 'Reads of a read-through cache, by cache and where the answer came from (local_hit, redis_hit, miss)',
        labelNames: ['cache', 'outcome'],
        registers: [registry],
      }),
      ratio,
    };
    new Gauge({
      name: 'hms_cache_hit_ratio',
      help: 'Share of reads of a read-through cache answered without its loader, since the process started',
      labelNames: ['cache'],
      registers: [registry],
      collect() {
        for (const [cache, value] of ratio) this.set({ cache }, value());
      },
    });
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

interface Entry<V> {
  value: V;
  version: number;
}

export function createReadThroughCache<V extends object>(options: ReadThroughCacheOptions<V>): ReadThroughCache<V> {
  const { name, ttlMs, redis, load, versionOf, logger } = options;
  const trustLocal = options.trustLocal ?? (() => true);
  const local = new LRUCache<string, Entry<V>>({ max: options.maxEntries ?? 10_000, ttl: ttlMs });
  // The lowest version each recently changed key may be served at.
  const floors = new LRUCache<string, number>({ max: options.maxEntries ?? 10_000, ttl: ttlMs });
  // Bumped by every invalidation: a load that began before it must not be kept.
  const generations = new LRUCache<string, number>({ max: options.maxEntries ?? 10_000, ttl: ttlMs });
  const loading = new Map<string, Promise<V | undefined>>();
  const metrics = cacheMetrics(options.registry);
  const counts = { hits: 0, lookups: 0 };
  metrics.ratio.set(name, () => (counts.lookups === 0 ? 0 : counts.hits / counts.lookups));
  const redisKey = (key: string) => `hms:cache:${name}:${key}`;
  let redisWarned = false;

  function count(outcome: Outcome): void {
    metrics.reads.inc({ cache: name, outcome });
    metrics.lookups.inc({ cache: name, result: outcome === 'miss' ? 'miss' : 'hit' });
    counts.lookups += 1;
    if (outcome !== 'miss') counts.hits += 1;
  }

  const fresh = (key: string, version: number) => version >= (floors.get(key) ?? Number.NEGATIVE_INFINITY);

  function redisFailed(error: unknown, what: string): void {
    // Once per outage is enough: the cache goes on from the process and the loader.
    if (!redisWarned) logger.warn({ err: error, cache: name }, `cache ${name}: redis ${what} failed; using the loader`);
    redisWarned = true;
  }

  async function fromRedis(key: string): Promise<Entry<V> | undefined> {
    if (!redis) return undefined;
    try {
      const raw = await redis.get(redisKey(key));
      redisWarned = false;
      if (raw === null) return undefined;
      const entry = JSON.parse(raw) as Entry<V>;
      return typeof entry?.version === 'number' && entry.value ? entry : undefined;
    } catch (error) {
      redisFailed(error, 'read');
      return undefined;
    }
  }

  function toRedis(key: string, entry: Entry<V>): void {
    if (!redis) return;
    redis.set(redisKey(key), JSON.stringify(entry), 'PX', ttlMs).catch((error: unknown) => redisFailed(error, 'write'));
  }

  async function loadOnce(key: string): Promise<V | undefined> {
    const pending = loading.get(key);
    if (pending) return pending;
    const generation = generations.get(key) ?? 0;
    const promise = (async () => {
      const value = await load(key);
      if (value !== undefined && (generations.get(key) ?? 0) === generation) {
        const entry = { value, version: versionOf(value) };
        if (fresh(key, entry.version)) {
          // Kept in the process only while invalidations reach it: one missed now would never come.
          if (trustLocal()) local.set(key, entry);
          toRedis(key, entry);
        }
      }
      return value;
    })().finally(() => loading.delete(key));
    loading.set(key, promise);
    return promise;
  }

  return {
    name,
    async get(key) {
      const trusted = trustLocal();
      if (trusted) {
        const hit = local.get(key);
        if (hit && fresh(key, hit.version)) {
          count('local_hit');
          return hit.value;
        }
      }
      const shared = await fromRedis(key);
      if (shared && fresh(key, shared.version)) {
        if (trusted) local.set(key, shared);
        count('redis_hit');
        return shared.value;
      }
      count('miss');
      return loadOnce(key);
    },
    async invalidate(key, version) {
      generations.set(key, (generations.get(key) ?? 0) + 1);
      if (version !== undefined && version > (floors.get(key) ?? Number.NEGATIVE_INFINITY)) floors.set(key, version);
      local.delete(key);
      if (!redis) return;
      try {
        await redis.del(redisKey(key));
      } catch (error) {
        redisFailed(error, 'delete');
      }
    },
    clear() {
      local.clear();
    },
  };
}
