import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../errors.js';
import { newId } from '../ids.js';
import {
  audienceOf,
  createInternalTokenSigner,
  createInternalTokenVerifier,
  keyIdOf,
  parsePrivateKey,
  parsePublicKey,
} from './internal-token.js';

const pair = () => generateKeyPairSync('ed25519');
const gatewayKeys = pair();
const identity = {
  tenantId: newId(),
  userId: 'reception-1',
  roles: ['RECEPTIONIST'],
  permissions: ['appointments.book', 'appointments.read'],
  quotas: { appointmentsPerMonth: 500 },
};
const t0 = Date.parse('2030-01-07T05:00:00Z');

function signerAt(clock: { now: number }, privateKey = gatewayKeys.privateKey) {
  return createInternalTokenSigner({ privateKey, ttlSeconds: 60, now: () => clock.now });
}
function verifierAt(clock: { now: number }, publicKeys = [gatewayKeys.publicKey], audience = audienceOf('billing')) {
  return createInternalTokenVerifier({ audience, publicKeys, clockToleranceSeconds: 5, now: () => clock.now });
}
async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthenticatedError);
  return (error as Error).message;
}

describe('internal tokens', () => {
  it('carry tenant, user, roles, permissions and quotas to the service they are for, and nothing more', async () => {
    const clock = { now: t0 };
    const token = await signerAt(clock).tokenFor(audienceOf('billing'), identity);
    expect(await verifierAt(clock).verify(token)).toEqual(identity);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'hms-gateway',
      aud: 'hms-billing',
      tid: identity.tenantId,
      sub: 'reception-1',
      perms: ['appointments.book', 'appointments.read'],
      quota: { appointmentsPerMonth: 500 },
    });
    expect(claims.exp! - claims.iat!).toBe(60);
    // No quota claim when the plan has none; a token whose permissions are not a list of names is refused.
    const unlimited = await signerAt(clock).tokenFor(audienceOf('billing'), { ...identity, quotas: undefined });
    expect(decodeJwt(unlimited)).not.toHaveProperty('quota');
    const malformed = await new SignJWT({ tid: identity.tenantId, perms: 'everything' })
      .setProtectedHeader({ alg: 'EdDSA', kid: await keyIdOf(gatewayKeys.publicKey) })
      .setIssuer('hms-gateway')
      .setAudience('hms-billing')
      .setIssuedAt(t0 / 1000)
      .setExpirationTime(t0 / 1000 + 60)
      .sign(gatewayKeys.privateKey);
    expect(await refusal(verifierAt(clock).verify(malformed))).toMatch(/perms/);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: await keyIdOf(gatewayKeys.publicKey) });
  });

  it('are refused when missing, for another service, expired, forged or unsigned', async () => {
    const clock = { now: t0 };
    const signer = signerAt(clock);
    const verifier = verifierAt(clock);
    expect(await refusal(verifier.verify(undefined))).toMatch(/required/);
    expect(await refusal(verifier.verify('not.a.token'))).toMatch(/not valid/);

    const forQueue = await signer.tokenFor(audienceOf('queue'), identity);
    expect(await refusal(verifier.verify(forQueue))).toMatch(/claim aud/);

    const forged = await signerAt(clock, pair().privateKey).tokenFor(audienceOf('billing'), identity);
    expect(await refusal(verifier.verify(forged))).toMatch(/unknown key/);

    // A forger who copies the real key id still fails the signature.
    const kid = await keyIdOf(gatewayKeys.publicKey);
    const copiedKid = await new SignJWT({ tid: identity.tenantId, roles: [] })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setIssuer('hms-gateway')
      .setAudience('hms-billing')
      .setIssuedAt(t0 / 1000)
      .setExpirationTime(t0 / 1000 + 60)
      .sign(pair().privateKey);
    expect(await refusal(verifier.verify(copiedKid))).toMatch(/bad signature/);

    const unsigned = new UnsecuredJWT({ tid: identity.tenantId, roles: [] })
      .setIssuer('hms-gateway')
      .setAudience('hms-billing')
      .setIssuedAt(t0 / 1000)
      .setExpirationTime(t0 / 1000 + 60)
      .encode();
    expect(await refusal(verifier.verify(unsigned))).toMatch(/not valid/);

    const token = await signer.tokenFor(audienceOf('billing'), identity);
    clock.now = t0 + 64_000; // 4 s past expiry: within the 5 s of tolerated clock skew
    expect(await verifier.verify(token)).toEqual(identity);
    clock.now = t0 + 66_000;
    expect(await refusal(verifier.verify(token))).toMatch(/expired/);
    // A verifier that never saw the token comes to the same answer.
    expect(await refusal(verifierAt(clock).verify(token))).toMatch(/expired/);
  });

  it('refuse another issuer, a token without a tenant, and one issued too long ago', async () => {
    const clock = { now: t0 };
    const base = () =>
      new SignJWT({ tid: identity.tenantId, roles: [] })
        .setAudience('hms-billing')
        .setIssuedAt(t0 / 1000)
        .setExpirationTime(t0 / 1000 + 60);
    const kid = await keyIdOf(gatewayKeys.publicKey);
    const sign = (jwt: SignJWT) => jwt.setProtectedHeader({ alg: 'EdDSA', kid }).sign(gatewayKeys.privateKey);
    const verifier = verifierAt(clock);
    expect(await refusal(verifier.verify(await sign(base().setIssuer('someone-else'))))).toMatch(/claim iss/);
    const noTenant = new SignJWT({ roles: [] })
      .setIssuer('hms-gateway')
      .setAudience('hms-billing')
      .setIssuedAt(t0 / 1000)
      .setExpirationTime(t0 / 1000 + 60);
    expect(await refusal(verifier.verify(await sign(noTenant)))).toMatch(/tid/);
    const ancient = base()
      .setIssuer('hms-gateway')
      .setIssuedAt(t0 / 1000 - 3_600)
      .setExpirationTime(t0 / 1000 + 60);
    expect(await refusal(verifier.verify(await sign(ancient)))).toMatch(/expired/);
  });

  it('are reused for half their life, then renewed', async () => {
    const clock = { now: t0 };
    const signer = signerAt(clock);
    const first = await signer.tokenFor(audienceOf('billing'), identity);
    clock.now = t0 + 29_000;
    expect(await signer.tokenFor(audienceOf('billing'), identity)).toBe(first);
    expect(await signer.tokenFor(audienceOf('queue'), identity)).not.toBe(first);
    expect(await signer.tokenFor(audienceOf('billing'), { ...identity, userId: 'other' })).not.toBe(first);
    clock.now = t0 + 31_000;
    const renewed = await signer.tokenFor(audienceOf('billing'), identity);
    expect(renewed).not.toBe(first);
    expect(decodeJwt(renewed).iat).toBe(t0 / 1000 + 31);
  });

  it('verify with either of two public keys while keys rotate', async () => {
    const clock = { now: t0 };
    const next = pair();
    const verifier = verifierAt(clock, [gatewayKeys.publicKey, next.publicKey]);
    const old = await signerAt(clock).tokenFor(audienceOf('billing'), identity);
    const rotated = await signerAt(clock, next.privateKey).tokenFor(audienceOf('billing'), identity);
    expect(await verifier.verify(old)).toEqual(identity);
    expect(await verifier.verify(rotated)).toEqual(identity);
    // Once the old key is dropped, its tokens are refused.
    expect(await refusal(verifierAt(clock, [next.publicKey]).verify(old))).toMatch(/unknown key/);
  });

  it('read keys as one line of base64 DER or as PEM, Ed25519 only', () => {
    const { privateKey, publicKey } = gatewayKeys;
    const der = (k: typeof privateKey, type: 'pkcs8' | 'spki') =>
      k.export({ format: 'der', type } as never).toString('base64');
    expect(parsePrivateKey(der(privateKey, 'pkcs8')).asymmetricKeyType).toBe('ed25519');
    expect(parsePublicKey(der(publicKey, 'spki')).asymmetricKeyType).toBe('ed25519');
    expect(parsePublicKey(publicKey.export({ format: 'pem', type: 'spki' }).toString()).type).toBe('public');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => parsePublicKey(der(rsa.publicKey, 'spki'))).toThrow(/Ed25519/);
    expect(() => parsePrivateKey('bm90IGEga2V5')).toThrow();
  });
});
