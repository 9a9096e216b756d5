/**
 * Authentication with development tokens: an HS256 JWT whose `tid` claim names
 * the tenant and `sub` the user. The tenant is taken from the verified token
 * only, never from the URL, body or query, and must exist and be active.
 * Full auth (login, refresh tokens, RBAC) replaces the token source later; the
 * rest of the gateway only sees the request context this sets.
 */
import type { RequestHandler } from 'express';
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { LRUCache } from 'lru-cache';
import { currentContext, isUuid, runWithContext, type Counter } from '@hms/platform';
import type { Tenant, TenantRepository } from '../db/tenant.repository.js';
import { HttpProblem } from './problem.js';

export interface TokenClaims {
  tenantId: string;
  userId: string;
  /** Roles a development token names (e.g. BILLING_SUPERVISOR), forwarded to the backends; none by default. */
  roles?: string[] | undefined;
}

const ROLE = /^[A-Z][A-Z0-9_]{0,63}$/;

export interface TokenOptions {
  secret: string;
  issuer: string;
}

const key = (secret: string) => new TextEncoder().encode(secret);

export async function verifyToken(token: string, options: TokenOptions): Promise<TokenClaims> {
  return (await verifyWithExpiry(token, options)).claims;
}

async function verifyWithExpiry(token: string, options: TokenOptions): Promise<{ claims: TokenClaims; exp: number }> {
  try {
    const { payload } = await jwtVerify(token, key(options.secret), {
      issuer: options.issuer,
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'sub'],
    });
    const { tid, sub, roles } = payload;
    if (typeof tid !== 'string' || !isUuid(tid)) throw new Error('the token names no tenant');
    // The user id travels in gRPC metadata and audit records: a short plain string only.
    if (typeof sub !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(sub)) throw new Error('the token names no user');
    if (
      roles !== undefined &&
      !(Array.isArray(roles) && roles.length <= 20 && roles.every((r) => typeof r === 'string' && ROLE.test(r)))
    ) {
      throw new Error('the token names roles that are not role names');
    }
    return {
      claims: { tenantId: tid.toLowerCase(), userId: sub, roles: roles as string[] | undefined },
      exp: (payload.exp ?? 0) * 1000,
    };
  } catch (error) {
    const detail = error instanceof joseErrors.JWTExpired ? 'the token has expired' : 'the token is not valid';
    throw unauthorized(detail);
  }
}

export async function signDevelopmentToken(
  claims: TokenClaims,
  options: TokenOptions & { ttl: string },
): Promise<string> {
  return new SignJWT({ tid: claims.tenantId, ...(claims.roles?.length ? { roles: claims.roles } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(options.issuer)
    .setIssuedAt()
    .setExpirationTime(options.ttl)
    .sign(key(options.secret));
}

function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(401, 'unauthenticated', detail, [], { 'www-authenticate': 'Bearer realm="hms"' });
}

type CacheLookups = Counter<'cache' | 'result'>;

function countLookup(counter: CacheLookups | undefined, cache: string, hit: boolean): void {
  counter?.inc({ cache, result: hit ? 'hit' : 'miss' });
}

/** Tenants by id, cached: unknown ones too, so a flood of tokens for made-up tenants cannot flood the database. */
export function cachedTenants(
  tenants: TenantRepository,
  ttlMs: number,
  /** hms_cache_lookups_total: hits and misses of this cache. */
  cacheLookups?: CacheLookups,
): (id: string) => Promise<Tenant | undefined> {
  const cache = new LRUCache<string, Tenant | 'unknown'>({ max: 10_000, ttl: ttlMs });
  return async (id) => {
    let hit = cache.get(id);
    countLookup(cacheLookups, 'tenants', hit !== undefined);
    if (hit === undefined) {
      hit = (await tenants.find(id)) ?? 'unknown';
      cache.set(id, hit);
    }
    return hit === 'unknown' ? undefined : hit;
  };
}

export function authenticate(
  options: TokenOptions & {
    tenants: TenantRepository;
    cacheTtlMs: number;
    tenantOf?: (id: string) => Promise<Tenant | undefined>;
    /** hms_cache_lookups_total: hits and misses of the tenant and token caches. */
    cacheLookups?: CacheLookups;
  },
): RequestHandler {
  const tenantOf = options.tenantOf ?? cachedTenants(options.tenants, options.cacheTtlMs, options.cacheLookups);
  const counted = (cache: string, hit: boolean) => countLookup(options.cacheLookups, cache, hit);
  // A client sends the same token with every request: its signature is checked
  // once, then the claims are remembered for a minute at most, never past expiry.
  const verified = new LRUCache<string, { claims: TokenClaims; exp: number }>({ max: 10_000, ttl: 60_000 });
  async function claimsOf(token: string): Promise<TokenClaims> {
    const hit = verified.get(token);
    const fresh = hit !== undefined && hit.exp > Date.now();
    counted('token-claims', fresh);
    if (fresh) return hit.claims;
    const checked = await verifyWithExpiry(token, options);
    verified.set(token, checked, { ttl: Math.max(1, Math.min(60_000, checked.exp - Date.now())) });
    return checked.claims;
  }
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw unauthorized('a bearer token is required');
    const claims = await claimsOf(match[1]!);
    const tenant = await tenantOf(claims.tenantId);
    if (!tenant) throw new HttpProblem(403, 'unknown-tenant', 'the tenant of this token does not exist');
    if (tenant.status !== 'ACTIVE')
      throw new HttpProblem(403, 'tenant-suspended', 'the tenant of this token is suspended');
    // For the middlewares after this one (the tenant's request budget).
    res.locals.tenant = tenant;
    const ctx = currentContext();
    // Roles come from the token (development tokens may name some); the identity work resolves them properly.
    runWithContext(
      { requestId: ctx?.requestId ?? '', tenantId: tenant.id, userId: claims.userId, roles: claims.roles ?? [] },
      () => next(),
    );
  };
}
