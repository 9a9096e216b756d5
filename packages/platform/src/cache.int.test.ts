/**
 * The read-through cache against the test stack's real Redis: two caches on
 * one Redis stand for two replicas of a service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadThroughCache } from './cache.js';
import { newId } from './ids.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createRedis, type Redis } from './redis.js';
import { testEnv } from './testing/env.js';

interface Row {
  id: string;
  name: string;
  version: number;
}

const logger = createLogger({ service: 'test', level: 'silent' });
let redis: Redis;
let down: Redis;

beforeAll(async () => {
  redis = createRedis(testEnv().HMS_REDIS_URL, logger);
  // A Redis nobody listens on: what a cache sees during an outage.
  const url = new URL(testEnv().HMS_REDIS_URL);
  url.port = '1';
  down = createRedis(url.toString(), logger);
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
});

afterAll(async () => {
  await redis.quit();
  down.disconnect();
});

/** A table of one row per key, counting the loads that reached it. */
function source() {
  const rows = new Map<string, Row>();
  let loads = 0;
  let gate: Promise<void> | undefined;
  return {
    rows,
    loads: () => loads,
    /** Makes the next loads wait until the returned function is called. */
    hold() {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
    async load(key: string): Promise<Row | undefined> {
      loads += 1;
      const row = rows.get(key);
      const snapshot = row ? { ...row } : undefined;
      if (gate) await gate;
      return snapshot;
    },
  };
}

function cacheOn(
  table: ReturnType<typeof source>,
  options: { redis?: Redis; metrics?: Metrics; trustLocal?: () => boolean; name?: string } = {},
) {
  return createReadThroughCache<Row>({
    name: options.name ?? `test-${newId()}`,
    ttlMs: 60_000,
    redis: options.redis,
    load: (key) => table.load(key),
    versionOf: (row) => row.version,
    registry: (options.metrics ?? createMetrics('test', { defaultMetrics: false })).registry,
    logger,
    ...(options.trustLocal ? { trustLocal: options.trustLocal } : {}),
  });
}

async function metricValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values as { labels: Record<string, string>; value: number }[] | undefined)?.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return value?.value ?? 0;
}

describe('read-through cache', () => {
  it('loads a key once however many callers ask at once, then answers from the process', async () => {
    const table = source();
    table.rows.set('a', { id: 'a', name: 'Cardiology', version: 1 });
    const metrics = createMetrics('test', { defaultMetrics: false });
    const name = `departments-${newId()}`;
    const cache = cacheOn(table, { redis, metrics, name });
    const answers = await Promise.all(Array.from({ length: 10 }, () => cache.get('a')));
    expect(answers.every((a) => a?.name === 'Cardiology')).toBe(true);
    expect(table.loads()).toBe(1);
    expect(await cache.get('a')).toEqual({ id: 'a', name: 'Cardiology', version: 1 });
    expect(table.loads()).toBe(1);
    expect(await cache.get('missing')).toBeUndefined();
    expect(await metricValue(metrics, 'hms_cache_reads_total', { cache: name, outcome: 'local_hit' })).toBe(1);
    expect(await metricValue(metrics, 'hms_cache_reads_total', { cache: name, outcome: 'miss' })).toBe(11);
    expect(await metricValue(metrics, 'hms_cache_lookups_total', { cache: name, result: 'hit' })).toBe(1);
    expect(await metricValue(metrics, 'hms_cache_lookups_total', { cache: name, result: 'miss' })).toBe(11);
    expect(await metricValue(metrics, 'hms_cache_hit_ratio', { cache: name })).toBeCloseTo(1 / 12);
  });

  it('shares what one replica loaded with the others through Redis, and forgets it everywhere on invalidation', async () => {
    const table = source();
    const name = `shared-${newId()}`;
    table.rows.set('d', { id: 'd', name: 'Dr. A', version: 1 });
    const a = cacheOn(table, { redis, name });
    const b = cacheOn(table, { redis, name });
    await a.get('d');
    expect(await b.get('d')).toMatchObject({ version: 1 });
    expect(table.loads()).toBe(1);

    table.rows.set('d', { id: 'd', name: 'Dr. A (renamed)', version: 2 });
    // Where the change commits, and where its event arrives: each replica forgets it.
    await a.invalidate('d', 2);
    expect(await a.get('d')).toMatchObject({ name: 'Dr. A (renamed)' });
    await b.invalidate('d', 2);
    expect(await b.get('d')).toMatchObject({ name: 'Dr. A (renamed)' });
  });

  it('never lets a value read before a change come back after it, in any replica', async () => {
    const table = source();
    const name = `race-${newId()}`;
    table.rows.set('d', { id: 'd', name: 'old', version: 1 });
    const slow = cacheOn(table, { redis, name });
    const other = cacheOn(table, { redis, name });
    // The slow replica reads the row just before the change...
    const release = table.hold();
    const late = slow.get('d');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // ...the change commits and its event reaches the other replica first...
    table.rows.set('d', { id: 'd', name: 'new', version: 2 });
    await other.invalidate('d', 2);
    // ...and only then does the slow read finish and try to share the old row.
    release();
    expect(await late).toMatchObject({ name: 'old' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await other.get('d')).toMatchObject({ name: 'new', version: 2 });
    // When its own copy of the event arrives, the slow replica too answers the new value.
    await slow.invalidate('d', 2);
    expect(await slow.get('d')).toMatchObject({ name: 'new' });
  });

  it('keeps answering from the process and the source while Redis is down', async () => {
    const table = source();
    table.rows.set('x', { id: 'x', name: 'ENT', version: 1 });
    const cache = cacheOn(table, { redis: down });
    expect(await cache.get('x')).toMatchObject({ name: 'ENT' });
    expect(await cache.get('x')).toMatchObject({ name: 'ENT' });
    expect(table.loads()).toBe(1);
    table.rows.set('x', { id: 'x', name: 'ENT (new)', version: 2 });
    await cache.invalidate('x', 2);
    expect(await cache.get('x')).toMatchObject({ name: 'ENT (new)' });
  });

  it('does not serve process entries while it cannot hear invalidations', async () => {
    const table = source();
    let listening = false;
    table.rows.set('y', { id: 'y', name: 'Ortho', version: 1 });
    const cache = cacheOn(table, { trustLocal: () => listening });
    await cache.get('y');
    await cache.get('y');
    expect(table.loads()).toBe(2);
    listening = true;
    await cache.get('y');
    await cache.get('y');
    expect(table.loads()).toBe(3);
  });
});
