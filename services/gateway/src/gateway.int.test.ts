/**
 * The gateway in-process against the test stack's real PostgreSQL and Redis,
 * with the gRPC backends deliberately unreachable: everything the gateway
 * decides by itself (auth, tenants, validation, problem+json, rate limits,
 * request ids, traces, metrics) and how it answers when a backend is down.
 */
import { fileURLToPath } from 'node:url';
import { newId } from '@hms/platform';
import { checkSchemaDrift, serviceDatabaseUrl, testEnv } from '@hms/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDevelopmentToken } from './http/auth.js';
import { startGateway } from './main.js';

const secret = 'integration-test-secret-of-enough-length-42';
const env = (overrides: Record<string, string> = {}) => ({
  DATABASE_URL: serviceDatabaseUrl('gateway'),
  REDIS_URL: testEnv().HMS_REDIS_URL,
  JWT_SECRET: secret,
  HTTP_PORT: '0',
  HTTP_HOST: '127.0.0.1',
  OPS_PORT: '0',
  LOG_LEVEL: 'silent',
  // Nothing listens there: every backend call fails as in an outage.
  APPOINTMENTS_GRPC_ADDRESS: '127.0.0.1:1',
  BILLING_GRPC_ADDRESS: '127.0.0.1:1',
  QUEUE_GRPC_ADDRESS: '127.0.0.1:1',
  AUDIT_GRPC_ADDRESS: '127.0.0.1:1',
  GRPC_DEADLINE_MS: '1000',
  ...overrides,
});

type Gateway = Awaited<ReturnType<typeof startGateway>>;
let gateway: Gateway;
let limited: Gateway;
let noRedis: Gateway;

async function tenant(status: 'ACTIVE' | 'SUSPENDED' = 'ACTIVE') {
  const id = newId();
  await gateway.prisma.tenant.create({ data: { id, name: `int ${id}`, status } });
  return {
    id,
    token: await signDevelopmentToken({ tenantId: id, userId: 'int-user' }, { secret, issuer: 'hms-dev', ttl: '10m' }),
  };
}

function request(
  g: Gateway,
  method: string,
  path: string,
  options: { token?: string; body?: string; headers?: Record<string, string> } = {},
) {
  return fetch(`http://127.0.0.1:${g.httpPort}${path}`, {
    method,
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
    body: options.body,
  });
}

const json = async (r: Response) => (await r.json()) as Record<string, unknown>;
const validBooking = () => JSON.stringify({ patientId: newId(), doctorId: newId(), startsAt: '2030-01-07T05:00:00Z' });

beforeAll(async () => {
  gateway = await startGateway(env(), { inProcess: true });
  limited = await startGateway(env({ RATE_LIMIT_PER_TENANT_PER_MINUTE: '3' }), { inProcess: true });
  noRedis = await startGateway(env({ RATE_LIMIT_PER_TENANT_PER_MINUTE: '3', REDIS_URL: 'redis://127.0.0.1:1' }), {
    inProcess: true,
  });
});

afterAll(async () => {
  for (const g of [gateway, limited, noRedis]) await g?.runtime.lifecycle.shutdown('test done');
});

describe('gateway', () => {
  it('wants a valid token for an existing, active tenant', async () => {
    const active = await tenant();
    const suspended = await tenant('SUSPENDED');
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 401],
      [{ authorization: 'Bearer not.a.token' }, 401],
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
    }
    // The tenant never comes from the URL: a tenant id in the query is just an unknown parameter.
    const r = await request(gateway, 'GET', `/api/v1/bills?tenantId=${suspended.id}`, { token: active.token });
    expect(r.status).toBe(400);
  });

  it('refuses bad input with 4xx problem+json naming the fields, before any backend call', async () => {
    const { token } = await tenant();
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
    expect(fields).toEqual(expect.arrayContaining(['patientId', 'doctorId', 'startsAt', 'reason', '(request)']));
    expect((await post('{}')).status).toBe(400);
    expect((await post('patientId=1', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect(
      (await post(validBooking(), { 'content-type': 'application/json', 'idempotency-key': 'with space' })).status,
    ).toBe(400);
    expect((await post(JSON.stringify({ reason: 'x'.repeat(2_000_000) }))).status).toBe(413);
    expect((await request(gateway, 'GET', '/api/v1/queues/not-a-uuid', { token })).status).toBe(400);
    expect((await request(gateway, 'GET', `/api/v1/queues/${newId()}?date=2030-02-30`, { token })).status).toBe(400);
    expect((await request(gateway, 'GET', '/api/v1/bills?limit=0', { token })).status).toBe(400);
    expect((await request(gateway, 'GET', '/api/v1/nothing-here', { token })).status).toBe(404);
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

  it("limits each tenant's requests, with standard headers, and keeps limiting without Redis", async () => {
    for (const g of [limited, noRedis]) {
      const a = await tenant();
      const b = await tenant();
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 5; i += 1) {
        last = await request(g, 'GET', '/api/v1/bills', { token: a.token });
        statuses.push(last.status);
      }
      // The backend is down (503) until the budget of 3 is spent (429).
      expect(statuses).toEqual([503, 503, 503, 429, 429]);
      expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(last!.headers.get('ratelimit-limit')).toBe('3');
      expect(last!.headers.get('ratelimit-remaining')).toBe('0');
      expect((await request(g, 'GET', '/api/v1/bills', { token: b.token })).status).toBe(503);
    }
  });

  it('exports request metrics by route template', async () => {
    const { token } = await tenant();
    await request(gateway, 'GET', `/api/v1/appointments/${newId()}`, { token });
    const text = await (await fetch(`http://127.0.0.1:${gateway.opsPort}/metrics`)).text();
    expect(text).toMatch(
      /hms_http_server_request_duration_seconds_count\{[^}]*route="\/api\/v1\/appointments\/:id"[^}]*status_code="503"/,
    );
    expect(text).not.toMatch(/route="\/api\/v1\/appointments\/[0-9a-f]{8}-/);
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
