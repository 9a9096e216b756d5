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
 * - `invalidations` (createCacheInvalidations): invalidate(key) also reaches
 *   every other process at once through one Redis pub/sub channel, for data
 *   with no event of its own (the gateway's tenants, sessions, API keys).
 * - A value loaded before an invalidation is never written to Redis after it,
 *   whichever process loaded it: each key has a generation in Redis that an
 *   invalidation moves, and the write is made only at the generation read
 *   before loading (one Lua script).
 * - Redis away: every call still answers, from the process and the loader;
 *   nothing fails because the shared tier does.
 * - `trustLocal` (by default: whether `invalidations` is subscribed): while
 *   invalidations cannot reach this process (its event listener not yet, or no
 *   longer, connected), process entries are served only `degradedTtlMs` after
 *   they were read (0 by default: not at all), so staleness stays bounded by
 *   Redis's freshness or that short time, not by the TTL.
 *
 * Values must survive JSON (Redis holds them as JSON): plain objects with
 * strings, numbers, booleans, arrays.
 */
import { LRUCache } from 'lru-cache';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';

const CHANNEL = 'hms:cache:invalidate';

/** One Redis subscription per process, shared by all its caches: invalidations made by any process. */
export interface CacheInvalidations {
  /** Whether invalidations can arrive now (the subscription is live). */
  readonly live: boolean;
  /** Calls `onKey` for every invalidation of `cache` (by any process), and `onReset` when some may have been missed. */
  listen(cache: string, handlers: { onKey(key: string, version: number | undefined): void; onReset(): void }): void;
  close(): Promise<void>;
}

/**
 * Tells every process listening through createCacheInvalidations that `key` of `cache`
 * changed: for a process that changes data another service caches, and listens to nothing.
 */
export async function publishCacheInvalidation(
  redis: Redis,
  cache: string,
  key: string,
  version?: number | undefined,
): Promise<void> {
  await redis.publish(CHANNEL, invalidationMessage(cache, key, version));
}

/** `<cache>\n<version or empty>\n<key>`, as the channel carries it. */
const invalidationMessage = (cache: string, key: string, version: number | undefined) =>
  `${cache}\n${version ?? ''}\n${key}`;

const redisKeyOf = (cache: string, key: string) => `hms:cache:${cache}:${key}`;
const generationKeyOf = (cache: string, key: string) => `hms:cache:${cache}:${key}:gen`;

/**
 * Drops `key` of the read-through cache named `cache` everywhere: its entry in
 * Redis (moving its generation, so no load begun before lands after), and,
 * with `publish`, every process's copy through the invalidation channel, with
 * `version` as the oldest value they may serve from then on. One MULTI; throws
 * when Redis cannot take it. For a service that changes data another service
 * caches (the owner of doctors for the gateway's cache of them), and for the
 * cache itself. `generationTtlMs` need only outlive a load in flight.
 */
export async function invalidateCacheKey(
  redis: Redis,
  cache: string,
  key: string,
  options: { version?: number | undefined; publish: boolean; generationTtlMs?: number },
): Promise<void> {
  const generation = generationKeyOf(cache, key);
  const multi = redis
    .multi()
    .incr(generation)
    .pexpire(generation, options.generationTtlMs ?? 3_600_000)
    .del(redisKeyOf(cache, key));
  if (options.publish) multi.publish(CHANNEL, invalidationMessage(cache, key, options.version));
  const replies = await multi.exec();
  const failed = replies?.find(([error]) => error)?.[0];
  if (!replies || failed) throw failed ?? new Error(`cache ${cache}: the invalidation of ${key} was not applied`);
}

export function createCacheInvalidations(redis: Redis, logger: Logger): CacheInvalidations {
  // A subscriber sends little and waits on its channel: nothing to pipeline.
  const subscriber = redis.duplicate({
    enableOfflineQueue: true,
    commandTimeout: undefined,
    enableAutoPipelining: false,
  });
  const listeners = new Map<string, { onKey(key: string, version: number | undefined): void; onReset(): void }[]>();
  let live = false;
  let everLive = false;
  subscriber.on('error', () => {
    // The main client reports the outage; this one follows it.
  });
  subscriber.on('close', () => {
    if (live) logger.warn('cache invalidations unavailable; process entries now live briefly');
    live = false;
  });
  subscriber.on('ready', () => {
    // ioredis subscribes again by itself once connected; until then the entries kept may be stale.
    void subscriber.subscribe(CHANNEL).then(
      () => {
        live = true;
        if (everLive) {
          logger.info('cache invalidations available again; process entries emptied');
          for (const list of listeners.values()) for (const l of list) l.onReset();
        }
        everLive = true;
      },
      (error: unknown) => logger.warn({ err: error }, 'cache invalidation subscribe failed'),
    );
  });
  subscriber.on('message', (_channel: string, message: string) => {
    // <cache>\n<version or empty>\n<key>
    const [cache, version, ...rest] = message.split('\n');
    const list = cache ? listeners.get(cache) : undefined;
    if (!list || rest.length === 0) return;
    const key = rest.join('\n');
    const parsed = version ? Number(version) : undefined;
    for (const l of list) l.onKey(key, Number.isFinite(parsed) ? parsed : undefined);
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
  /** Tells every process of an invalidation (and hears theirs); without it each process is told by its caller. */
  invalidations?: CacheInvalidations | undefined;
  /** Whether process entries may be served now (default: `invalidations.live`, or always without them). */
  trustLocal?: () => boolean;
  /** While not trusted, how long after reading it a process entry may still be served (default 0). */
  degradedTtlMs?: number;
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

interface LocalEntry<V> extends Entry<V> {
  /** When it was read (ms), and whether invalidations could reach this process then. */
  at: number;
  heard: boolean;
}

// Sets the value only when the key's generation is still the one read before loading.
const SET_IF_GENERATION = `
if (redis.call('GET', KEYS[2]) or '0') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

export function createReadThroughCache<V extends object>(options: ReadThroughCacheOptions<V>): ReadThroughCache<V> {
  const { name, ttlMs, redis, load, versionOf, logger, invalidations } = options;
  const trustLocal = options.trustLocal ?? (invalidations ? () => invalidations.live : () => true);
  const degradedTtlMs = options.degradedTtlMs ?? 0;
  const local = new LRUCache<string, LocalEntry<V>>({ max: options.maxEntries ?? 10_000, ttl: ttlMs });
  // The lowest version each recently changed key may be served at.
  const floors = new LRUCache<string, number>({ max: options.maxEntries ?? 10_000, ttl: ttlMs });
  // Bumped by every invalidation: a load that began before it must not be kept.
  const generations = new LRUCache<string, number>({ max: options.maxEntries ?? 10_000, ttl: ttlMs });
  const loading = new Map<string, Promise<V | undefined>>();
  const metrics = cacheMetrics(options.registry);
  const counts = { hits: 0, lookups: 0 };
  metrics.ratio.set(name, () => (counts.lookups === 0 ? 0 : counts.hits / counts.lookups));
  const redisKey = (key: string) => redisKeyOf(name, key);
  const generationKey = (key: string) => generationKeyOf(name, key);
  let redisWarned = false;

  function count(outcome: Outcome): void {
    metrics.reads.inc({ cache: name, outcome });
    metrics.lookups.inc({ cache: name, result: outcome === 'miss' ? 'miss' : 'hit' });
    counts.lookups += 1;
    if (outcome !== 'miss') counts.hits += 1;
  }

  const fresh = (key: string, version: number) => version >= (floors.get(key) ?? Number.NEGATIVE_INFINITY);

  function forget(key: string, version: number | undefined): void {
    generations.set(key, (generations.get(key) ?? 0) + 1);
    if (version !== undefined && version > (floors.get(key) ?? Number.NEGATIVE_INFINITY)) floors.set(key, version);
    local.delete(key);
  }

  invalidations?.listen(name, {
    onKey: (key, version) => forget(key, version),
    onReset() {
      // Some invalidations may have been missed while the subscription was away.
      for (const key of local.keys()) generations.set(key, (generations.get(key) ?? 0) + 1);
      local.clear();
    },
  });

  function keepLocally(key: string, entry: Entry<V>, trusted: boolean): void {
    // An entry read while invalidations cannot arrive is served only briefly (degradedTtlMs).
    if (trusted || degradedTtlMs > 0) local.set(key, { ...entry, at: Date.now(), heard: trusted });
  }

  function redisFailed(error: unknown, what: string): void {
    // Once per outage is enough: the cache goes on from the process and the loader.
    if (!redisWarned) logger.warn({ err: error, cache: name }, `cache ${name}: redis ${what} failed; using the loader`);
    redisWarned = true;
  }

  /** Redis's entry, if any, and the key's generation there (undefined: Redis cannot be reached). */
  async function fromRedis(key: string): Promise<{ entry: Entry<V> | undefined; generation: string | undefined }> {
    if (!redis) return { entry: undefined, generation: undefined };
    try {
      const [raw, generation] = await redis.mget(redisKey(key), generationKey(key));
      redisWarned = false;
      if (raw === null || raw === undefined) return { entry: undefined, generation: generation ?? '0' };
      const entry = JSON.parse(raw) as Entry<V>;
      const valid = typeof entry?.version === 'number' && entry.value;
      return { entry: valid ? entry : undefined, generation: generation ?? '0' };
    } catch (error) {
      redisFailed(error, 'read');
      return { entry: undefined, generation: undefined };
    }
  }

  function toRedis(key: string, entry: Entry<V>, generation: string): void {
    if (!redis) return;
    redis
      .eval(SET_IF_GENERATION, 2, redisKey(key), generationKey(key), generation, JSON.stringify(entry), String(ttlMs))
      .catch((error: unknown) => redisFailed(error, 'write'));
  }

  async function loadOnce(key: string, redisGeneration: string | undefined): Promise<V | undefined> {
    const pending = loading.get(key);
    if (pending) return pending;
    const generation = generations.get(key) ?? 0;
    const trusted = trustLocal();
    const promise = (async () => {
      const value = await load(key);
      if (value !== undefined && (generations.get(key) ?? 0) === generation) {
        const entry = { value, version: versionOf(value) };
        if (fresh(key, entry.version)) {
          keepLocally(key, entry, trusted);
          if (redisGeneration !== undefined) toRedis(key, entry, redisGeneration);
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
      const hit = local.get(key);
      if (hit && fresh(key, hit.version) && ((trusted && hit.heard) || Date.now() - hit.at < degradedTtlMs)) {
        count('local_hit');
        return hit.value;
      }
      const generation = generations.get(key) ?? 0;
      const shared = await fromRedis(key);
      if (shared.entry && fresh(key, shared.entry.version)) {
        if ((generations.get(key) ?? 0) === generation) keepLocally(key, shared.entry, trusted);
        count('redis_hit');
        return shared.entry.value;
      }
      count('miss');
      // A load another caller began finished while Redis answered: its value, not a second load.
      const landed = local.get(key);
      if (landed && fresh(key, landed.version) && trusted && landed.heard) return landed.value;
      return loadOnce(key, shared.generation);
    },
    async invalidate(key, version) {
      forget(key, version);
      if (!redis) return;
      try {
        // Every other process forgets it too (no process keeps an entry long while this cannot be sent).
        await invalidateCacheKey(redis, name, key, { version, publish: !!invalidations, generationTtlMs: ttlMs * 2 });
      } catch (error) {
        redisFailed(error, 'invalidation');
      }
    },
    clear() {
      local.clear();
    },
  };
}
