/**
 * Live queues with the real services in-process (appointments, queue,
 * gateway) on the test stack's PostgreSQL, Redis and Kafka: one upstream
 * watch for many clients, caps per queue and per process, a client that does
 * not read dropped and resuming without a gap, and a leak check of
 * connect/disconnect cycles (streams, watches, listeners and heap).
 */
import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import { newId, runWithContext } from '@hms/platform';
import { eventually, inProcessEnv, ownerDatabaseUrl, testClient } from '@hms/platform/testing';
import { loadContracts } from '@hms/proto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppointments } from '../../../appointments/src/main.js';
import { startQueue } from '../../../queue/src/main.js';
import { signDevelopmentToken } from '../http/auth.js';
import { startGateway } from '../main.js';
import { DEV_SECRET, gatewayEnv as testGatewayEnv } from '../testing/harness.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const secret = DEV_SECRET;
type Gateway = Awaited<ReturnType<typeof startGateway>>;
let appointments: Awaited<ReturnType<typeof startAppointments>>;
let queue: Awaited<ReturnType<typeof startQueue>>;
let gateway: Gateway;
let capped: Gateway;
const tenantId = newId();
const doctors = [newId(), newId(), newId()];
let token: string;

const gatewayEnv = (overrides: Record<string, string>) =>
  testGatewayEnv({
    LOG_LEVEL: 'warn',
    APPOINTMENTS_GRPC_ADDRESS: `127.0.0.1:${appointments.grpcPort}`,
    QUEUE_GRPC_ADDRESS: `127.0.0.1:${queue.grpcPort}`,
    ...overrides,
  });

async function seed(): Promise<void> {
  const gw = new pg.Client({ connectionString: ownerDatabaseUrl('gateway') });
  const ap = new pg.Client({ connectionString: ownerDatabaseUrl('appointments') });
  await gw.connect();
  await ap.connect();
  try {
    await gw.query(
      `INSERT INTO identity.tenants (id, name, slug, plan, rate_limit_multiplier) VALUES ($1, $2, $3, 'ENTERPRISE', 1000)`,
      [tenantId, `Live ${tenantId}`, `live-${tenantId.replaceAll('-', '').slice(-20)}`],
    );
    const department = newId();
    await ap.query('INSERT INTO appointments.departments (id, tenant_id, name) VALUES ($1, $2, $3)', [
      department,
      tenantId,
      'Live',
    ]);
    for (const [i, id] of doctors.entries()) {
      await ap.query(
        `INSERT INTO appointments.doctors (id, tenant_id, department_id, full_name, consultation_fee_minor, hospital_fee_minor,
           currency, time_zone)
         VALUES ($1, $2, $3, $4, 50000, 10000, 'INR', 'UTC')`,
        [id, tenantId, department, `Dr. Live ${i}`],
      );
    }
  } finally {
    await gw.end();
    await ap.end();
  }
}

beforeAll(async () => {
  appointments = await startAppointments(inProcessEnv('appointments'), { inProcess: true });
  queue = await startQueue(inProcessEnv('queue'), { inProcess: true });
  await seed();
  token = await signDevelopmentToken({ tenantId, userId: 'live-test' }, { secret, issuer: 'hms-dev', ttl: '30m' });
  gateway = await startGateway(
    gatewayEnv({
      SSE_CLIENT_BUFFER_BYTES: '4096',
      SSE_UPSTREAM_LINGER_MS: '200',
      SSE_MAX_STREAMS_PER_TOKEN: '1000',
      SSE_HEARTBEAT_MS: '500',
    }),
    { inProcess: true },
  );
  capped = await startGateway(gatewayEnv({ SSE_MAX_STREAMS_PER_QUEUE: '2', SSE_MAX_STREAMS_PER_PROCESS: '3' }), {
    inProcess: true,
  });
});

afterAll(async () => {
  await capped?.runtime.close('test done');
  await gateway?.runtime.close('test done');
  await queue?.runtime.close('test done');
  await appointments?.runtime.close('test done');
});

interface Client {
  status: number;
  text: () => string;
  res: http.IncomingMessage;
  close(): void;
  ended: Promise<void>;
}

function connect(g: Gateway, doctorId: string, headers: Record<string, string> = {}, read = true): Promise<Client> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `http://127.0.0.1:${g.httpPort}/api/v1/queues/${doctorId}/stream`,
      { headers: { authorization: `Bearer ${token}`, ...headers }, agent: false },
      (res) => {
        let text = '';
        const ended = new Promise<void>((r) => res.once('close', () => r()));
        if (read) {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
        }
        resolve({
          status: res.statusCode ?? 0,
          text: () => text,
          res,
          ended,
          close: () => {
            req.destroy();
            res.destroy();
          },
        });
      },
    );
    req.on('error', reject);
  });
}

const ids = (text: string) => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(BigInt(m[1]!) % 10_000_000n));

/** Walk-ins straight into the queue service (no patient record: faster, for volume). */
async function queueWalkIns(doctorId: string, n: number): Promise<void> {
  const client = testClient(loadContracts().hms.queue.v1.QueueService, queue.grpcPort);
  try {
    for (let i = 0; i < n; i += 1) {
      await runWithContext({ requestId: newId(), tenantId, userId: 'live-test', permissions: ['queues.manage'] }, () =>
        client.call.joinWalkIn({
          doctorId,
          timeZone: 'UTC',
          patientId: newId(),
          priority: 'QUEUE_PRIORITY_NORMAL',
          idempotencyKey: '',
        }),
      );
    }
  } finally {
    client.close();
  }
}

async function walkIns(doctorId: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1) {
    const r = await fetch(`http://127.0.0.1:${gateway.httpPort}/api/v1/queues/${doctorId}/walk-ins`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ patient: { fullName: `Walk In ${i}` } }),
    });
    expect(r.status).toBe(201);
  }
}

const metric = async (g: Gateway | Awaited<ReturnType<typeof startQueue>>, name: string) =>
  ((await g.runtime.metrics.registry.getSingleMetric(name)?.get())?.values ?? []).reduce((s, v) => s + v.value, 0);

describe('live queues', () => {
  it('serves many clients of one queue from one upstream watch', async () => {
    await walkIns(doctors[0]!, 1);
    const clients = await Promise.all(Array.from({ length: 40 }, () => connect(gateway, doctors[0]!)));
    expect(clients.every((c) => c.status === 200)).toBe(true);
    await eventually(async () => (clients.every((c) => c.text().includes('event: snapshot')) ? true : undefined));
    expect(gateway.hub.subscriptions).toBe(1);
    expect(await metric(gateway, 'hms_sse_upstream_subscriptions')).toBe(1);
    expect(await metric(queue, 'hms_queue_watch_streams')).toBe(1);
    await walkIns(doctors[0]!, 1);
    await eventually(async () => (clients.every((c) => c.text().includes('event: change')) ? true : undefined));
    for (const c of clients) c.close();
  });

  it('refuses streams over the per-queue and per-process caps, before any stream starts', async () => {
    const [a, b, c] = doctors as [string, string, string];
    const first = [await connect(capped, a), await connect(capped, a)];
    const third = await connect(capped, a);
    expect([...first.map((x) => x.status), third.status]).toEqual([200, 200, 429]);
    expect(third.res.headers['retry-after']).toBe('5');
    expect(third.res.headers['content-type']).toMatch(/problem\+json/);
    const other = await connect(capped, b);
    expect(other.status).toBe(200);
    const over = await connect(capped, c);
    expect(over.status).toBe(429);
    await eventually(async () => (over.text().includes('as many live streams') ? true : undefined));
    for (const x of [...first, third, other, over]) x.close();
  });

  it('drops a client that does not read past its buffer, and it resumes with Last-Event-ID without a gap', async () => {
    const doctorId = doctors[1]!;
    await walkIns(doctorId, 1);
    const before = await metric(gateway, 'hms_sse_slow_client_drops_total');
    const slow = await connect(gateway, doctorId, {}, false);
    slow.res.pause();
    // A growing line makes every change bigger: soon more than the kernel and the 4 KiB bound hold.
    for (let i = 0; i < 60 && (await metric(gateway, 'hms_sse_slow_client_drops_total')) === before; i += 1) {
      await queueWalkIns(doctorId, 10);
    }
    expect(await metric(gateway, 'hms_sse_slow_client_drops_total')).toBe(before + 1);
    // What reached the client before the drop; then it reconnects from its last event.
    let received = '';
    slow.res.setEncoding('utf8');
    slow.res.on('data', (chunk: string) => (received += chunk));
    slow.res.resume();
    await slow.ended;
    const complete = received.slice(0, received.lastIndexOf('\n\n') + 2);
    const lastId = [...complete.matchAll(/^id: (\d+)$/gm)].at(-1)![1]!;
    // The line keeps changing while it is away: its catch-up is a burst far past the bound.
    for (let i = 0; i < 5; i += 1) await queueWalkIns(doctorId, 10);
    const resumed = await connect(gateway, doctorId, { 'last-event-id': lastId });
    // It reads nothing for a few heartbeats: its catch-up burst is not a slow client's backlog,
    // and a heartbeat written behind the burst must not drop it.
    resumed.res.pause();
    await new Promise((r) => setTimeout(r, 1_600));
    resumed.res.resume();
    const day = (await (
      await fetch(`http://127.0.0.1:${gateway.httpPort}/api/v1/queues/${doctorId}`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { seq: number };
    // The catch-up may be hundreds of frames, each carrying the grown line: on a loaded
    // machine writing and re-reading them takes longer than the default wait.
    await eventually(async () => (ids(resumed.text()).at(-1) === day.seq ? true : undefined), {
      what: 'the resumed stream up to the last change',
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    const got = ids(resumed.text());
    const from = Number(BigInt(lastId) % 10_000_000n);
    expect(got).toEqual(Array.from({ length: day.seq - from }, (_, i) => from + 1 + i));
    expect(resumed.text()).not.toContain('event: snapshot');
    expect(await metric(gateway, 'hms_sse_slow_client_drops_total')).toBe(before + 1);
    resumed.close();
  });

  it('leaves nothing behind after 2,000 connect/disconnect cycles: streams, watches, listeners, heap', async () => {
    const doctorId = doctors[2]!;
    await walkIns(doctorId, 3);
    const cycle = async () => {
      const c = await connect(gateway, doctorId);
      await new Promise<void>((resolve) => {
        const check = () => (c.text().includes('event: snapshot') ? resolve() : setTimeout(check, 1));
        check();
      });
      c.close();
      await c.ended;
    };
    const cycles = async (n: number) => {
      for (let i = 0; i < n; i += 20) await Promise.all(Array.from({ length: 20 }, cycle));
    };
    const settled = async () => {
      await eventually(async () => (gateway.hub.openStreams === 0 ? true : undefined), { what: 'no open stream' });
      await new Promise((r) => setTimeout(r, 50));
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    await cycles(200);
    const heapBefore = await settled();
    await cycles(2_000);
    const heapAfter = await settled();
    expect(await metric(gateway, 'hms_sse_open_streams')).toBe(0);
    // The upstream watch lingers 200 ms, then closes; so does the queue's listener.
    await eventually(
      async () =>
        gateway.hub.subscriptions === 0 && (await metric(queue, 'hms_queue_watch_streams')) === 0 ? true : undefined,
      { what: 'no upstream watch and no queue watcher' },
    );
    expect(heapAfter).toBeLessThan(heapBefore * 1.1);
  });
});
