/**
 * The gateways' copies of doctors against the test stack's real Redis: two
 * directories, each with its own subscription to the invalidation channel,
 * stand for two gateway replicas; appointments' telling of a change
 * (`createGatewayCaches`, what its replicas call after a doctor's change commits and
 * when its own consumer reads doctor.updated) drops the doctor in both and in
 * Redis, refuses older copies from then on, and is sent again once a Redis
 * connection that failed it is back.
 */
import {
  createCacheInvalidations,
  createLogger,
  createMetrics,
  createRedis,
  newId,
  runWithContext,
  type CacheInvalidations,
  type Redis,
} from '@hms/platform';
import { eventually, testEnv } from '@hms/platform/testing';
import { GATEWAY_DOCTORS_CACHE, type Doctor__Output as Doctor } from '@hms/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayCaches } from '../../../appointments/src/cache/gateway-caches.js';
import { createDoctorDirectory, type DoctorDirectory } from './doctors.js';

const logger = createLogger({ service: 'doctors-int', level: 'silent' });
const opened: { redis: Redis[]; invalidations: CacheInvalidations[] } = { redis: [], invalidations: [] };

async function redisClient(): Promise<Redis> {
  const redis = createRedis(testEnv().HMS_REDIS_URL, logger);
  opened.redis.push(redis);
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}

/** The appointments service's source of doctors: what each gateway's loads read, and how many. */
const source = new Map<string, Doctor>();
const loads: string[] = [];
const backends = {
  directory: {
    call: {
      getDoctor: async ({ id }: { id: string }) => {
        loads.push(id);
        const doctor = source.get(id);
        return { doctor: doctor ? { ...doctor } : null };
      },
    },
  },
} as never;

/** One gateway replica's directory, listening on the channel through a subscription of its own. */
async function gatewayReplica(): Promise<DoctorDirectory> {
  const redis = await redisClient();
  const invalidations = createCacheInvalidations(redis, logger);
  opened.invalidations.push(invalidations);
  await eventually(async () => invalidations.live || undefined, { timeoutMs: 5_000, what: 'a live subscription' });
  return createDoctorDirectory({
    backends,
    redis,
    invalidations,
    registry: createMetrics('doctors-int', { defaultMetrics: false }).registry,
    logger,
    ttlMs: 60_000,
  });
}

const doctor = (id: string, version: number, active = true) =>
  ({ id, version, active, timeZone: 'Asia/Kolkata' }) as Doctor;

let first: DoctorDirectory;
let second: DoctorDirectory;
let shared: Redis;

beforeAll(async () => {
  first = await gatewayReplica();
  second = await gatewayReplica();
  shared = await redisClient();
});

afterAll(async () => {
  for (const i of opened.invalidations) await i.close();
  for (const r of opened.redis) r.disconnect();
});

describe("the gateways' copies of doctors, told of changes by appointments", () => {
  it('drops the doctor in every replica and in Redis, and serves no older copy after', async () => {
    const tenantId = newId();
    const id = newId();
    const inTenant = <T>(fn: () => Promise<T>) => runWithContext({ requestId: newId(), tenantId }, fn);
    const appointments = createGatewayCaches({
      redis: await redisClient(),
      logger,
      registry: createMetrics('appointments-int', { defaultMetrics: false }).registry,
    });
    source.set(id, doctor(id, 1));
    // Both replicas read the doctor (one load, then Redis's copy) and keep it.
    expect((await inTenant(() => first.find(id))).version).toBe(1);
    expect((await inTenant(() => second.find(id))).version).toBe(1);
    const redisKey = `hms:cache:${GATEWAY_DOCTORS_CACHE.name}:${GATEWAY_DOCTORS_CACHE.key(tenantId, id)}`;
    await eventually(async () => (await shared.exists(redisKey)) === 1 || undefined, { what: "Redis's copy" });
    const before = loads.length;
    await inTenant(() => first.find(id));
    await inTenant(() => second.find(id));
    expect(loads.length).toBe(before);

    // The doctor stops practising; appointments tells the gateways as the change commits.
    source.set(id, doctor(id, 2, false));
    await appointments.doctorChanged(tenantId, id, 2);
    expect(await shared.exists(redisKey)).toBe(0);
    for (const replica of [first, second]) {
      await eventually(
        async () =>
          (await inTenant(() => replica.active(id, 'doctorId')).catch((e: unknown) => e)) instanceof Error || undefined,
        { timeoutMs: 1_000, intervalMs: 20, what: 'the replica refusing the doctor who stopped' },
      );
    }

    // A copy older than the version told (a replica that read just before the change, say) is not served.
    source.set(id, doctor(id, 1));
    await appointments.doctorChanged(tenantId, id, 2);
    await eventually(async () => (await shared.exists(redisKey)) === 0 || undefined, { what: 'the copy dropped' });
    const loadsBefore = loads.length;
    expect((await inTenant(() => first.find(id))).version).toBe(1);
    expect((await inTenant(() => first.find(id))).version).toBe(1);
    // Read from the source each time, never kept.
    expect(loads.length).toBe(loadsBefore + 2);
    appointments.close();
  });

  it('tells again, every second, what a failed Redis connection could not take', async () => {
    const tenantId = newId();
    const id = newId();
    const inTenant = <T>(fn: () => Promise<T>) => runWithContext({ requestId: newId(), tenantId }, fn);
    const connection = await redisClient();
    const appointments = createGatewayCaches({
      redis: connection,
      logger,
      registry: createMetrics('appointments-int', { defaultMetrics: false }).registry,
    });
    source.set(id, doctor(id, 1));
    expect((await inTenant(() => first.find(id))).version).toBe(1);

    // Appointments' connection is down as the change commits: nothing reaches the gateways yet.
    connection.disconnect();
    source.set(id, doctor(id, 2));
    await appointments.doctorChanged(tenantId, id, 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await inTenant(() => first.find(id))).version).toBe(1);

    // Back: the retry delivers it.
    await connection.connect();
    await eventually(async () => (await inTenant(() => first.find(id))).version === 2 || undefined, {
      timeoutMs: 3_000,
      intervalMs: 50,
      what: 'the change told again',
    });
    appointments.close();
  });
});
