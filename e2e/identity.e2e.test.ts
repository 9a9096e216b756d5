/**
 * Identity and tenancy through nginx, against the running services: users of
 * each built-in role sign in, refresh and sign out; a token of one tenant on
 * another tenant's ids finds nothing; bad credentials of every kind are 401s
 * (never a 500, never a hint); the plan's budgets and the booking class show
 * in IETF RateLimit headers and end in 429 with Retry-After; nginx cuts off
 * floods of malformed credentials before they reach a gateway.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { newId } from '@hms/platform';
import { eventually } from '@hms/platform/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiBase, call, newTenant, slot, type DemoTenant, type DemoUser } from './support/stack.js';

let a: DemoTenant;
let b: DemoTenant;

const userOf = (t: DemoTenant, role: string): DemoUser => {
  const user = t.users.find((u) => u.roles.includes(role));
  if (!user) throw new Error(`no ${role} in ${t.slug}`);
  return user;
};

async function signIn(t: DemoTenant, role: string) {
  const user = userOf(t, role);
  const r = await call('POST', '/auth/login', {
    body: { tenant: t.slug, username: user.username, password: user.password },
  });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return { accessToken: String(r.json.accessToken), refreshToken: String(r.json.refreshToken) };
}

beforeAll(async () => {
  [a, b] = await Promise.all([newTenant(undefined, { users: true }), newTenant(undefined, { users: true })]);
});

describe('identity through nginx', () => {
  it('signs each role in, gives it what its role allows, refreshes and signs out', async () => {
    const desk = await signIn(a, 'RECEPTIONIST');
    const booked = await call('POST', '/appointments', {
      token: desk.accessToken,
      headers: { 'idempotency-key': `e2e-${newId()}` },
      body: { patientId: a.patients[0]!.id, doctorId: a.nightDoctor.id, startsAt: slot(20) },
    });
    expect(booked.status).toBe(201);
    expect((await call('GET', `/audit?entityId=${newId()}`, { token: desk.accessToken })).status).toBe(403);
    const auditor = await signIn(a, 'AUDITOR');
    expect((await call('GET', `/audit?entityId=${newId()}`, { token: auditor.accessToken })).status).toBe(200);
    expect((await call('GET', '/admin/users', { token: auditor.accessToken })).status).toBe(403);
    const admin = await signIn(a, 'ADMIN');
    const users = await call('GET', '/admin/users', { token: admin.accessToken });
    expect(users.status).toBe(200);
    expect((users.json.data as unknown[]).length).toBe(a.users.length);

    const refreshed = await call('POST', '/auth/refresh', { body: { refreshToken: desk.refreshToken } });
    expect(refreshed.status).toBe(200);
    const again = await call('POST', '/auth/refresh', { body: { refreshToken: desk.refreshToken } });
    expect(again.status).toBe(401);
    // The reuse ended the session: the rotated pair is dead too.
    expect((await call('GET', `/appointments/${newId()}`, { token: String(refreshed.json.accessToken) })).status).toBe(
      401,
    );

    const out = await call('POST', '/auth/logout', { token: admin.accessToken });
    expect(out.status).toBe(204);
    expect((await call('GET', '/admin/users', { token: admin.accessToken })).status).toBe(401);

    const keys = await fetch(`${apiBase().replace(/\/api\/v1$/, '')}/.well-known/jwks.json`);
    expect(keys.status).toBe(200);
    expect(((await keys.json()) as { keys: unknown[] }).keys.length).toBeGreaterThanOrEqual(1);
  });

  it("finds nothing of another tenant's: every route naming an id answers 404, every filter is empty", async () => {
    const booked = await call('POST', '/appointments', {
      token: b.token,
      headers: { 'idempotency-key': `e2e-${newId()}` },
      body: { patientId: b.patients[0]!.id, doctorId: b.nightDoctor.id, startsAt: slot(21) },
    });
    expect(booked.status).toBe(201);
    const theirs = String((booked.json.appointment as { id: string }).id);
    const bAdmin = await signIn(b, 'ADMIN');
    const theirUser = (
      (await call('GET', '/admin/users', { token: bAdmin.accessToken })).json.data as { id: string }[]
    )[0]!.id;
    const theirKey = await call('POST', '/admin/api-keys', {
      token: bAdmin.accessToken,
      body: { name: 'b integration', permissions: ['appointments.read'] },
    });
    const theirKeyId = (theirKey.json.apiKey as { id: string }).id;
    // B's own see them.
    expect((await call('GET', `/appointments/${theirs}`, { token: b.token })).status).toBe(200);
    await eventually(
      async () =>
        ((await call('GET', `/bills?appointmentId=${theirs}`, { token: b.token })).json.data as unknown[]).length > 0,
      { what: "B's bill", timeoutMs: 30_000 },
    );

    const mine = await signIn(a, 'ADMIN');
    for (const token of [a.token, mine.accessToken]) {
      const matrix: [string, string, unknown?][] = [
        ['GET', `/appointments/${theirs}`],
        ['POST', `/appointments/${theirs}/check-in`],
        ['GET', `/admin/users/${theirUser}`],
        ['PATCH', `/admin/users/${theirUser}`, { displayName: 'taken over' }],
        ['DELETE', `/admin/api-keys/${theirKeyId}`],
      ];
      for (const [method, path, body] of matrix) {
        const r = await call(method, path, { token, ...(body ? { body } : {}) });
        expect(r.status, `${method} ${path}`).toBe(404);
        expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      for (const path of [`/bills?appointmentId=${theirs}`, `/audit?entityId=${theirs}`]) {
        const r = await call('GET', path, { token });
        expect(r.status, path).toBe(200);
        expect(r.json.data, path).toEqual([]);
      }
      const queue = await call('GET', `/queues/${b.nightDoctor.id}`, { token });
      expect(JSON.stringify(queue.json)).not.toContain(theirs);
    }
    // Nothing of B's changed.
    expect((await call('GET', `/appointments/${theirs}`, { token: b.token })).json.appointment).toMatchObject({
      status: 'booked',
    });
  });

  it('answers every bad credential with a 401 problem, never a 500 and never a hint', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const claims = { tid: a.tenantId, roles: ['ADMIN'], pv: 1, sid: newId() };
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: 'forged' })
      .setSubject(newId())
      .setIssuer('hms')
      .setAudience('hms-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })));
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, sub: newId(), iss: 'hms', aud: 'hms-api', exp: Math.floor(Date.now() / 1000) + 300 })}.`;
    const desk = await signIn(a, 'RECEPTIONIST');
    const [head, payload, signature] = desk.accessToken.split('.');
    const otherAudience = `${head}.${b64({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), aud: 'elsewhere' })}.${signature}`;
    for (const token of [forged, unsigned, otherAudience, `${desk.accessToken}x`, 'hmsk_0_0_0']) {
      const r = await call('GET', `/appointments/${newId()}`, { token });
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const wrong = await call('POST', '/auth/login', {
      body: { tenant: a.slug, username: "admin' OR '1'='1", password: "' OR 1=1; --" },
    });
    expect(wrong.status).toBe(401);
    const oversized = await call('GET', `/appointments/${newId()}`, {
      token: desk.accessToken,
      headers: { 'x-padding': 'x'.repeat(40_000) },
    });
    expect([400, 431, 494]).toContain(oversized.status);
  });

  it("shows the plan's budgets in RateLimit headers and holds a user to 10 bookings a minute", async () => {
    const small = await newTenant(undefined, { plan: 'FREE', rateLimitMultiplier: 1, users: true });
    const desk = await signIn(small, 'RECEPTIONIST');
    const first = await call('GET', `/appointments/${newId()}`, { token: desk.accessToken });
    expect(first.status).toBe(404);
    expect(first.headers.get('ratelimit-policy')).toMatch(/"tenant";q=500;w=900/);
    expect(first.headers.get('ratelimit-policy')).toMatch(/"user";q=250;w=900/);
    expect(first.headers.get('ratelimit')).toMatch(/"tenant";r=\d+;t=\d+/);
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 11 && !refused; i++) {
      const r = await call('POST', '/appointments', {
        token: desk.accessToken,
        headers: { 'idempotency-key': `e2e-${newId()}` },
        body: { patientId: small.patients[0]!.id, doctorId: small.nightDoctor.id, startsAt: slot(30 + i) },
      });
      if (r.status === 429) refused = r;
      else expect(r.status).toBe(201);
    }
    expect(refused).toBeDefined();
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused!.json.type).toBe('urn:hms:problem:rate-limited');
    // Another user of the tenant still books: the class is per user.
    const other = await signIn(small, 'ADMIN');
    const theirs = await call('POST', '/appointments', {
      token: other.accessToken,
      headers: { 'idempotency-key': `e2e-${newId()}` },
      body: { patientId: small.patients[0]!.id, doctorId: small.nightDoctor.id, startsAt: slot(45) },
    });
    expect(theirs.status).toBe(201);
  });

  it('lets nginx cut off a flood of malformed credentials before any gateway', async () => {
    let edge: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 60 && !edge; i++) {
      const r = await call('GET', `/appointments/${newId()}`, { headers: { authorization: `Bearer %%${i}` } });
      if (r.status === 429) edge = r;
      else expect(r.status).toBe(401);
    }
    expect(edge).toBeDefined();
    expect(edge!.headers.get('retry-after')).toBe('1');
    expect(edge!.json.type).toBe('urn:hms:problem:rate-limited');
  });
});
