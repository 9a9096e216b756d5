/**
 * GET /queues/{doctorId} through its cache, with the real services in-process
 * (appointments, queue, two gateways) on the test stack's PostgreSQL, Redis
 * and Kafka: the answer is the queue service's, a change made through the
 * other gateway shows at once, versions answer 304, tenants and permissions
 * are checked on every read, and gzip carries the same body.
 */
import { gunzipSync } from 'node:zlib';
import { newId, runWithContext } from '@hms/platform';
import { inProcessEnv, ownerDatabaseUrl, testClient } from '@hms/platform/testing';
import { loadContracts, type GetQueueResponse__Output } from '@hms/proto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppointments } from '../../../appointments/src/main.js';
import { startQueue } from '../../../queue/src/main.js';
import { signDevelopmentToken } from '../http/auth.js';
import { queueJson } from '../http/json.js';
import { startGateway } from '../main.js';
import { DEV_SECRET, gatewayEnv } from '../testing/harness.js';

type Gateway = Awaited<ReturnType<typeof startGateway>>;
let appointments: Awaited<ReturnType<typeof startAppointments>>;
let queue: Awaited<ReturnType<typeof startQueue>>;
let a: Gateway;
let b: Gateway;
const tenantId = newId();
const otherTenantId = newId();
const doctorId = newId();
let token: string;
let otherToken: string;
let clerkToken: string;

const sign = (tenant: string, roles?: string[]) =>
  signDevelopmentToken(
    { tenantId: tenant, userId: 'reads-test', roles },
    { secret: DEV_SECRET, issuer: 'hms-dev', ttl: '30m' },
  );

async function seed(): Promise<void> {
  const gw = new pg.Client({ connectionString: ownerDatabaseUrl('gateway') });
  const ap = new pg.Client({ connectionString: ownerDatabaseUrl('appointments') });
  await gw.connect();
  await ap.connect();
  try {
    for (const id of [tenantId, otherTenantId]) {
      await gw.query(
        `INSERT INTO identity.tenants (id, name, slug, plan, rate_limit_multiplier) VALUES ($1, $2, $3, 'ENTERPRISE', 1000)`,
        [id, `Reads ${id}`, `reads-${id.replaceAll('-', '').slice(-20)}`],
      );
    }
    const department = newId();
    await ap.query('INSERT INTO appointments.departments (id, tenant_id, name) VALUES ($1, $2, $3)', [
      department,
      tenantId,
      'Reads',
    ]);
    await ap.query(
      `INSERT INTO appointments.doctors (id, tenant_id, department_id, full_name, consultation_fee_minor, hospital_fee_minor,
         currency, time_zone)
       VALUES ($1, $2, $3, 'Dr. Reads', 50000, 10000, 'INR', 'UTC')`,
      [doctorId, tenantId, department],
    );
  } finally {
    await gw.end();
    await ap.end();
  }
}

const url = (g: Gateway, path = '') => `http://127.0.0.1:${g.httpPort}/api/v1/queues/${doctorId}${path}`;

async function get(g: Gateway, headers: Record<string, string> = {}, bearer = token) {
  return fetch(url(g), { headers: { authorization: `Bearer ${bearer}`, 'accept-encoding': 'identity', ...headers } });
}

async function post(g: Gateway, path: string, body: object) {
  const r = await fetch(url(g, path), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(r.status, await r.clone().text()).toBeLessThan(300);
  return r;
}

/** The queue service's own answer, as the gateway renders it. */
async function fromQueueService(): Promise<unknown> {
  const client = testClient(loadContracts().hms.queue.v1.QueueService, queue.grpcPort);
  try {
    const answer = await runWithContext(
      { requestId: newId(), tenantId, userId: 'reads-test', permissions: ['queues.read'] },
      () => client.call.getQueue({ doctorId, serviceDate: '', knownServiceDate: '', knownSeq: 0 }),
    );
    return queueJson(answer as GetQueueResponse__Output);
  } finally {
    client.close();
  }
}

type Queue = { seq: number; entries: { id: string; status: string; estimatedCallAt?: string | null }[] };
const withoutEstimates = (q: Queue) => ({ ...q, entries: q.entries.map(({ estimatedCallAt: _, ...e }) => e) });

const reads = async (g: Gateway, outcome: string) =>
  ((await g.runtime.metrics.registry.getSingleMetric('hms_queue_reads_total')?.get())?.values ?? [])
    .filter((v) => v.labels.outcome === outcome)
    .reduce((s, v) => s + v.value, 0);

beforeAll(async () => {
  appointments = await startAppointments(inProcessEnv('appointments'), { inProcess: true });
  queue = await startQueue(inProcessEnv('queue'), { inProcess: true });
  await seed();
  [token, otherToken, clerkToken] = await Promise.all([
    sign(tenantId),
    sign(otherTenantId),
    sign(tenantId, ['BILLING_CLERK']),
  ]);
  const env = gatewayEnv({
    LOG_LEVEL: 'warn',
    APPOINTMENTS_GRPC_ADDRESS: `127.0.0.1:${appointments.grpcPort}`,
    QUEUE_GRPC_ADDRESS: `127.0.0.1:${queue.grpcPort}`,
    // Long enough that every read of a test uses the cache unless the version moved.
    QUEUE_READ_MAX_AGE_MS: '600000',
  });
  a = await startGateway(env, { inProcess: true });
  b = await startGateway(env, { inProcess: true });
  for (let i = 0; i < 5; i += 1) await post(a, '/walk-ins', { patient: { fullName: `Reader ${i}` } });
  // Paused until a fixed time: the estimates no longer move with the clock, so two reads
  // of the same state are equal to the byte.
  await post(a, '/pause', { resumeAt: new Date(Date.now() + 3_600_000).toISOString(), reason: 'rounds' });
});

afterAll(async () => {
  await b?.runtime.close('test done');
  await a?.runtime.close('test done');
  await queue?.runtime.close('test done');
  await appointments?.runtime.close('test done');
});

describe('GET /queues/{doctorId} from the cache', () => {
  it("answers what the queue service answers, the second time from the cache, with the version's ETag", async () => {
    const first = await get(a);
    expect(first.status).toBe(200);
    const before = await reads(a, 'cached');
    const second = await get(a);
    expect(await reads(a, 'cached')).toBe(before + 1);
    const expected = await fromQueueService();
    const body = await second.json();
    expect(body).toEqual(expected);
    expect(await first.json()).toEqual(expected);
    const { serviceDate, seq } = body as { serviceDate: string; seq: number };
    expect(second.headers.get('etag')).toBe(`W/"${serviceDate.replaceAll('-', '')}${String(seq).padStart(7, '0')}"`);
    expect(second.headers.get('cache-control')).toBe('private, no-cache');
  });

  it('follows a call-next made through the other gateway at once', async () => {
    await post(a, '/resume', {});
    for (let round = 0; round < 3; round += 1) {
      await get(b); // b holds the queue as it is now
      const called = (await (await post(a, '/call-next', { room: `R${round}` })).json()) as { entry: { id: string } };
      // No wait: the very next read through b shows the call.
      const after = (await (await get(b)).json()) as Queue;
      expect(after.entries.find((e) => e.id === called.entry.id)?.status).toBe('called');
      // Everything as the queue service has it; only the estimates of a moving queue follow the clock.
      expect(withoutEstimates(after)).toEqual(withoutEstimates((await fromQueueService()) as Queue));
    }
  });

  it('answers 304 to the current version, on either gateway, and 200 once it moved', async () => {
    const first = await get(a);
    const etag = first.headers.get('etag')!;
    const same = await get(a, { 'if-none-match': etag });
    expect(same.status).toBe(304);
    expect(same.headers.get('etag')).toBe(etag);
    expect(await same.text()).toBe('');
    // A gateway that never served this version checks it with the queue service.
    const fresh = await startGateway(
      gatewayEnv({
        LOG_LEVEL: 'warn',
        APPOINTMENTS_GRPC_ADDRESS: `127.0.0.1:${appointments.grpcPort}`,
        QUEUE_GRPC_ADDRESS: `127.0.0.1:${queue.grpcPort}`,
      }),
      { inProcess: true },
    );
    try {
      expect((await get(fresh, { 'if-none-match': etag })).status).toBe(304);
      expect(await reads(fresh, 'not_modified')).toBe(1);
    } finally {
      await fresh.runtime.close('test done');
    }
    await post(b, '/walk-ins', { patient: { fullName: 'Late Reader' } });
    const moved = await get(a, { 'if-none-match': etag });
    expect(moved.status).toBe(200);
    expect(moved.headers.get('etag')).not.toBe(etag);
    expect(withoutEstimates((await moved.json()) as Queue)).toEqual(
      withoutEstimates((await fromQueueService()) as Queue),
    );
    // Not a version of ours: simply no match.
    expect((await get(a, { 'if-none-match': '"something-else"' })).status).toBe(200);
  });

  it('checks tenant and permission on every read: another tenant gets its own queue, a clerk none', async () => {
    await get(a); // cached for the first tenant
    const other = await get(a, {}, otherToken);
    expect(other.status).toBe(200);
    expect(await other.json()).toMatchObject({ doctorId, seq: 0, entries: [] });
    const clerk = await get(a, {}, clerkToken);
    expect(clerk.status).toBe(403);
    expect(clerk.headers.get('content-type')).toContain('application/problem+json');
    expect((await get(a, {}, 'not-a-token')).status).toBe(401);
  });

  it('sends the same body gzip-encoded when the client accepts it', async () => {
    const plain = Buffer.from(await (await get(a)).arrayBuffer());
    const zipped = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      // fetch would decode it; node:http shows the bytes on the wire.
      import('node:http')
        .then((http) =>
          http.get(
            url(a),
            { headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip, deflate' } },
            (res) => {
              const parts: Buffer[] = [];
              res.on('data', (c: Buffer) => parts.push(c));
              res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(parts) }));
            },
          ),
        )
        .catch(reject);
    });
    expect(zipped.encoding).toBe('gzip');
    expect(zipped.body.length).toBeLessThan(plain.length);
    expect(gunzipSync(zipped.body).equals(plain)).toBe(true);
  });

  it('reads another day from the queue service too, with its own version', async () => {
    const r = await fetch(`${url(a)}?date=2031-02-03`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ serviceDate: '2031-02-03', seq: 0, entries: [] });
    expect(r.headers.get('etag')).toBe('W/"203102030000000"');
  });
});
