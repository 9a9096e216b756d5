/**
 * The live queue through nginx: the desk's operations, bad input refused
 * with nothing half-written, live streams (snapshot, ordered ids,
 * Last-Event-ID resume, both gateways receiving every change, caps, display
 * tokens and their revocation), the waiting-room page, and a small leak check.
 */
import { newId } from '@hms/platform';
import { eventually, testEnv } from '@hms/platform/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiBase, call, newTenant, tenantSql, type DemoTenant } from './support/stack.js';
import { openSse, type SseStream } from './support/sse.js';

type Json = Record<string, unknown>;
let tenant: DemoTenant;
let other: DemoTenant;
const open: SseStream[] = [];

/** The gateways' own HTTP ports (behind nginx), to reach one of them directly. */
function gatewayHttpPorts(): number[] {
  return (process.env.HMS_GATEWAY_PORTS ?? '').split(' ').filter(Boolean).map(Number);
}
const opsPorts = () => (testEnv().HMS_GATEWAY_OPS_PORTS ?? '').split(' ').filter(Boolean).map(Number);

beforeAll(async () => {
  [tenant, other] = await Promise.all([newTenant(), newTenant()]);
});
// Streams count against their token's cap: each test closes what it opened.
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
afterAll(() => {
  for (const s of open) s.close();
});

const doctor = (i: number) => tenant.doctors[i]!.id;
const post = (path: string, body?: unknown, token = tenant.token, headers: Record<string, string> = {}) =>
  call('POST', path, { token, body: body ?? {}, headers });

async function walkIn(doctorId: string, body: Json, headers: Record<string, string> = {}) {
  const r = await post(`/queues/${doctorId}/walk-ins`, body, tenant.token, headers);
  expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
  return r.json.entry as Json;
}

async function queueOf(doctorId: string, token = tenant.token) {
  const r = await call('GET', `/queues/${doctorId}`, { token });
  expect(r.status).toBe(200);
  return r.json as Json & { entries: Json[]; seq: number; pause: Json };
}

async function stream(pathOrUrl: string, token: string, headers: Record<string, string> = {}) {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${apiBase()}${pathOrUrl}`;
  const s = await openSse(url, { headers: { authorization: `Bearer ${token}`, ...headers } });
  open.push(s);
  return s;
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && !l.startsWith('#'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('the desk', () => {
  it('runs a clinic morning: walk-ins by priority, calls, recalls, skips, completion, transfer, pause', async () => {
    const a = doctor(0);
    const registered = await post(`/queues/${a}/walk-ins`, {
      patient: { fullName: 'Walk In One', phone: '+91 98450 00001' },
    });
    expect(registered.status).toBe(201);
    expect(registered.json.patient).toMatchObject({ fullName: 'Walk In One' });
    const first = registered.json.entry as Json;
    expect(first).toMatchObject({ tokenNumber: 1, position: 1, status: 'waiting', walkIn: true, appointmentId: null });

    const key = `e2e-${newId()}`;
    const senior = await walkIn(
      a,
      { patientId: tenant.patients[0]!.id, priority: 'senior' },
      { 'idempotency-key': key },
    );
    expect(senior).toMatchObject({ tokenNumber: 2, position: 1, priority: 'senior' });
    const retried = await post(
      `/queues/${a}/walk-ins`,
      { patientId: tenant.patients[0]!.id, priority: 'senior' },
      tenant.token,
      {
        'idempotency-key': key,
      },
    );
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotency-replayed')).toBe('true');
    expect((retried.json.entry as Json).id).toBe(senior.id);
    const emergency = await walkIn(a, { patientId: tenant.patients[1]!.id, priority: 'emergency' });
    expect(emergency).toMatchObject({ tokenNumber: 3, position: 1 });

    const queue = await queueOf(a);
    const line = queue.entries.filter((e) => Number(e.position) > 0);
    expect(line.map((e) => e.tokenNumber)).toEqual([3, 2, 1]);
    const etas = line.map((e) => Date.parse(String(e.estimatedCallAt)));
    expect(etas[1]! - etas[0]!).toBeGreaterThan(0);
    expect(etas[2]! - etas[1]!).toBe(etas[1]! - etas[0]!);

    const called = await post(`/queues/${a}/call-next`, { room: 'Room 1' });
    expect(called.status).toBe(200);
    expect(called.json.entry).toMatchObject({ tokenNumber: 3, status: 'called', room: 'Room 1' });
    const recalled = await post(`/queue-entries/${emergency.id}/recall`);
    expect(recalled.json.entry).toMatchObject({ recallCount: 1 });
    const done = await post(`/queue-entries/${emergency.id}/complete`);
    expect(done.json.entry).toMatchObject({ status: 'done', position: 0 });

    expect((await post(`/queues/${a}/call-next`, { room: 'Room 1' })).json.entry).toMatchObject({ tokenNumber: 2 });
    const skipped = await post(`/queue-entries/${senior.id}/skip`);
    expect(skipped.json.entry).toMatchObject({ status: 'skipped', skipCount: 1 });
    expect((await post(`/queues/${a}/call-next`, { room: 'Room 1' })).json.entry).toMatchObject({ tokenNumber: 1 });
    // Only the skipped patient is left: called all the same, and a second skip is a no-show.
    expect((await post(`/queues/${a}/call-next`, { room: 'Room 1' })).json.entry).toMatchObject({ tokenNumber: 2 });
    expect((await post(`/queue-entries/${senior.id}/skip`)).json.entry).toMatchObject({ status: 'no_show' });

    const moving = await walkIn(a, { patientId: tenant.patients[2]!.id });
    const moved = await post(`/queue-entries/${moving.id}/transfer`, { doctorId: doctor(1) });
    expect(moved.status).toBe(200);
    expect(moved.json.from).toMatchObject({ status: 'transferred', transferredToDoctorId: doctor(1) });
    expect(moved.json.to).toMatchObject({ tokenNumber: 1, position: 1, transferredFromEntryId: moving.id });
    expect((moved.json.to as Json).joinedAt).toBe(moving.joinedAt);

    await walkIn(a, { patientId: tenant.patients[3]!.id });
    const paused = await post(`/queues/${a}/pause`, { reason: 'ward round' });
    expect(paused.json.pause).toMatchObject({ paused: true, reason: 'ward round' });
    const refused = await post(`/queues/${a}/call-next`, { room: 'Room 1' });
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await queueOf(a)).pause).toMatchObject({ paused: true });
    expect((await post(`/queues/${a}/resume`)).json.pause).toMatchObject({ paused: false });
    expect((await post(`/queues/${a}/call-next`, { room: 'Room 2' })).status).toBe(200);
  });

  it("keeps the tenant's queue rules", async () => {
    const rules = { maxPriorityPasses: 2, skipReturnAfter: 4, defaultConsultationSeconds: 900 };
    const put = await call('PUT', '/queue-rules', { token: tenant.token, body: rules });
    expect(put.status).toBe(200);
    expect((await call('GET', '/queue-rules', { token: tenant.token })).json.rules).toEqual(rules);
    expect((await call('GET', '/queue-rules', { token: other.token })).json.rules).toMatchObject({
      maxPriorityPasses: 3,
    });
    const bad = await call('PUT', '/queue-rules', { token: tenant.token, body: { ...rules, skipReturnAfter: 0 } });
    expect(bad.status).toBe(400);
    expect((bad.json.errors as Json[]).map((e) => e.field)).toEqual(['skipReturnAfter']);
  });
});

describe('bad input', () => {
  it('answers each with a 4xx problem and leaves the queue as it was', async () => {
    const a = doctor(2);
    const entry = await walkIn(a, { patientId: tenant.patients[4]!.id });
    const before = await queueOf(a);
    const problem = (r: { status: number; headers: Headers }, status: number) => {
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    };
    // Another tenant's entry, an unknown entry.
    problem(await post(`/queue-entries/${String(entry.id)}/skip`, {}, other.token), 404);
    problem(await post(`/queue-entries/${newId()}/complete`), 404);
    // Completing someone who was never called.
    problem(await post(`/queue-entries/${String(entry.id)}/complete`), 422);
    // A transfer to a doctor who is not practising.
    const deactivated = await tenantSql(
      'appointments',
      tenant.tenantId,
      'UPDATE appointments.doctors SET active = false WHERE tenant_id = $1 AND id = $2',
      [tenant.tenantId, doctor(3)],
    );
    expect(deactivated.rowCount).toBe(1);
    const inactive = await post(`/queue-entries/${String(entry.id)}/transfer`, { doctorId: doctor(3) });
    problem(inactive, 422);
    expect((inactive.json.errors as Json[])[0]).toMatchObject({ field: 'doctorId' });
    problem(await post(`/queue-entries/${String(entry.id)}/transfer`, { doctorId: newId() }), 404);
    // Walk-ins: an unknown doctor, an unknown patient, both kinds of patient, a made-up priority.
    problem(await post(`/queues/${newId()}/walk-ins`, { patientId: tenant.patients[0]!.id }), 404);
    problem(await post(`/queues/${a}/walk-ins`, { patientId: newId() }), 404);
    problem(await post(`/queues/${a}/walk-ins`, { patientId: newId(), patient: { fullName: 'X' } }), 400);
    const vip = await post(`/queues/${a}/walk-ins`, { patientId: tenant.patients[0]!.id, priority: 'vip' });
    problem(vip, 400);
    expect((vip.json.errors as Json[]).map((e) => e.field)).toEqual(['priority']);
    problem(await post(`/queues/${a}/call-next`, {}), 400);
    problem(await call('GET', `/queues/${a}/stream?date=tomorrow`, { token: tenant.token }), 400);
    // Nothing changed meanwhile.
    const after = await queueOf(a);
    expect(after.seq).toBe(before.seq);
    expect(after.entries).toEqual(
      before.entries.map((e) => ({ ...e, estimatedCallAt: after.entries.find((x) => x.id === e.id)?.estimatedCallAt })),
    );
  });
});

describe('the doctor directory', () => {
  it('sees a doctor stop practising on both gateways within a second of the change', async () => {
    const clinic = await newTenant();
    const d = clinic.doctors[0]!.id;
    const ports = gatewayHttpPorts();
    expect(ports.length).toBeGreaterThanOrEqual(2);
    const walkInAt = (port: number, patient: number) =>
      fetch(`http://127.0.0.1:${port}/api/v1/queues/${d}/walk-ins`, {
        method: 'POST',
        headers: { authorization: `Bearer ${clinic.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ patientId: clinic.patients[patient]!.id }),
      });
    // Each replica reads the doctor (practising) and keeps it.
    for (const [i, port] of ports.entries()) expect((await walkInAt(port, i)).status).toBe(201);
    const stopped = await call('DELETE', `/doctors/${d}`, { token: clinic.token });
    expect(stopped.status).toBe(200);
    const changed = Date.now();
    for (const port of ports) {
      await eventually(async () => ((await walkInAt(port, 4)).status === 422 ? true : undefined), {
        timeoutMs: 1_000,
        intervalMs: 50,
        what: `gateway ${port} refusing a walk-in for the doctor who stopped`,
      });
    }
    expect(Date.now() - changed).toBeLessThan(1_000);
  });

  it('answers a changed fee at once from the gateway that took the change, and from the other within a second', async () => {
    const clinic = await newTenant();
    const d = clinic.doctors[0]!.id;
    const [mine, other] = gatewayHttpPorts();
    const at = (port: number, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${port}/api/v1/doctors/${d}`, {
        ...init,
        headers: { authorization: `Bearer ${clinic.token}`, 'content-type': 'application/json' },
      });
    const feeAt = async (port: number) =>
      ((await (await at(port)).json()) as { doctor: { fees: { consultationFeeMinor: number } } }).doctor.fees
        .consultationFeeMinor;
    // Both replicas read the doctor and keep it.
    const before = await feeAt(mine!);
    expect(await feeAt(other!)).toBe(before);
    const fee = before + 12_345;
    const patched = await at(mine!, {
      method: 'PATCH',
      body: JSON.stringify({ fees: { consultationFeeMinor: fee, hospitalFeeMinor: 0, currency: 'INR' } }),
    });
    expect(patched.status).toBe(200);
    const changed = Date.now();
    expect(await feeAt(mine!)).toBe(fee);
    await eventually(async () => ((await feeAt(other!)) === fee ? true : undefined), {
      timeoutMs: 1_000,
      intervalMs: 50,
      what: `gateway ${other} answering the doctor's new fee`,
    });
    expect(Date.now() - changed).toBeLessThan(1_000);
  });
});

describe('live streams', () => {
  it('sends a snapshot, then every change with a growing id, to clients of both gateways', async () => {
    const a = doctor(4);
    await walkIn(a, { patientId: tenant.patients[5]!.id });
    const ports = gatewayHttpPorts();
    expect(ports.length).toBeGreaterThanOrEqual(2);
    const clients = [
      await stream(`/queues/${a}/stream`, tenant.token),
      ...(await Promise.all(ports.map((p) => stream(`http://127.0.0.1:${p}/api/v1/queues/${a}/stream`, tenant.token)))),
    ];
    for (const c of clients) {
      expect(c.status).toBe(200);
      expect(c.headers['content-type']).toMatch(/text\/event-stream/);
      await c.waitFor((ev) => ev.length >= 1, 10_000, 'the snapshot');
      expect(c.events[0]!.event).toBe('snapshot');
    }
    const snapshot = clients[0]!.events[0]!;
    expect((snapshot.json.entries as Json[])[0]).toHaveProperty('patientId');
    await walkIn(a, { patientId: tenant.patients[6]!.id, priority: 'emergency' });
    await post(`/queues/${a}/call-next`, { room: 'Room 7' });
    for (const c of clients) {
      await c.waitFor((ev) => ev.length >= 3, 10_000, 'two changes');
      expect(c.events.slice(1).map((e) => [e.event, e.json.type])).toEqual([
        ['change', 'queue.token_issued'],
        ['change', 'queue.called'],
      ]);
      const ids = c.events.map((e) => BigInt(e.id));
      expect(ids[1]! - ids[0]!).toBe(1n);
      expect(ids[2]! - ids[1]!).toBe(1n);
    }
    // Every client saw the same ids: one sequence for the queue, whichever gateway.
    expect(new Set(clients.map((c) => c.events.map((e) => e.id).join()))).toHaveProperty('size', 1);
    // One upstream watch per gateway for this queue, however many clients.
    for (const port of opsPorts())
      expect(await metric(port, 'hms_sse_upstream_subscriptions')).toBeGreaterThanOrEqual(1);
  });

  it('resumes after Last-Event-ID with no gap and no duplicate, and starts afresh from an id it cannot continue', async () => {
    const a = doctor(4);
    const first = await stream(`/queues/${a}/stream`, tenant.token);
    await first.waitFor((ev) => ev.length >= 1);
    const lastId = first.events.at(-1)!.id;
    first.close();
    await walkIn(a, { patientId: tenant.patients[7]!.id });
    await walkIn(a, { patientId: tenant.patients[8]!.id });
    const resumed = await stream(`/queues/${a}/stream`, tenant.token, { 'last-event-id': lastId });
    await resumed.waitFor((ev) => ev.length >= 2, 10_000, 'the two missed changes');
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed.events.map((e) => e.event)).toEqual(['change', 'change']);
    expect(resumed.events.map((e) => BigInt(e.id) - BigInt(lastId))).toEqual([1n, 2n]);
    // An id of another day, and garbage: a fresh snapshot.
    for (const id of ['203001070000001', 'not-an-id']) {
      const fresh = await stream(`/queues/${a}/stream`, tenant.token, { 'last-event-id': id });
      await fresh.waitFor((ev) => ev.length >= 1);
      expect(fresh.events[0]!.event).toBe('snapshot');
      fresh.close();
    }
  });

  it('sends heartbeat comments', async () => {
    const s = await stream(`/queues/${doctor(4)}/stream`, tenant.token);
    await eventually(async () => (s.comments >= 1 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'a heartbeat comment (every 15 s)',
    });
    s.close();
  });

  it('refuses a stream over the per-token cap with 429, Retry-After and problem+json, before it starts', async () => {
    const port = gatewayHttpPorts()[0]!;
    const url = `http://127.0.0.1:${port}/api/v1/queues/${doctor(1)}/stream`;
    // Earlier tests' streams of this token are closing: start from none.
    await eventually(async () => ((await metric(opsPorts()[0]!, 'hms_sse_open_streams')) === 0 ? true : undefined), {
      what: 'no stream open on the first gateway',
    });
    const five = await Promise.all(Array.from({ length: 5 }, () => stream(url, tenant.token)));
    expect(five.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
    const sixth = await stream(url, tenant.token);
    expect(sixth.status).toBe(429);
    expect(sixth.headers['retry-after']).toBeTruthy();
    expect(sixth.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.parse(sixth.body)).toMatchObject({ status: 429 });
    five[0]!.close();
    await eventually(
      async () => {
        const again = await stream(url, tenant.token);
        again.close();
        return again.status === 200 ? true : undefined;
      },
      { what: 'room for one more stream once one closed' },
    );
    for (const s of five) s.close();
  });

  it('lets a display token watch only its doctors, shows no patient, and ends its streams when revoked', async () => {
    const a = doctor(0);
    const issued = await post('/display-tokens', { name: 'Waiting room 1', doctorIds: [a] });
    expect(issued.status).toBe(201);
    const display = String(issued.json.token);
    const id = String((issued.json.displayToken as Json).id);
    const watching = await stream(`/queues/${a}/stream`, display);
    expect(watching.status).toBe(200);
    await watching.waitFor((ev) => ev.length >= 1);
    const snapshot = watching.events[0]!.json;
    expect(snapshot).toMatchObject({
      clinicName: expect.stringMatching(/^E2E /),
      doctorName: tenant.doctors[0]!.fullName,
    });
    const shown = snapshot.entries as Json[];
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((e) => !('patientId' in e) && !('appointmentId' in e))).toBe(true);
    // Not its doctor; not a route for displays; not another tenant's.
    const notMine = await stream(`/queues/${doctor(1)}/stream`, display);
    expect(notMine.status).toBe(403);
    expect((await call('GET', `/queues/${a}`, { token: display })).status).toBe(401);
    expect((await post(`/queues/${a}/call-next`, { room: 'x' }, display)).status).toBe(401);
    expect((await call('GET', '/display-tokens', { token: display })).status).toBe(401);
    expect((await call('DELETE', `/display-tokens/${id}`, { token: other.token })).status).toBe(404);
    const listed = await call('GET', '/display-tokens', { token: tenant.token });
    expect((listed.json.data as Json[]).map((t) => t.id)).toContain(id);
    expect(JSON.stringify(listed.json)).not.toContain(display);

    const revoked = await call('DELETE', `/display-tokens/${id}`, { token: tenant.token });
    expect(revoked.status).toBe(204);
    // This gateway closes at once, the other at its next heartbeat.
    await Promise.race([
      watching.ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the stream outlived its token')), 25_000)),
    ]);
    await eventually(async () => ((await stream(`/queues/${a}/stream`, display)).status === 401 ? true : undefined), {
      timeoutMs: 15_000,
      what: 'the revoked token refused',
    });
  });

  it('refuses a stream of a doctor the tenant does not have', async () => {
    const r = await stream(`/queues/${other.doctors[0]!.id}/stream`, tenant.token);
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toMatch(/problem\+json/);
  });
});

describe('the waiting-room page', () => {
  it('is plain HTML with its own script and style, locked to its origin', async () => {
    const base = apiBase().replace(/\/api\/v1$/, '');
    const page = await fetch(`${base}/display/queues?doctors=${doctor(0)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await page.text();
    expect(html).toContain('aria-live');
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ['display.js', 'display.css'])
      expect((await fetch(`${base}/display/${asset}`)).status).toBe(200);
    const bad = await fetch(`${base}/display/queues?doctors=nope`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
  });
});

describe('no leaks', () => {
  it('leaves no stream, no upstream watch and no queue watcher behind after 300 connect/disconnect cycles', async () => {
    const a = doctor(2);
    // Four at a time: under the per-token cap even when nginx sends them all to one gateway.
    for (let i = 0; i < 300; i += 4) {
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          const s = await openSse(`${apiBase()}/queues/${a}/stream`, {
            headers: { authorization: `Bearer ${tenant.token}` },
          });
          expect(s.status).toBe(200);
          await s.waitFor((ev) => ev.length >= 1);
          s.close();
        }),
      );
    }
    const queueOps = Number(process.env.HMS_QUEUE_OPS_PORT);
    await eventually(
      async () => {
        let total = 0;
        for (const port of opsPorts()) total += await metric(port, 'hms_sse_open_streams');
        return total === 0 ? true : undefined;
      },
      { timeoutMs: 10_000, what: 'no open streams' },
    );
    // The upstream watches linger a little (reconnects are common), then close.
    for (const s of open) s.close();
    await eventually(
      async () => {
        let subs = 0;
        for (const port of opsPorts()) subs += await metric(port, 'hms_sse_upstream_subscriptions');
        const watchers = await metric(queueOps, 'hms_queue_watch_streams');
        return subs === 0 && watchers === 0 ? true : undefined;
      },
      { timeoutMs: 40_000, what: 'no upstream watch and no queue watcher left' },
    );
  });
});
