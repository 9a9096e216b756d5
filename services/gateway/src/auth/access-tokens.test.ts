import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAccessTokens, InvalidAccessToken, type AccessTokenOptions } from './access-tokens.js';

const t0 = Date.parse('2030-01-07T05:00:00Z');
const pair = () => generateKeyPairSync('ed25519');
const current = pair();
const claims = {
  tenantId: '01900000-0000-7000-8000-0000000000aa',
  userId: '01900000-0000-7000-8000-0000000000bb',
  roles: ['RECEPTIONIST'],
  permissionsVersion: 3,
  sessionId: '01900000-0000-7000-8000-0000000000cc',
};

function tokensAt(clock: { now: number }, overrides: Partial<AccessTokenOptions> = {}) {
  return createAccessTokens({
    privateKey: current.privateKey,
    extraPublicKeys: [],
    issuer: 'hms',
    audience: 'hms-api',
    ttlSeconds: 900,
    clockSkewSeconds: 30,
    now: () => clock.now,
    ...overrides,
  });
}

async function refusal(promise: Promise<unknown>): Promise<InvalidAccessToken> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidAccessToken);
  return error as InvalidAccessToken;
}

describe('access tokens', () => {
  it('carry tenant, user, roles, permissions version and session for 15 minutes, EdDSA with a key id', async () => {
    const clock = { now: t0 };
    const tokens = tokensAt(clock);
    const { token, expiresAt } = await tokens.sign(claims);
    expect(expiresAt.getTime()).toBe(t0 + 900_000);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt', kid: expect.any(String) });
    expect(decodeJwt(token)).toMatchObject({
      iss: 'hms',
      aud: 'hms-api',
      sub: claims.userId,
      tid: claims.tenantId,
      roles: claims.roles,
      pv: 3,
      sid: claims.sessionId,
    });
    expect(await tokens.verify(token)).toEqual({ ...claims, expiresAt: t0 + 900_000 });
  });

  it('are refused when expired (beyond the skew), from the future, forged, unsigned, or for another audience or issuer', async () => {
    const clock = { now: t0 };
    const tokens = tokensAt(clock);
    const { token } = await tokens.sign(claims);
    clock.now = t0 + 900_000 + 29_000;
    expect(await tokens.verify(token)).toMatchObject({ userId: claims.userId });
    clock.now = t0 + 900_000 + 31_000;
    expect((await refusal(tokens.verify(token))).reason).toBe('expired');

    clock.now = t0;
    const fromTheFuture = await tokensAt({ now: t0 + 120_000 }).sign(claims);
    expect((await refusal(tokens.verify(fromTheFuture.token))).reason).toBe('invalid');

    const forged = await createAccessTokens({
      privateKey: pair().privateKey,
      extraPublicKeys: [],
      issuer: 'hms',
      audience: 'hms-api',
      ttlSeconds: 900,
      clockSkewSeconds: 30,
      now: () => t0,
    }).sign(claims);
    expect((await refusal(tokens.verify(forged.token))).reason).toBe('invalid');

    const none = new UnsecuredJWT({ tid: claims.tenantId, sid: claims.sessionId, roles: [], pv: 1 })
      .setIssuer('hms')
      .setAudience('hms-api')
      .setSubject(claims.userId)
      .setIssuedAt(t0 / 1000)
      .setExpirationTime(t0 / 1000 + 60)
      .encode();
    expect((await refusal(tokens.verify(none))).reason).toBe('invalid');

    for (const other of [{ audience: 'someone-else' }, { issuer: 'someone-else' }]) {
      const foreign = await tokensAt(clock, other).sign(claims);
      expect((await refusal(tokens.verify(foreign.token))).reason).toBe('invalid');
    }
    // An HS256 token made with the public key as its secret (the classic algorithm confusion).
    const confused = await new SignJWT({ tid: claims.tenantId, sid: claims.sessionId, roles: [], pv: 1 })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer('hms')
      .setAudience('hms-api')
      .setSubject(claims.userId)
      .setIssuedAt(t0 / 1000)
      .setExpirationTime(t0 / 1000 + 60)
      .sign(current.publicKey.export({ format: 'der', type: 'spki' }));
    expect((await refusal(tokens.verify(confused))).reason).toBe('invalid');
    expect((await refusal(tokens.verify('not.a.token'))).reason).toBe('invalid');
  });

  it('rotate without signing anyone out: the new key accepts the old one, and both are published', async () => {
    const clock = { now: t0 };
    const before = tokensAt(clock);
    const next = pair();
    // Step 1 of a rotation: every gateway accepts the next key while still signing with the current one.
    const during = tokensAt(clock, { extraPublicKeys: [next.publicKey] });
    // Step 2: gateways sign with the next key and still accept the previous one.
    const after = tokensAt(clock, { privateKey: next.privateKey, extraPublicKeys: [current.publicKey] });
    const old = await before.sign(claims);
    const fresh = await after.sign(claims);
    expect(await after.verify(old.token)).toMatchObject({ userId: claims.userId });
    expect(await during.verify(fresh.token)).toMatchObject({ userId: claims.userId });
    expect((await refusal(before.verify(fresh.token))).reason).toBe('invalid');
    const { keys } = await after.jwks();
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(keys.map((k) => k.kid)).toContain(decodeProtectedHeader(old.token).kid);
    expect(keys.map((k) => k.kid)).toContain(decodeProtectedHeader(fresh.token).kid);
    expect(JSON.stringify(keys)).not.toMatch(/"d"/);
  });
});
