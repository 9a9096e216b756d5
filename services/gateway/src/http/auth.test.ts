import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { type InvalidAccessToken } from '../auth/access-tokens.js';
import { signDevelopmentToken, verifyDevelopmentToken } from './auth.js';

const options = { secret: 'a-development-secret-of-enough-length-0123', issuer: 'hms-dev' };
const tenantId = '01900000-0000-7000-8000-0000000000aa';

async function rejection(token: string, opts = options): Promise<InvalidAccessToken> {
  try {
    await verifyDevelopmentToken(token, opts);
  } catch (error) {
    return error as InvalidAccessToken;
  }
  throw new Error('expected the token to be refused');
}

describe('development tokens', () => {
  it('verify and name the tenant, the user and their roles (ADMIN when none)', async () => {
    const token = await signDevelopmentToken(
      { tenantId, userId: 'reception-1', roles: ['RECEPTIONIST'] },
      { ...options, ttl: '1h' },
    );
    expect(await verifyDevelopmentToken(token, options)).toMatchObject({
      tenantId,
      userId: 'reception-1',
      roles: ['RECEPTIONIST'],
    });
    const plain = await signDevelopmentToken({ tenantId, userId: 'u' }, { ...options, ttl: '1h' });
    expect((await verifyDevelopmentToken(plain, options)).roles).toEqual(['ADMIN']);
  });

  it('are refused when expired, forged, from another issuer or without a tenant', async () => {
    const key = new TextEncoder().encode(options.secret);
    const expired = await new SignJWT({ tid: tenantId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer('hms-dev')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    expect((await rejection(expired)).message).toBe('the token has expired');
    const forged = await signDevelopmentToken(
      { tenantId, userId: 'u' },
      { secret: 'another-secret-of-enough-length-01234567', issuer: 'hms-dev', ttl: '1h' },
    );
    expect((await rejection(forged)).reason).toBe('invalid');
    const foreign = await signDevelopmentToken({ tenantId, userId: 'u' }, { ...options, issuer: 'someone', ttl: '1h' });
    expect((await rejection(foreign)).reason).toBe('invalid');
    const noTenant = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer('hms-dev')
      .setExpirationTime('1h')
      .sign(key);
    expect((await rejection(noTenant)).reason).toBe('invalid');
    const badTenant = await new SignJWT({ tid: 'tenant-from-url' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer('hms-dev')
      .setExpirationTime('1h')
      .sign(key);
    expect((await rejection(badTenant)).reason).toBe('invalid');
    const badRoles = await new SignJWT({ tid: tenantId, roles: 'ADMIN' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer('hms-dev')
      .setExpirationTime('1h')
      .sign(key);
    expect((await rejection(badRoles)).reason).toBe('invalid');
    const noExpiry = await new SignJWT({ tid: tenantId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer('hms-dev')
      .sign(key);
    expect((await rejection(noExpiry)).reason).toBe('invalid');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ tid: tenantId, sub: 'u', iss: 'hms-dev', exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url')}.`;
    expect((await rejection(none)).reason).toBe('invalid');
  });
});
