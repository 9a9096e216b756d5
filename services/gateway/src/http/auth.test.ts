import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signDevelopmentToken, verifyToken } from './auth.js';
import { type HttpProblem } from './problem.js';

const options = { secret: 'a-development-secret-of-enough-length-0123', issuer: 'hms-dev' };
const tenantId = '01900000-0000-7000-8000-0000000000aa';

async function rejection(token: string, opts = options): Promise<HttpProblem> {
  try {
    await verifyToken(token, opts);
  } catch (error) {
    return error as HttpProblem;
  }
  throw new Error('expected the token to be refused');
}

describe('development tokens', () => {
  it('verify and name the tenant and user', async () => {
    const token = await signDevelopmentToken({ tenantId, userId: 'reception-1' }, { ...options, ttl: '1h' });
    expect(await verifyToken(token, options)).toEqual({ tenantId, userId: 'reception-1' });
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
    expect((await rejection(forged)).status).toBe(401);
    const foreign = await signDevelopmentToken(
      { tenantId, userId: 'u' },
      { ...options, issuer: 'someone-else', ttl: '1h' },
    );
    expect((await rejection(foreign)).status).toBe(401);
    const noTenant = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer('hms-dev')
      .setExpirationTime('1h')
      .sign(key);
    expect((await rejection(noTenant)).status).toBe(401);
    const badTenant = await new SignJWT({ tid: 'tenant-from-url' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer('hms-dev')
      .setExpirationTime('1h')
      .sign(key);
    expect((await rejection(badTenant)).status).toBe(401);
    const noExpiry = await new SignJWT({ tid: tenantId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer('hms-dev')
      .sign(key);
    expect((await rejection(noExpiry)).status).toBe(401);
    const objectUser = await new SignJWT({ tid: tenantId, sub: { id: 1 } } as unknown as Record<string, string>)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('hms-dev')
      .setExpirationTime('1h')
      .sign(key);
    expect((await rejection(objectUser)).status).toBe(401);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ tid: tenantId, sub: 'u', iss: 'hms-dev', exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url')}.`;
    expect((await rejection(none)).status).toBe(401);
    expect((await rejection('not.a.jwt')).headers['www-authenticate']).toMatch(/^Bearer/);
  });
});
