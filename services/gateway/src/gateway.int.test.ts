/**
 * The gateway in-process against the test stack's real PostgreSQL and Redis,
 * with the gRPC backends deliberately unreachable: everything the gateway
 * decides by itself (development tokens, tenants, validation, problem+json,
 * request ids, traces, metrics) and how it answers when a backend is down.
 * Identity (sign-in, roles, API keys) and rate limits have files of their own.
 * A last part puts a stand-in appointments server behind it, to check what
 * the translation to and from gRPC carries (the real services are exercised
 * end to end in e2e/).
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import {
  audienceOf,
  createGrpcServer,
  createInternalTokenVerifier,
  createLogger,
  createMetrics,
  currentTraceId,
  InvalidArgumentError,
  newId,
  NotFoundError,
  type CallContext,
  type GrpcServer,
  type UnaryImplementation,
} from '@hms/platform';
import {
  checkSchemaDrift,
  descendantsOf,
  newTestKeys,
  recordSpans,
  serviceDatabaseUrl,
  testKeys,
} from '@hms/platform/testing';
import { loadContracts, toTimestamp, type AppointmentStatus, type AppointmentsServiceHandlers } from '@hms/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDevelopmentToken } from './http/auth.js';
import {
  DEV_SECRET,
  json,
  makeTenant,
  ownerPrisma,
  request,
  startTestGateway,
  addStandIn,
  type Gateway,
} from './testing/harness.js';

const secret = DEV_SECRET;
let gateway: Gateway;
const prisma = ownerPrisma();

async function tenant(status: 'ACTIVE' | 'SUSPENDED' = 'ACTIVE') {
  const t = await makeTenant(prisma, { status, plan: 'ENTERPRISE', rateLimitMultiplier: 100 });
  return { id: t.id, token: t.devToken };
}

/** Bytes sent as they are (fetch refuses to send what Node's parser must refuse); the reply as text. */
function rawHttp(g: Gateway, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(g.httpPort, '127.0.0.1', () => socket.write(text));
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk.toString()));
    socket.on('end', () => resolve(reply));
    socket.on('error', reject);
  });
}

/** How many gRPC calls a gateway has made: bad input must never add to it. */
async function backendCalls(g: Gateway): Promise<number> {
  const metric = await g.runtime.metrics.grpcClientDuration.get();
  return metric.values.filter((v) => v.metricName?.endsWith('_count')).reduce((sum, v) => sum + v.value, 0);
}
const validBooking = () => JSON.stringify({ patientId: newId(), doctorId: newId(), startsAt: '2030-01-07T05:00:00Z' });

beforeAll(async () => {
  gateway = await startTestGateway();
});

afterAll(async () => {
  await gateway?.runtime.close('test done');
  await prisma.$disconnect();
});

describe('gateway', () => {
  it('wants a valid token for an existing, active tenant', async () => {
    const active = await tenant();
    const suspended = await tenant('SUSPENDED');
    const expired = await new SignJWT({ tid: active.id })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer('hms-dev')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 5)
      .sign(new TextEncoder().encode(secret));
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 401],
      [{ authorization: 'Bearer not.a.token' }, 401],
      [{ authorization: `Bearer ${expired}` }, 401],
      [
        {
          authorization: `Bearer ${await signDevelopmentToken({ tenantId: active.id, userId: 'u' }, { secret: 'x'.repeat(40), issuer: 'hms-dev', ttl: '10m' })}`,
        },
        401,
      ],
      [
        {
          authorization: `Bearer ${await signDevelopmentToken({ tenantId: newId(), userId: 'u' }, { secret, issuer: 'hms-dev', ttl: '10m' })}`,
        },
        403,
      ],
      [{ authorization: `Bearer ${suspended.token}` }, 403],
    ];
    for (const [headers, expected] of cases) {
      const r = await request(gateway, 'GET', `/api/v1/appointments/${newId()}`, { headers });
      expect(r.status).toBe(expected);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await json(r)).toMatchObject({ status: expected });
      if (expected === 401) expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    // The same token is accepted for an active tenant (the backend is down, hence 503).
    expect((await request(gateway, 'GET', `/api/v1/appointments/${newId()}`, { token: active.token })).status).toBe(
      503,
    );
    // The tenant never comes from the URL: a tenant id in the query is just an unknown parameter.
    const r = await request(gateway, 'GET', `/api/v1/bills?tenantId=${suspended.id}`, { token: active.token });
    expect(r.status).toBe(400);
  });

  it('refuses bad input with 4xx problem+json naming the fields, before any backend call', async () => {
    const { token } = await tenant();
    const callsBefore = await backendCalls(gateway);
    const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      request(gateway, 'POST', '/api/v1/appointments', { token, body, headers });
    const malformed = await post('{"patientId": ');
    expect(malformed.status).toBe(400);
    expect((await json(malformed)).type).toBe('urn:hms:problem:malformed-json');
    const wrong = await post(
      JSON.stringify({ patientId: 7, doctorId: 'x', startsAt: '07/01/2030', reason: 'r'.repeat(501), extra: true }),
    );
    expect(wrong.status).toBe(400);
    const fields = ((await json(wrong)).errors as { field: string }[]).map((e) => e.field);
    expect(fields.sort()).toEqual(['doctorId', 'extra', 'patientId', 'reason', 'startsAt']);
    const empty = await post('{}');
    expect(empty.status).toBe(400);
    expect(empty.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await json(empty)).toMatchObject({
      type: 'urn:hms:problem:validation-failed',
      title: 'Bad Request',
      status: 400,
      instance: '/api/v1/appointments',
      errors: expect.arrayContaining([{ field: 'startsAt', message: 'required' }]),
    });
    expect((await post('patientId=1', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect(
      (await post(validBooking(), { 'content-type': 'application/json', 'idempotency-key': 'with space' })).status,
    ).toBe(400);
    expect((await post(JSON.stringify({ reason: 'x'.repeat(2_000_000) }))).status).toBe(413);
    // NUL characters, wherever the text is: one 400 naming every field.
    const nul = await post(
      JSON.stringify({
        patientId: newId(),
        doctorId: newId(),
        startsAt: '2030-01-07T05:00:00Z',
        reason: 'a\u0000b',
        ['x\u0000']: 1,
      }),
    );
    expect(nul.status).toBe(400);
    expect((await json(nul)).errors).toEqual([
      { field: 'reason', message: 'must not contain NUL characters' },
      { field: 'x\\u0000', message: 'the field name must not contain NUL characters' },
    ]);
    const nulInUrl = await request(gateway, 'GET', '/api/v1/queues/a%00b?date=%00', { token });
    expect(nulInUrl.status).toBe(400);
    expect((await json(nulInUrl)).errors).toEqual([
      { field: 'doctorId', message: 'must not contain NUL characters' },
      { field: 'date', message: 'must not contain NUL characters' },
    ]);
    // Node's HTTP parser refuses a NUL in a header before Express sees it: still problem+json.
    const nulHeader = await rawHttp(
      gateway,
      `POST /api/v1/appointments HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\u0000b\r\n\r\n`,
    );
    expect(nulHeader).toMatch(/^HTTP\/1.1 400 /);
    expect(nulHeader).toMatch(/content-type: application\/problem\+json/);
    expect((await request(gateway, 'GET', '/api/v1/queues/not-a-uuid', { token })).status).toBe(400);
    expect((await request(gateway, 'GET', `/api/v1/queues/${newId()}?date=2030-02-30`, { token })).status).toBe(400);
    expect((await request(gateway, 'GET', '/api/v1/bills?limit=0', { token })).status).toBe(400);
    expect((await request(gateway, 'GET', `/api/v1/appointments/${newId()}?x=1`, { token })).status).toBe(400);
    expect((await request(gateway, 'GET', '/api/v1/nothing-here', { token })).status).toBe(404);
    expect((await request(gateway, 'GET', '/api/v1/nothing-here')).status).toBe(401);
    const verify = async (query: string) => {
      const r = await request(gateway, 'GET', `/api/v1/audit/verify${query}`, { token });
      return { status: r.status, fields: (((await json(r)).errors ?? []) as { field: string }[]).map((e) => e.field) };
    };
    expect(await verify('?from=yesterday')).toEqual({ status: 400, fields: ['from'] });
    expect(await verify('?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z')).toEqual({ status: 400, fields: ['to'] });
    expect(await verify('?from=2030-01-01T00:00:00Z&to=2030-01-01T00:00:00Z')).toEqual({ status: 400, fields: ['to'] });
    expect(await verify('?from=soon&to=2030-01-01T00:00:00Z')).toEqual({ status: 400, fields: ['from'] });
    expect(await verify('?tenant=x')).toEqual({ status: 400, fields: ['tenant'] });
    expect((await request(gateway, 'GET', '/api/v1/audit/verify')).status).toBe(401);
    expect((await request(gateway, 'POST', '/api/v1/audit/verify', { token })).status).toBe(405);
    const wrongMethod = await request(gateway, 'DELETE', '/api/v1/bills', { token });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    expect(await backendCalls(gateway)).toBe(callsBefore);
  });

  it('answers 503 with Retry-After, never 500, when a backend is down', async () => {
    const { token } = await tenant();
    const r = await request(gateway, 'POST', '/api/v1/appointments', {
      token,
      body: validBooking(),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(await json(r)).toMatchObject({ status: 503, type: 'urn:hms:problem:service-unavailable' });
  });

  it('echoes or makes a request id, and continues the caller trace', async () => {
    const { token } = await tenant();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const given = await request(gateway, 'GET', `/api/v1/appointments/${newId()}`, {
      token,
      headers: { 'x-request-id': 'req-from-nginx-1', traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    });
    expect(given.headers.get('x-request-id')).toBe('req-from-nginx-1');
    expect(given.headers.get('x-trace-id')).toBe(traceId);
    expect((await json(given)).requestId).toBe('req-from-nginx-1');
    const made = await request(gateway, 'GET', `/api/v1/appointments/${newId()}`, {
      token,
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('exports request metrics by route template', async () => {
    const { token } = await tenant();
    await request(gateway, 'GET', `/api/v1/appointments/${newId()}`, { token });
    await request(gateway, 'POST', `/api/v1/appointments/${newId()}/check-in`);
    await request(gateway, 'GET', `/api/v1/patients/${newId()}`, { token });
    const text = await (await fetch(`http://127.0.0.1:${gateway.opsPort}/metrics`)).text();
    const count = (labels: string) =>
      new RegExp(`hms_http_server_request_duration_seconds_count\\{[^}]*${labels}[^}]*\\} [1-9]`);
    expect(text).toMatch(count('method="GET",route="/api/v1/appointments/:id",status_code="503"'));
    // Refused before the handler, still counted under its route.
    expect(text).toMatch(count('method="POST",route="/api/v1/appointments/:id/check-in",status_code="401"'));
    expect(text).toMatch(count('method="GET",route="unmatched",status_code="404"'));
    expect(text).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('has no drift between schema.prisma and its migrations', async () => {
    const drift = await checkSchemaDrift({
      connectionString: serviceDatabaseUrl('gateway'),
      schema: 'identity',
      prismaSchemaPath: fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url)),
    });
    expect(drift).toEqual([]);
  });
});

describe('gateway in front of a stand-in appointments server', () => {
  const seen: { method: string; request: Record<string, unknown>; ctx: CallContext; traceId: string }[] = [];
  const slowId = newId();
  const readableId = newId();
  const byKey = new Map<string, string>();
  let backend: GrpcServer;
  let stubbed: Gateway;
  let untrusted: Gateway;

  const appointment = (id: string, status: AppointmentStatus) => ({
    id,
    patientId: newId(),
    doctorId: newId(),
    departmentId: newId(),
    startsAt: toTimestamp(new Date('2030-01-07T05:00:00Z')),
    endsAt: toTimestamp(new Date('2030-01-07T05:15:00Z')),
    serviceDate: '2030-01-07',
    status,
    reason: '',
    consultationFeeMinor: 50_000,
    hospitalFeeMinor: 10_000,
    currency: 'INR',
    createdAt: toTimestamp(new Date()),
    checkedInAt: null,
    traceId: currentTraceId(),
  });

  beforeAll(async () => {
    backend = createGrpcServer({
      logger: createLogger({ service: 'stand-in', level: 'silent' }),
      metrics: createMetrics('stand-in', { defaultMetrics: false }),
      verifier: createInternalTokenVerifier({
        audience: audienceOf('appointments'),
        publicKeys: [testKeys().publicKey],
        clockToleranceSeconds: 5,
      }),
    });
    const record = (method: string, request: unknown, ctx: CallContext) =>
      seen.push({ method, request: request as Record<string, unknown>, ctx, traceId: currentTraceId() });
    // Only the calls these tests make.
    const implementation: Pick<
      UnaryImplementation<AppointmentsServiceHandlers>,
      'BookAppointment' | 'GetAppointment' | 'CheckInAppointment'
    > = {
      async BookAppointment(request, ctx) {
        record('bookAppointment', request, ctx);
        if (request.reason === 'after hours') {
          throw new InvalidArgumentError('invalid request', [
            { field: 'startsAt', message: "outside the doctor's hours" },
          ]);
        }
        const earlier = byKey.get(request.idempotencyKey);
        if (earlier) return { appointment: appointment(earlier, 'APPOINTMENT_STATUS_BOOKED'), replayed: true };
        const id = newId();
        if (request.idempotencyKey) byKey.set(request.idempotencyKey, id);
        return { appointment: appointment(id, 'APPOINTMENT_STATUS_BOOKED'), replayed: false };
      },
      async GetAppointment(request, ctx) {
        record('getAppointment', request, ctx);
        if (request.id === slowId) await new Promise((r) => setTimeout(r, 1_500));
        if (request.id === readableId) return { appointment: appointment(readableId, 'APPOINTMENT_STATUS_BOOKED') };
        throw new NotFoundError(`appointment ${request.id} not found`);
      },
      async CheckInAppointment(request, ctx) {
        record('checkInAppointment', request, ctx);
        return { appointment: appointment(request.id, 'APPOINTMENT_STATUS_CHECKED_IN') };
      },
    };
    addStandIn<AppointmentsServiceHandlers>(
      backend,
      loadContracts().hms.appointments.v1.AppointmentsService.service,
      implementation,
      {
        BookAppointment: 'appointments.book',
        GetAppointment: 'appointments.read',
        CheckInAppointment: 'appointments.check_in',
      },
    );
    const port = await backend.listen('127.0.0.1', 0);
    stubbed = await startTestGateway({ APPOINTMENTS_GRPC_ADDRESS: `127.0.0.1:${port}`, GRPC_DEADLINE_MS: '500' });
    // A gateway whose key the backend does not trust (a botched rotation).
    untrusted = await startTestGateway({
      APPOINTMENTS_GRPC_ADDRESS: `127.0.0.1:${port}`,
      GRPC_DEADLINE_MS: '500',
      INTERNAL_TOKEN_PRIVATE_KEY: newTestKeys().privateKeyText,
    });
  });

  afterAll(async () => {
    await untrusted?.runtime.close('test done');
    await stubbed?.runtime.close('test done');
    await backend?.shutdown(2_000);
  });

  it('books with the tenant and user of the token, the request id and the trace of the caller', async () => {
    const { id: tenantId, token } = await tenant();
    const other = await tenant();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const key = `book-${newId()}`;
    const book = () =>
      request(stubbed, 'POST', '/api/v1/appointments', {
        token,
        body: JSON.stringify({
          patientId: newId(),
          doctorId: newId(),
          startsAt: '2030-01-07T10:30:00+05:30',
          reason: 'fever',
        }),
        headers: {
          'content-type': 'application/json',
          'idempotency-key': key,
          'x-request-id': 'req-book-1',
          traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
          // Headers a client might try to name another tenant with: ignored.
          'x-tenant-id': other.id,
          'x-user-id': 'someone-else',
        },
      });
    const first = await book();
    expect(first.status).toBe(201);
    const created = (await json(first)).appointment as Record<string, unknown>;
    expect(first.headers.get('location')).toBe(`/api/v1/appointments/${String(created.id)}`);
    expect(first.headers.get('idempotency-replayed')).toBeNull();
    expect(created).toMatchObject({ status: 'booked', startsAt: '2030-01-07T05:00:00.000Z', currency: 'INR' });
    const call = seen.at(-1)!;
    expect(call.method).toBe('bookAppointment');
    expect(call.ctx).toMatchObject({ tenantId, userId: 'int-user', requestId: 'req-book-1', roles: ['ADMIN'] });
    // The permissions the gateway resolved travel with the call; an ENTERPRISE plan has no quotas to enforce.
    expect(call.ctx.permissions).toEqual(expect.arrayContaining(['appointments.book', 'users.manage']));
    expect(call.ctx.permissions).not.toContain('platform.tenants.manage');
    expect(call.ctx.quotas).toEqual({});
    expect(call.traceId).toBe(traceId);
    expect(call.request).toMatchObject({ idempotencyKey: key, reason: 'fever', startsAt: { seconds: 1893992400 } });

    const again = await book();
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(((await json(again)).appointment as Record<string, unknown>).id).toBe(created.id);
  });

  it("puts every read of a patient's record on the trail as record.accessed, written after the answer", async () => {
    const { id: tenantId, token } = await tenant();
    const accessed = async () =>
      prisma.$queryRawUnsafe<{ traceparent: string | null }[]>(
        `SELECT headers->>'traceparent' AS traceparent FROM identity_messaging.outbox
          WHERE tenant_id = $1::uuid AND event_type = 'record.accessed'`,
        tenantId,
      );
    const traceId = newId().replaceAll('-', '');
    const read = await request(stubbed, 'GET', `/api/v1/appointments/${readableId}`, {
      token,
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(read.status).toBe(200);
    const missing = await request(stubbed, 'GET', `/api/v1/appointments/${newId()}`, { token });
    expect(missing.status).toBe(404);
    // Noted in memory by the request, written in a batch afterwards: nothing on the request's path.
    await stubbed.accessLog.flush();
    const rows = await accessed();
    expect(rows).toHaveLength(1);
    // Written after the request ended, yet under the reading request's trace.
    expect(rows[0]!.traceparent).toContain(traceId);
  });

  it("maps the backend's statuses: violations to 400, not found to 404, a slow answer to 504", async () => {
    const { token } = await tenant();
    const refused = await request(stubbed, 'POST', '/api/v1/appointments', {
      token,
      body: JSON.stringify({
        patientId: newId(),
        doctorId: newId(),
        startsAt: '2030-01-07T23:00:00Z',
        reason: 'after hours',
      }),
      headers: { 'content-type': 'application/json' },
    });
    expect(refused.status).toBe(400);
    expect(await json(refused)).toMatchObject({
      errors: [{ field: 'startsAt', message: "outside the doctor's hours" }],
    });

    const id = newId();
    const missing = await request(stubbed, 'GET', `/api/v1/appointments/${id}`, { token });
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ status: 404, detail: `appointment ${id} not found` });

    const slow = await request(stubbed, 'GET', `/api/v1/appointments/${slowId}`, { token });
    expect(slow.status).toBe(504);
    expect(slow.headers.get('retry-after')).toBe('1');

    const checkedIn = await request(stubbed, 'POST', `/api/v1/appointments/${id}/check-in`, { token });
    expect(checkedIn.status).toBe(200);
    expect(await json(checkedIn)).toMatchObject({ appointment: { id, status: 'checked_in' } });
  });

  it('is refused by a backend that does not trust its key: a 500 for the client, not a 401', async () => {
    const { token } = await tenant();
    const handled = seen.length;
    const r = await request(untrusted, 'GET', `/api/v1/appointments/${newId()}`, { token });
    expect(r.status).toBe(500);
    expect(await json(r)).toMatchObject({ type: 'urn:hms:problem:internal-error' });
    expect(seen.length).toBe(handled);
  });

  it('traces a request: an HTTP span named by route template, Redis and the gRPC call inside it', async () => {
    const { token } = await tenant();
    const recorder = recordSpans();
    try {
      const r = await request(stubbed, 'POST', `/api/v1/appointments/${newId()}/check-in`, { token });
      expect(r.status).toBe(200);
      const traceId = r.headers.get('x-trace-id');
      const spans = recorder.spans().filter((s) => s.spanContext().traceId === traceId);
      const http = spans.find((s) => s.name === 'POST /api/v1/appointments/:id/check-in');
      expect(http?.attributes['http.route']).toBe('/api/v1/appointments/:id/check-in');
      const inside = descendantsOf(spans, http!).map((s) => s.name);
      expect(inside).toContain('hms.appointments.v1.AppointmentsService/CheckInAppointment');
      // The rate limit's Redis script, by the ioredis instrumentation.
      expect(inside.some((name) => /^(evalsha|eval)$/.test(name))).toBe(true);
    } finally {
      recorder.stop();
    }
  });
});
