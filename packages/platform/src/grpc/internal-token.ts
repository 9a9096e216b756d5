/**
 * The internal token: how a backend knows that a call comes from the gateway
 * and on whose behalf. Anyone who reaches a backend's gRPC port could set
 * metadata; only the gateway holds the private key. Per call the gateway sends
 * `authorization: Bearer <JWT>` signed with Ed25519 (EdDSA):
 *
 *   header  { alg: EdDSA, kid: <RFC 7638 thumbprint of the public key> }
 *   claims  iss  who vouches: hms-gateway
 *           aud  the one service it is for: hms-<service> (hms-billing, ...)
 *           tid  tenant id;  sub  user id;  roles  the caller's roles
 *           perms  what the caller may do (permission names)
 *           quota  the tenant plan's limits a backend enforces at creation
 *           iat, exp  a short life (INTERNAL_TOKEN_TTL_SECONDS)
 *
 * Backends verify signature, issuer, audience, expiry (with a bounded clock
 * skew) and age, and take tenant, user and roles from the token only.
 *
 * CPU: the signer reuses a token for one identity and audience for half its
 * life, and a verifier remembers tokens it has verified until they expire, so
 * a busy tenant costs one signature and one verification per half-life, not
 * one per request.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, jwtVerify, SignJWT, errors as joseErrors, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { UnauthenticatedError } from '../errors.js';
import { normalizeUuid } from '../ids.js';

/** The issuer the gateway signs as, and the one backends accept by default. */
export const GATEWAY_ISSUER = 'hms-gateway';

/** The audience of a service's tokens: `hms-<name>`, as its runtime is named. */
export function audienceOf(service: string): string {
  return `hms-${service}`;
}

/** On whose behalf a call is made. */
export interface InternalIdentity {
  tenantId: string;
  userId: string | undefined;
  roles: string[];
  /** Permission names the gateway resolved for the caller; backends check those that guard their rules. */
  permissions: readonly string[];
  /** Limits of the tenant's plan a backend enforces when it creates something; absent: unlimited. */
  quotas?: Readonly<Record<string, number>> | undefined;
}

/** Tokens issued after this long ago are refused whatever their expiry says. */
const MAX_TOKEN_AGE_SECONDS = 600;
const ALGORITHM = 'EdDSA';

/**
 * An Ed25519 private key as configured: the base64 of its PKCS#8 DER (one line,
 * what scripts/lib/env.sh generates) or PEM.
 */
export function parsePrivateKey(text: string): KeyObject {
  const key = text.trimStart().startsWith('-----BEGIN')
    ? createPrivateKey(text)
    : createPrivateKey({ key: Buffer.from(text.trim(), 'base64'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
  return key;
}

/** An Ed25519 public key as configured: the base64 of its SPKI DER (one line) or PEM. */
export function parsePublicKey(text: string): KeyObject {
  const key = text.trimStart().startsWith('-----BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text.trim(), 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
  return key;
}

/** The key id of a public key: its JWK thumbprint, so signer and verifiers agree without configuring ids. */
export async function keyIdOf(publicKey: KeyObject): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(publicKey));
}

export interface InternalTokenSigner {
  /** A token for `audience` carrying `identity`; the same one for half its life. */
  tokenFor(audience: string, identity: InternalIdentity): Promise<string>;
}

export function createInternalTokenSigner(options: {
  privateKey: KeyObject;
  issuer?: string;
  ttlSeconds: number;
  /** Tells time (tests); Date.now by default. */
  now?: () => number;
}): InternalTokenSigner {
  const issuer = options.issuer ?? GATEWAY_ISSUER;
  const now = options.now ?? Date.now;
  const keyId = keyIdOf(createPublicKey(options.privateKey));
  // A promise per identity, so that concurrent first requests sign once.
  const cache = new LRUCache<string, { token: Promise<string>; renewAt: number }>({ max: 10_000 });

  async function sign(audience: string, identity: InternalIdentity, issuedAt: number): Promise<string> {
    const jwt = new SignJWT({
      tid: identity.tenantId,
      roles: identity.roles,
      perms: [...identity.permissions],
      ...(identity.quotas && Object.keys(identity.quotas).length > 0 ? { quota: identity.quotas } : {}),
    })
      .setProtectedHeader({ alg: ALGORITHM, kid: await keyId })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + options.ttlSeconds);
    if (identity.userId) jwt.setSubject(identity.userId);
    return jwt.sign(options.privateKey);
  }

  return {
    tokenFor(audience, identity) {
      const key = [
        audience,
        identity.tenantId,
        identity.userId ?? '',
        identity.roles.join(','),
        identity.permissions.join(','),
        identity.quotas ? JSON.stringify(identity.quotas) : '',
      ].join('\n');
      const at = now();
      const hit = cache.get(key);
      if (hit && at < hit.renewAt) return hit.token;
      const token = sign(audience, identity, Math.floor(at / 1000));
      cache.set(key, { token, renewAt: at + (options.ttlSeconds * 1000) / 2 });
      token.catch(() => cache.delete(key));
      return token;
    },
  };
}

export interface InternalTokenVerifier {
  /** The identity a valid token carries; UnauthenticatedError for a missing or bad one. */
  verify(token: string | undefined): Promise<InternalIdentity>;
}

export function createInternalTokenVerifier(options: {
  /** This service's audience, audienceOf(name). */
  audience: string;
  /** One key, or two while keys rotate. */
  publicKeys: KeyObject[];
  issuers?: string[];
  clockToleranceSeconds: number;
  now?: () => number;
}): InternalTokenVerifier {
  if (options.publicKeys.length === 0) throw new Error('an internal token verifier needs a public key');
  const now = options.now ?? Date.now;
  const keysById = Promise.all(options.publicKeys.map(async (key) => [await keyIdOf(key), key] as const)).then(
    (entries) => new Map(entries),
  );
  const verified = new LRUCache<string, { identity: InternalIdentity; expiresAt: number }>({ max: 10_000 });
  const toleranceMs = options.clockToleranceSeconds * 1000;

  return {
    async verify(token) {
      if (!token) throw new UnauthenticatedError('an internal token is required (authorization: Bearer ...)');
      const at = now();
      const hit = verified.get(token);
      if (hit) {
        if (at <= hit.expiresAt + toleranceMs) return hit.identity;
        verified.delete(token);
      }
      const keys = await keysById;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(
          token,
          (header) => {
            const key = header.kid === undefined ? undefined : keys.get(header.kid);
            if (!key) throw new joseErrors.JWKSNoMatchingKey();
            return key;
          },
          {
            algorithms: [ALGORITHM],
            audience: options.audience,
            issuer: options.issuers ?? [GATEWAY_ISSUER],
            clockTolerance: options.clockToleranceSeconds,
            maxTokenAge: MAX_TOKEN_AGE_SECONDS,
            requiredClaims: ['iat', 'exp', 'tid'],
            currentDate: new Date(at),
          },
        ));
      } catch (error) {
        throw new UnauthenticatedError(`the internal token is not valid: ${reasonOf(error)}`);
      }
      const identity = identityOf(payload);
      verified.set(token, { identity, expiresAt: (payload.exp ?? 0) * 1000 });
      return identity;
    },
  };
}

function identityOf(payload: JWTPayload): InternalIdentity {
  const tenantId = normalizeUuid(typeof payload.tid === 'string' ? payload.tid : undefined);
  if (!tenantId) throw new UnauthenticatedError('the internal token is not valid: it names no tenant');
  const roles = payload.roles ?? [];
  if (!isNameList(roles)) {
    throw new UnauthenticatedError('the internal token is not valid: roles must be a list of names');
  }
  const permissions = payload.perms ?? [];
  if (!isNameList(permissions)) {
    throw new UnauthenticatedError('the internal token is not valid: perms must be a list of names');
  }
  const quota = payload.quota;
  if (
    quota !== undefined &&
    (typeof quota !== 'object' ||
      quota === null ||
      Array.isArray(quota) ||
      !Object.values(quota).every((n) => Number.isSafeInteger(n) && (n as number) >= 0))
  ) {
    throw new UnauthenticatedError('the internal token is not valid: quota must map names to whole numbers');
  }
  return {
    tenantId,
    userId: payload.sub || undefined,
    roles,
    permissions,
    ...(quota ? { quotas: quota as Record<string, number> } : {}),
  };
}

function isNameList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((r): r is string => typeof r === 'string');
}

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} ${error.reason}`;
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'signed with an unknown key';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  return 'malformed';
}
