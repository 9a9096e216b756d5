/**
 * Identity through the gateway's REST API, against the test stack's real
 * PostgreSQL and Redis: signing in (and refusals that say nothing about what
 * was wrong), refresh-token rotation and the revocation of a reused token's
 * session, logout, the public keys of a rotation, API keys, development tokens
 * outside development, brute-force limits with lockout, roles and their
 * permissions (changes reach a second gateway within 1 s), tenant suspension
 * and plan changes, and quotas at creation. Every sign-in outcome must reach
 * the trail: it is written to the gateway's outbox with the change.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import pg from 'pg';
import { newId } from '@hms/platform';
import { newTestKeys, serviceDatabaseUrl } from '@hms/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gatewayEnv,
  json,
  makeTenant,
  makeUser,
  ownerPrisma,
  request,
  signIn,
  startTestGateway,
  within,
  type Gateway,
} from './testing/harness.js';
import { startGateway } from './main.js';

const prisma = ownerPrisma();
const pool = new pg.Pool({ connectionString: serviceDatabaseUrl('gateway'), max: 2 });
let g1: Gateway;
let g2: Gateway;

/** Each call a new client address (the gateways trust the loopback proxy's X-Forwarded-For, as behind nginx). */
let lastAddress = 0;
const freshAddress = () => {
  lastAddress += 1;
  return { 'x-forwarded-for': `198.51.100.${lastAddress % 250}` };
};

async function login(g: Gateway, tenant: string, username: string, password: string, headers = freshAddress()) {
  return request(g, 'POST', '/api/v1/auth/login', { body: { tenant, username, password }, headers });
}

/** The events of a tenant written to the gateway's outbox (what the relay publishes to the trail). */
async function eventsOf(tenantId: string): Promise<string[]> {
  const { rows } = await pool.query<{ event_type: string }>(
    'SELECT event_type FROM identity_messaging.outbox WHERE tenant_id = $1 ORDER BY id',
    [tenantId],
  );
  return rows.map((r) => r.event_type);
}

/** Tenants this file made the platform tenant (there is one per deployment): made ordinary again at the end. */
const madePlatform: string[] = [];

/** The platform tenant (one per deployment), with an operator who may manage tenants. */
async function platformOperator() {
  let platform = await prisma.tenant.findFirst({ where: { isPlatform: true } });
  if (!platform) {
    const t = await makeTenant(prisma, { plan: 'ENTERPRISE' });
    platform = await prisma.tenant.update({ where: { id: t.id }, data: { isPlatform: true } });
    madePlatform.push(t.id);
  }
  const operator = await makeUser(prisma, platform.id, ['PLATFORM_ADMIN']);
  return { slug: platform.slug, operator };
}

beforeAll(async () => {
  [g1, g2] = await Promise.all([startTestGateway(), startTestGateway()]);
});

afterAll(async () => {
  await Promise.all([g1?.runtime.close('test done'), g2?.runtime.close('test done')]);
  // The stack's own seed makes its platform tenant later (scripts/hms seed).
  await prisma.tenant.updateMany({ where: { id: { in: madePlatform } }, data: { isPlatform: false } });
  await prisma.$disconnect();
  await pool.end();
});

describe('signing in', () => {
  it('gives an access and a refresh token for a username or an e-mail, and says nothing of what was wrong', async () => {
    const t = await makeTenant(prisma, { plan: 'ENTERPRISE' });
    const suspended = await makeTenant(prisma, { status: 'SUSPENDED' });
    const user = await makeUser(prisma, t.id, ['ADMIN'], { email: `a-${newId()}@example.org` });
    const other = await makeUser(prisma, suspended.id, ['ADMIN']);

    const ok = await login(g1, t.slug, user.username, user.password);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const body = await json(ok);
    expect(body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { id: user.id, roles: ['ADMIN'] } });
    const users = await request(g2, 'GET', '/api/v1/admin/users', { token: String(body.accessToken) });
    expect(users.status).toBe(200);

    const byEmail = await request(g1, 'POST', '/api/v1/auth/login', {
      body: {
        tenant: t.id,
        email: (await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).email,
        password: user.password,
      },
      headers: freshAddress(),
    });
    expect(byEmail.status).toBe(200);

    const refusals = [
      await login(g1, t.slug, user.username, `${user.password}x`),
      await login(g1, t.slug, 'nobody-here', user.password),
      await login(g1, `no-such-${newId().slice(-8)}`, user.username, user.password),
      await login(g1, suspended.slug, other.username, other.password),
      await login(g1, t.slug, `${user.username}' OR '1'='1`, "' OR 1=1 --"),
    ];
    const bodies = [];
    for (const r of refusals) {
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const { instance: _i, requestId: _r, ...rest } = await json(r);
      bodies.push(rest);
    }
    // One answer for every reason.
    for (const b of bodies) expect(b).toEqual(bodies[0]);
    expect(bodies[0]).toMatchObject({ type: 'urn:hms:problem:invalid-credentials', status: 401 });

    const events = await eventsOf(t.id);
    expect(events.filter((e) => e === 'auth.login_succeeded')).toHaveLength(2);
    expect(events.filter((e) => e === 'auth.login_failed')).toHaveLength(3);
    expect(await eventsOf(suspended.id)).toContain('auth.login_failed');
  });

  it('rotates the refresh token, and a reused one ends the whole session', async () => {
    const t = await makeTenant(prisma);
    const user = await makeUser(prisma, t.id, ['ADMIN']);
    const first = await signIn(g1, t.slug, user, freshAddress());
    const refresh = (g: Gateway, token: string) =>
      request(g, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: token } });

    const rotated = await refresh(g1, first.refreshToken);
    expect(rotated.status).toBe(200);
    const second = await json(rotated);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await request(g2, 'GET', '/api/v1/admin/users', { token: String(second.accessToken) })).status).toBe(200);

    // The spent token again: someone holds a copy. The session ends, with every token of it.
    const reused = await refresh(g2, first.refreshToken);
    expect(reused.status).toBe(401);
    expect(String((await json(reused)).detail)).toMatch(/used already/);
    expect((await refresh(g1, String(second.refreshToken))).status).toBe(401);
    for (const g of [g1, g2]) {
      for (const token of [first.accessToken, String(second.accessToken)]) {
        const r = await request(g, 'GET', '/api/v1/admin/users', { token });
        expect(r.status).toBe(401);
      }
    }
    const events = await eventsOf(t.id);
    expect(events).toContain('auth.refresh_token_reused');
    expect(events).toContain('auth.session_ended');
    // Garbage is simply not a refresh token.
    for (const bad of ['x', `rt.${t.id}.${newId()}.AAAA`, "'; DROP TABLE identity.users; --"]) {
      expect((await refresh(g1, bad)).status).toBe(401);
    }
  });

  it('signs out with the refresh token or with the access token, on every gateway', async () => {
    const t = await makeTenant(prisma);
    const user = await makeUser(prisma, t.id, ['ADMIN']);
    const a = await signIn(g1, t.slug, user, freshAddress());
    const b = await signIn(g1, t.slug, user, freshAddress());
    // Warm both gateways' caches with the sessions first.
    for (const s of [a, b]) {
      expect((await request(g2, 'GET', '/api/v1/admin/users', { token: s.accessToken })).status).toBe(200);
    }
    const out = await request(g1, 'POST', '/api/v1/auth/logout', { body: { refreshToken: a.refreshToken } });
    expect(out.status).toBe(204);
    const outWithAccess = await request(g1, 'POST', '/api/v1/auth/logout', { token: b.accessToken });
    expect(outWithAccess.status).toBe(204);
    for (const s of [a, b]) {
      await within(1_000, async () => {
        const r = await request(g2, 'GET', '/api/v1/admin/users', { token: s.accessToken });
        return r.status === 401;
      });
      const r = await request(g1, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } });
      expect(r.status).toBe(401);
    }
    // Neither credential: a 401 problem, not a 500.
    expect((await request(g1, 'POST', '/api/v1/auth/logout', { body: {} })).status).toBe(401);
  });
});

describe('access tokens and keys', () => {
  it('publish two keys during a rotation, so tokens of the old key keep working', async () => {
    const t = await makeTenant(prisma);
    const user = await makeUser(prisma, t.id, ['ADMIN']);
    const before = await signIn(g1, t.slug, user, freshAddress());
    const oldKeys = await json(await request(g1, 'GET', '/.well-known/jwks.json'));
    expect(oldKeys.keys).toHaveLength(1);
    const next = newTestKeys();
    const previousPublic = createPublicKey(
      createPrivateKey({
        key: Buffer.from(gatewayEnv().ACCESS_TOKEN_PRIVATE_KEY!, 'base64'),
        format: 'der',
        type: 'pkcs8',
      }),
    )
      .export({ format: 'der', type: 'spki' })
      .toString('base64');
    const rotated = await startTestGateway({
      ACCESS_TOKEN_PRIVATE_KEY: next.privateKeyText,
      ACCESS_TOKEN_PUBLIC_KEYS: previousPublic,
    });
    const afterOnly = await startTestGateway({ ACCESS_TOKEN_PRIVATE_KEY: next.privateKeyText });
    try {
      const published = (await json(await request(rotated, 'GET', '/.well-known/jwks.json'))).keys as {
        kid: string;
        alg: string;
        kty: string;
        d?: string;
      }[];
      expect(published).toHaveLength(2);
      expect(new Set(published.map((k) => k.kid)).size).toBe(2);
      for (const k of published) {
        expect(k).toMatchObject({ alg: 'EdDSA', kty: 'OKP' });
        expect(k.d).toBeUndefined();
      }
      expect(published.map((k) => k.kid)).toContain((oldKeys.keys as { kid: string }[])[0]!.kid);
      // A token of the old key still works on the rotated gateway: nobody is signed out.
      expect((await request(rotated, 'GET', '/api/v1/admin/users', { token: before.accessToken })).status).toBe(200);
      const after = await signIn(rotated, t.slug, user, freshAddress());
      expect((await request(rotated, 'GET', '/api/v1/admin/users', { token: after.accessToken })).status).toBe(200);
      // Once the old key is no longer published, its tokens are refused.
      expect((await request(afterOnly, 'GET', '/api/v1/admin/users', { token: before.accessToken })).status).toBe(401);
      expect((await request(afterOnly, 'GET', '/api/v1/admin/users', { token: after.accessToken })).status).toBe(200);
    } finally {
      await Promise.all([rotated.runtime.close('test done'), afterOnly.runtime.close('test done')]);
    }
  });

  it('make API keys shown once, kept as a keyed hash, scoped, revocable everywhere, with their last use', async () => {
    const t = await makeTenant(prisma);
    const admin = await makeUser(prisma, t.id, ['ADMIN']);
    const { accessToken } = await signIn(g1, t.slug, admin, freshAddress());
    const created = await request(g1, 'POST', '/api/v1/admin/api-keys', {
      token: accessToken,
      body: { name: 'lab integration', permissions: ['appointments.read'] },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const { apiKey, key } = (await json(created)) as { apiKey: { id: string; lastUsedAt: null }; key: string };
    expect(key).toMatch(/^hmsk_/);
    expect(apiKey.lastUsedAt).toBeNull();

    const row = await prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(Buffer.from(row.keyHash).toString('utf8')).not.toContain(key.slice(5, 20));
    expect(Buffer.from(row.keyHash)).toHaveLength(32);
    const listed = await request(g1, 'GET', '/api/v1/admin/api-keys', { token: accessToken });
    expect(JSON.stringify(await json(listed))).not.toContain(key);

    // Within its scope (the backend is down: 503 means the permission passed), and not beyond.
    expect((await request(g2, 'GET', `/api/v1/appointments/${newId()}`, { token: key })).status).toBe(503);
    const beyond = await request(g2, 'GET', '/api/v1/admin/users', { token: key });
    expect(beyond.status).toBe(403);
    expect(String((await json(beyond)).detail)).toContain('users.manage');
    // A key cannot grant what its creator does not have, nor what does not exist.
    const tooMuch = await request(g1, 'POST', '/api/v1/admin/api-keys', {
      token: accessToken,
      body: { name: 'x', permissions: ['platform.tenants.manage'] },
    });
    expect([400, 403]).toContain(tooMuch.status);
    const wrong = await request(g1, 'POST', '/api/v1/admin/api-keys', {
      token: accessToken,
      body: { name: 'x', permissions: ['everything'] },
    });
    expect(wrong.status).toBe(400);

    await g2.apiKeyUsage.flush();
    const used = await prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(used.lastUsedAt).not.toBeNull();

    const revoked = await request(g1, 'DELETE', `/api/v1/admin/api-keys/${apiKey.id}`, { token: accessToken });
    expect(revoked.status).toBe(200);
    await within(1_000, async () => {
      const r = await request(g2, 'GET', `/api/v1/appointments/${newId()}`, { token: key });
      return r.status === 401;
    });
    // A forged key of the same shape is just not valid.
    const forged = `${key.slice(0, -4)}AAAA`;
    expect((await request(g1, 'GET', `/api/v1/appointments/${newId()}`, { token: forged })).status).toBe(401);
  });

  it('refuses development tokens outside the dev and test profiles', async () => {
    const t = await makeTenant(prisma);
    const user = await makeUser(prisma, t.id, ['ADMIN']);
    const env = gatewayEnv({ DEPLOYMENT_PROFILE: 'staging' });
    delete env.JWT_SECRET;
    const staging = await startGateway(env, { inProcess: true });
    try {
      const dev = await request(staging, 'GET', '/api/v1/admin/users', { token: t.devToken });
      expect(dev.status).toBe(401);
      expect((await request(g1, 'GET', '/api/v1/admin/users', { token: t.devToken })).status).toBe(200);
      const { accessToken } = await signIn(staging, t.slug, user, freshAddress());
      expect((await request(staging, 'GET', '/api/v1/admin/users', { token: accessToken })).status).toBe(200);
    } finally {
      await staging.runtime.close('test done');
    }
  });
});

describe('brute force', () => {
  it('allows 5 attempts per account and address in 15 minutes, then 429 with Retry-After', async () => {
    const t = await makeTenant(prisma);
    const user = await makeUser(prisma, t.id, ['RECEPTIONIST']);
    const from = freshAddress();
    for (let i = 0; i < 5; i++) expect((await login(g1, t.slug, user.username, 'wrong', from)).status).toBe(401);
    // The sixth, even with the right password, from the same address, on another gateway.
    const sixth = await login(g2, t.slug, user.username, user.password, from);
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await json(sixth)).type).toBe('urn:hms:problem:too-many-attempts');
    const events = await eventsOf(t.id);
    expect(events.filter((e) => e === 'auth.login_failed')).toHaveLength(6);
  });

  it('locks an account after too many failures from anywhere, with a clear problem, on the trail', async () => {
    const t = await makeTenant(prisma);
    const user = await makeUser(prisma, t.id, ['RECEPTIONIST']);
    let locked: Response | undefined;
    for (let i = 0; i < 30 && !locked; i++) {
      const r = await login(i % 2 ? g1 : g2, t.slug, user.username, `wrong-${i}`);
      if (r.status === 429) locked = r;
      else expect(r.status).toBe(401);
    }
    expect(locked).toBeDefined();
    expect((await json(locked!)).type).toBe('urn:hms:problem:account-locked');
    // The right password from a new address: still locked.
    const right = await login(g1, t.slug, user.username, user.password);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    // An account that does not exist locks the same way (nothing tells which accounts exist).
    let ghost: Response | undefined;
    for (let i = 0; i < 30 && !ghost; i++) {
      const r = await login(g1, t.slug, 'ghost-account', `wrong-${i}`);
      if (r.status === 429) ghost = r;
    }
    expect((await json(ghost!)).type).toBe('urn:hms:problem:account-locked');
    expect((await eventsOf(t.id)).filter((e) => e === 'auth.login_failed').length).toBeGreaterThan(10);
  });

  it('cuts off an address that floods invalid tokens, before checking signatures', async () => {
    const from = freshAddress();
    let cut: Response | undefined;
    for (let i = 0; i < 200 && !cut; i++) {
      const r = await request(g1, 'GET', `/api/v1/appointments/${newId()}`, {
        headers: { ...from, authorization: `Bearer not.a.token${i}` },
      });
      if (r.status === 429) cut = r;
      else expect(r.status).toBe(401);
    }
    expect(cut).toBeDefined();
    expect(Number(cut!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('roles and permissions', () => {
  it('hold each role to its permissions, and a revoked one stops on every gateway within 1 s', async () => {
    const t = await makeTenant(prisma);
    const admin = await makeUser(prisma, t.id, ['ADMIN']);
    const receptionist = await makeUser(prisma, t.id, ['RECEPTIONIST']);
    const { accessToken: adminToken } = await signIn(g1, t.slug, admin, freshAddress());
    const { accessToken: desk } = await signIn(g1, t.slug, receptionist, freshAddress());
    const refused = await request(g1, 'GET', '/api/v1/admin/users', { token: desk });
    expect(refused.status).toBe(403);
    expect(String((await json(refused)).detail)).toContain('users.manage');
    expect((await request(g1, 'GET', '/api/v1/audit', { token: desk })).status).toBe(403);

    // A tenant's own role from the permission list, and a user holding it.
    const role = await request(g1, 'PUT', '/api/v1/admin/roles/USER_KEEPER', {
      token: adminToken,
      body: { description: 'keeps the user list', permissions: ['users.manage'] },
    });
    expect(role.status).toBe(200);
    const unknown = await request(g1, 'PUT', '/api/v1/admin/roles/BAD_ROLE', {
      token: adminToken,
      body: { permissions: ['platform.tenants.manage'] },
    });
    expect(unknown.status).toBe(400);
    const keeper = await request(g1, 'POST', '/api/v1/admin/users', {
      token: adminToken,
      body: { username: `keeper${newId().slice(-6)}`, password: 'a long enough password 1', roles: ['USER_KEEPER'] },
    });
    expect(keeper.status).toBe(201);
    const keeperName = ((await json(keeper)).user as { username: string }).username;
    const { accessToken: keeperToken } = await signIn(
      g1,
      t.slug,
      { username: keeperName, password: 'a long enough password 1' },
      freshAddress(),
    );
    expect((await request(g2, 'GET', '/api/v1/admin/users', { token: keeperToken })).status).toBe(200);

    // The role loses the permission on g1; g2, warm, must stop honouring it within 1 s.
    const changed = await request(g1, 'PUT', '/api/v1/admin/roles/USER_KEEPER', {
      token: adminToken,
      body: { permissions: ['tenant.read'] },
    });
    expect(changed.status).toBe(200);
    const tookMs = await within(1_000, async () => {
      const r = await request(g2, 'GET', '/api/v1/admin/users', { token: keeperToken });
      return r.status === 403;
    });
    expect(tookMs).toBeLessThanOrEqual(1_000);

    // Taking a built-in role from a user works the same way (by another administrator: not oneself).
    const second = await makeUser(prisma, t.id, ['ADMIN']);
    const { accessToken: desk2 } = await signIn(g1, t.slug, second, freshAddress());
    expect((await request(g2, 'GET', '/api/v1/admin/users', { token: desk2 })).status).toBe(200);
    const self = await request(g1, 'PATCH', `/api/v1/admin/users/${admin.id}`, {
      token: adminToken,
      body: { roles: ['RECEPTIONIST'] },
    });
    expect(self.status).toBe(422);
    const demoted = await request(g1, 'PATCH', `/api/v1/admin/users/${second.id}`, {
      token: adminToken,
      body: { roles: ['RECEPTIONIST'] },
    });
    expect(demoted.status).toBe(200);
    await within(1_000, async () => {
      const r = await request(g2, 'GET', '/api/v1/admin/users', { token: desk2 });
      return r.status === 403;
    });
  });

  it('enforce the quota of users at creation with a 403 naming it', async () => {
    const t = await makeTenant(prisma, { plan: 'FREE' });
    const admin = await makeUser(prisma, t.id, ['ADMIN']);
    for (let i = 0; i < 4; i++) await makeUser(prisma, t.id, ['NURSE']);
    const { accessToken } = await signIn(g1, t.slug, admin, freshAddress());
    const r = await request(g1, 'POST', '/api/v1/admin/users', {
      token: accessToken,
      body: { username: `sixth${newId().slice(-6)}`, password: 'a long enough password 1', roles: ['NURSE'] },
    });
    expect(r.status).toBe(403);
    const body = await json(r);
    expect(body.type).toBe('urn:hms:problem:quota-exceeded');
    expect(String(body.detail)).toContain('users');
    expect(await prisma.user.count({ where: { tenantId: t.id } })).toBe(5);
  });
});

describe('tenants', () => {
  it('are created, re-planned and suspended by platform operators only, on every gateway within 1 s', async () => {
    const { slug: platformSlug, operator } = await platformOperator();
    const { accessToken: op } = await signIn(g1, platformSlug, operator, freshAddress());
    const slug = `clinic-${newId().slice(-10)}`;
    const created = await request(g1, 'POST', '/api/v1/admin/tenants', {
      token: op,
      body: {
        name: `Clinic ${slug}`,
        slug,
        plan: 'FREE',
        admin: { username: 'chief', password: 'a long enough password 1' },
      },
    });
    expect(created.status).toBe(201);
    const tenantId = ((await json(created)).tenant as { id: string }).id;
    const chief = await signIn(g1, slug, { username: 'chief', password: 'a long enough password 1' }, freshAddress());
    // A tenant's admin is no platform operator.
    expect((await request(g1, 'GET', '/api/v1/admin/tenants', { token: chief.accessToken })).status).toBe(403);

    const policyOf = async () => {
      const r = await request(g2, 'GET', '/api/v1/admin/users', { token: chief.accessToken });
      expect(r.status).toBe(200);
      return r.headers.get('ratelimit-policy') ?? '';
    };
    expect(await policyOf()).toContain('"tenant";q=500;');
    const replanned = await request(g1, 'PATCH', `/api/v1/admin/tenants/${tenantId}`, {
      token: op,
      body: { plan: 'PRO' },
    });
    expect(replanned.status).toBe(200);
    await within(1_000, async () => (await policyOf()).includes('"tenant";q=5000;'));

    const suspended = await request(g1, 'PATCH', `/api/v1/admin/tenants/${tenantId}`, {
      token: op,
      body: { status: 'suspended' },
    });
    expect(suspended.status).toBe(200);
    await within(1_000, async () => {
      const r = await request(g2, 'GET', '/api/v1/admin/users', { token: chief.accessToken });
      return r.status === 403;
    });
    expect((await login(g1, slug, 'chief', 'a long enough password 1')).status).toBe(401);
    expect((await request(g1, 'GET', `/api/v1/admin/tenants/${newId()}`, { token: op })).status).toBe(404);
  });
});
