/**
 * Who is asking. A request carries `Authorization: Bearer <credential>`, one of:
 *
 * - an access token (EdDSA JWT, auth/access-tokens.ts), from POST /auth/login
 *   or /auth/refresh: checked once per token (signature, issuer, audience,
 *   times), then remembered until it expires; its session must not have ended;
 * - an API key (`hmsk_...`, auth/api-keys.ts): its HMAC must match a key of its
 *   tenant that is neither revoked nor expired;
 * - a development token (HS256, JWT_SECRET): only when the gateway runs in the
 *   dev or test profile, refused everywhere else.
 *
 * Then the tenant (from the credential only, never from the URL) must exist
 * and be active, and the caller's permissions are resolved: the token's roles
 * while the tenant's permissions version is the token's, the user's current
 * roles (and status) once it has moved. All of it comes from the shared caches
 * (auth/access.ts): a warm request reads no database and no Redis.
 *
 * A flood of bad credentials from one address is cut off after
 * AUTH_FAILURES_PER_IP_PER_MINUTE with 429s, before any signature is checked;
 * valid credentials are never counted.
 */
import type { RequestHandler, Response } from 'express';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { currentContext, runWithContext, type Counter } from '@hms/platform';
import { enforcedQuotas } from '../domain/plans.js';
import type { Access } from '../auth/access.js';
import { InvalidAccessToken, type AccessClaims, type AccessTokens } from '../auth/access-tokens.js';
import { looksLikeApiKey, type ApiKeys } from '../auth/api-keys.js';
import type { Identity } from './identity.js';
import { HttpProblem } from './problem.js';
import type { RateLimits } from './rate-limit.js';

export type { Identity } from './identity.js';

export function identityOf(res: Response): Identity {
  const identity = res.locals.identity as Identity | undefined;
  if (!identity) throw unauthorized('a bearer token is required');
  return identity;
}

export function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(401, 'unauthenticated', detail, [], { 'www-authenticate': 'Bearer realm="hms"' });
}

/** Development tokens: HS256, `tid` the tenant, `sub` the user, `roles` (ADMIN when absent). */
export interface DevelopmentTokenOptions {
  secret: string;
  issuer: string;
}

const devKey = (secret: string) => new TextEncoder().encode(secret);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function signDevelopmentToken(
  claims: { tenantId: string; userId: string; roles?: string[] },
  options: DevelopmentTokenOptions & { ttl: string },
): Promise<string> {
  return new SignJWT({ tid: claims.tenantId, ...(claims.roles ? { roles: claims.roles } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(options.issuer)
    .setIssuedAt()
    .setExpirationTime(options.ttl)
    .sign(devKey(options.secret));
}

interface DevelopmentClaims {
  tenantId: string;
  userId: string;
  roles: string[];
  expiresAt: number;
}

export async function verifyDevelopmentToken(
  token: string,
  options: DevelopmentTokenOptions,
): Promise<DevelopmentClaims> {
  try {
    const { payload } = await jwtVerify(token, devKey(options.secret), {
      issuer: options.issuer,
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'sub'],
    });
    const { tid, sub, roles } = payload;
    if (typeof tid !== 'string' || !UUID.test(tid)) throw new Error('the token names no tenant');
    // The user id travels in gRPC metadata and audit records: a short plain string only.
    if (typeof sub !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(sub)) throw new Error('the token names no user');
    if (roles !== undefined && !(Array.isArray(roles) && roles.every((r) => typeof r === 'string'))) {
      throw new Error('roles must be a list of names');
    }
    return {
      tenantId: tid.toLowerCase(),
      userId: sub,
      roles: (roles as string[] | undefined) ?? ['ADMIN'],
      expiresAt: (payload.exp ?? 0) * 1000,
    };
  } catch (error) {
    throw new InvalidAccessToken(
      error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid',
      error instanceof joseErrors.JWTExpired ? 'the token has expired' : 'the token is not valid',
    );
  }
}

type Verified =
  | { kind: 'access'; claims: AccessClaims }
  | { kind: 'development'; claims: DevelopmentClaims }
  | { kind: 'api-key'; tenantId: string; id: string; keyHash: Buffer; expiresAt: number };

export interface AuthenticateOptions {
  access: Access;
  tokens: AccessTokens;
  apiKeys: ApiKeys;
  /** Accepts development tokens (dev and test profiles only). */
  development?: DevelopmentTokenOptions | undefined;
  limits: RateLimits;
  /** Bad credentials one address may present per minute before 429s. */
  failuresPerIpPerMinute: number;
  /** Records that an API key was used (written in batches). */
  apiKeyUsed(tenantId: string, id: string): void;
  /** hms_cache_lookups_total: hits and misses of the verified-credential cache. */
  cacheLookups?: Counter<'cache' | 'result'>;
}

export function authenticate(options: AuthenticateOptions): RequestHandler {
  // A client sends the same credential with every request: its signature (or
  // HMAC) is checked once, then remembered for a minute at most, never past expiry.
  const verified = new LRUCache<string, Verified>({ max: 50_000, ttl: 60_000 });
  // Addresses that presented too many bad credentials, until their penalty ends.
  const blocked = new LRUCache<string, number>({ max: 100_000, ttl: 60_000 });

  async function verify(token: string): Promise<Verified> {
    if (looksLikeApiKey(token)) {
      const parsed = options.apiKeys.parse(token);
      if (!parsed) throw new InvalidAccessToken('invalid', 'the API key is not valid');
      // The HMAC is checked against the stored one below, on every request (from the cache).
      return { kind: 'api-key', ...parsed, keyHash: options.apiKeys.hashOf(token), expiresAt: Date.now() + 60_000 };
    }
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new InvalidAccessToken('invalid', 'the token is not valid');
    }
    if (alg === 'HS256' && options.development) {
      return { kind: 'development', claims: await verifyDevelopmentToken(token, options.development) };
    }
    if (alg === 'HS256') throw new InvalidAccessToken('invalid', 'development tokens are not accepted here');
    return { kind: 'access', claims: await options.tokens.verify(token) };
  }

  async function failed(ip: string, detail: string): Promise<never> {
    try {
      await options.limits.spend([
        { policy: 'auth-failures', key: ip, points: options.failuresPerIpPerMinute, durationSeconds: 60 },
      ]);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retry = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      blocked.set(ip, Date.now() + retry * 1000, { ttl: retry * 1000 });
      throw tooManyFailures(retry);
    }
    throw unauthorized(detail);
  }

  async function credentialOf(token: string, ip: string): Promise<Verified> {
    const hit = verified.get(token);
    const fresh = hit !== undefined && expiryOf(hit) > Date.now();
    options.cacheLookups?.inc({ cache: 'token-claims', result: fresh ? 'hit' : 'miss' });
    if (fresh) return hit;
    const until = blocked.get(ip);
    if (until !== undefined && until > Date.now()) throw tooManyFailures(Math.ceil((until - Date.now()) / 1000));
    try {
      const fresh = await verify(token);
      verified.set(token, fresh, { ttl: Math.max(1, Math.min(60_000, expiryOf(fresh) - Date.now())) });
      return fresh;
    } catch (error) {
      if (error instanceof InvalidAccessToken) return failed(ip, error.message);
      throw error;
    }
  }

  async function identify(credential: Verified, ip: string): Promise<Identity> {
    const tenantId = credential.kind === 'api-key' ? credential.tenantId : credential.claims.tenantId;
    const tenant = await options.access.tenant(tenantId);
    if (!tenant) {
      if (credential.kind === 'development') {
        throw new HttpProblem(403, 'unknown-tenant', 'the tenant of this token does not exist');
      }
      return failed(ip, 'the token is not valid');
    }
    if (tenant.status !== 'ACTIVE') {
      throw new HttpProblem(403, 'tenant-suspended', 'the tenant of this token is suspended');
    }
    switch (credential.kind) {
      case 'access': {
        const { claims } = credential;
        const session = await options.access.session(tenant.id, claims.sessionId);
        if (!session || session.ended || session.userId !== claims.userId || session.expiresAt <= Date.now()) {
          throw unauthorized('the session of this token has ended; sign in again');
        }
        let roles = claims.roles;
        if (claims.permissionsVersion !== tenant.permissionsVersion) {
          // Roles or permissions changed in the tenant since the token was issued: the user's as they are now.
          const user = await options.access.user(tenant, claims.userId);
          if (!user || user.status !== 'ACTIVE') throw unauthorized('the user of this token is disabled');
          roles = user.roles;
        }
        return {
          tenant,
          caller: { tenantId: tenant.id, actorId: claims.userId, kind: 'user' },
          roles,
          permissions: await options.access.permissions(tenant, roles),
          sessionId: claims.sessionId,
        };
      }
      case 'api-key': {
        const key = await options.access.apiKey(tenant.id, credential.id);
        const matches = key && options.apiKeys.same(Buffer.from(key.keyHash, 'hex'), credential.keyHash);
        if (!key || !matches) return failed(ip, 'the API key is not valid');
        if (key.revoked) throw unauthorized('the API key has been revoked');
        if (key.expiresAt !== null && key.expiresAt <= Date.now()) throw unauthorized('the API key has expired');
        options.apiKeyUsed(tenant.id, credential.id);
        return {
          tenant,
          caller: { tenantId: tenant.id, actorId: `apikey:${credential.id}`, kind: 'api-key' },
          roles: [],
          permissions: new Set(key.permissions),
        };
      }
      case 'development': {
        const { claims } = credential;
        return {
          tenant,
          caller: { tenantId: tenant.id, actorId: claims.userId, kind: 'development' },
          roles: claims.roles,
          permissions: await options.access.permissions(tenant, claims.roles),
        };
      }
    }
  }

  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw unauthorized('a bearer token is required');
    const ip = req.ip ?? '';
    const identity = await identify(await credentialOf(match[1]!, ip), ip);
    // For the middlewares after this one (budgets, permissions) and the routes.
    res.locals.identity = identity;
    res.locals.tenant = identity.tenant;
    const ctx = currentContext();
    runWithContext(
      {
        requestId: ctx?.requestId ?? '',
        tenantId: identity.tenant.id,
        userId: identity.caller.actorId,
        roles: identity.roles,
        permissions: [...identity.permissions],
        quotas: enforcedQuotas(identity.tenant.plan),
      },
      () => next(),
    );
  };
}

function expiryOf(v: Verified): number {
  return v.kind === 'api-key' ? v.expiresAt : v.claims.expiresAt;
}

function tooManyFailures(retryAfterSeconds: number): HttpProblem {
  return new HttpProblem(
    429,
    'too-many-failed-attempts',
    'too many requests with invalid credentials from this address; retry later',
    [],
    { 'retry-after': String(Math.max(1, retryAfterSeconds)) },
  );
}
