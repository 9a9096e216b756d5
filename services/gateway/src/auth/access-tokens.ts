/**
 * Access tokens: short-lived JWTs (15 minutes) signed with Ed25519 (EdDSA),
 * whose public keys every client can fetch at /.well-known/jwks.json.
 *
 *   header  { alg: EdDSA, typ: at+jwt, kid: RFC 7638 thumbprint }
 *   claims  iss, aud   checked on every request (ACCESS_TOKEN_ISSUER, _AUDIENCE)
 *           sub        the user
 *           tid        the tenant
 *           roles      the user's roles when it was issued
 *           pv         the tenant's permissions version then: when it has moved
 *                      on, the gateway reads the user's roles afresh
 *           sid        the session (refresh-token family): ending it ends this
 *           iat, exp   exp - iat = ACCESS_TOKEN_TTL_SECONDS; clock skew bounded
 *
 * Keys rotate without signing anyone out: a gateway signs with one private key
 * and accepts (and publishes) up to two more public keys, the one before it
 * and the one coming next (docs/security.md).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { keyIdOf } from '@hms/platform';
import { errors as joseErrors, exportJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';

export interface AccessClaims {
  tenantId: string;
  userId: string;
  roles: string[];
  permissionsVersion: number;
  sessionId: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface AccessTokenOptions {
  privateKey: KeyObject;
  /** Public keys accepted besides the signing key's own (the previous one, the next one). */
  extraPublicKeys: KeyObject[];
  issuer: string;
  audience: string;
  ttlSeconds: number;
  clockSkewSeconds: number;
  now?: () => number;
}

export interface AccessTokens {
  sign(claims: Omit<AccessClaims, 'expiresAt'>): Promise<{ token: string; expiresAt: Date }>;
  /** The claims of a valid token; throws InvalidAccessToken (with why) otherwise. */
  verify(token: string): Promise<AccessClaims>;
  /** The public keys as a JWK Set (RFC 7517). */
  jwks(): Promise<{ keys: JWK[] }>;
  ttlSeconds: number;
}

export class InvalidAccessToken extends Error {
  constructor(
    readonly reason: 'expired' | 'invalid',
    detail: string,
  ) {
    super(detail);
  }
}

const ALGORITHM = 'EdDSA';
const TYPE = 'at+jwt';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  const now = options.now ?? Date.now;
  const signingPublic = createPublicKey(options.privateKey);
  const signingKid = keyIdOf(signingPublic);
  const verifying = Promise.all(
    [signingPublic, ...options.extraPublicKeys].map(async (key) => [await keyIdOf(key), key] as const),
  ).then((entries) => new Map(entries));

  return {
    ttlSeconds: options.ttlSeconds,
    async sign(claims) {
      const issuedAt = Math.floor(now() / 1000);
      const exp = issuedAt + options.ttlSeconds;
      const token = await new SignJWT({
        tid: claims.tenantId,
        roles: claims.roles,
        pv: claims.permissionsVersion,
        sid: claims.sessionId,
      })
        .setProtectedHeader({ alg: ALGORITHM, typ: TYPE, kid: await signingKid })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(claims.userId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(exp)
        .sign(options.privateKey);
      return { token, expiresAt: new Date(exp * 1000) };
    },
    async verify(token) {
      const keys = await verifying;
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
            typ: TYPE,
            issuer: options.issuer,
            audience: options.audience,
            clockTolerance: options.clockSkewSeconds,
            maxTokenAge: options.ttlSeconds + options.clockSkewSeconds,
            requiredClaims: ['iat', 'exp', 'sub', 'tid', 'sid'],
            currentDate: new Date(now()),
          },
        ));
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw new InvalidAccessToken('expired', 'the token has expired');
        throw new InvalidAccessToken('invalid', 'the token is not valid');
      }
      // Issued in the future (beyond the skew allowed) or living longer than ours do: not one of ours.
      const at = now() / 1000;
      if (
        (payload.iat ?? 0) > at + options.clockSkewSeconds ||
        (payload.exp ?? 0) - (payload.iat ?? 0) > options.ttlSeconds
      ) {
        throw new InvalidAccessToken('invalid', 'the token is not valid');
      }
      const { tid, sid, sub, roles, pv } = payload;
      if (
        typeof tid !== 'string' ||
        !UUID.test(tid) ||
        typeof sid !== 'string' ||
        !UUID.test(sid) ||
        typeof sub !== 'string' ||
        !UUID.test(sub) ||
        !Array.isArray(roles) ||
        !roles.every((r) => typeof r === 'string') ||
        typeof pv !== 'number' ||
        !Number.isSafeInteger(pv)
      ) {
        throw new InvalidAccessToken('invalid', 'the token is not valid');
      }
      return {
        tenantId: tid,
        userId: sub,
        roles: roles as string[],
        permissionsVersion: pv,
        sessionId: sid,
        expiresAt: (payload.exp ?? 0) * 1000,
      };
    },
    async jwks() {
      const keys = await verifying;
      return {
        keys: await Promise.all(
          [...keys].map(async ([kid, key]) => ({ ...(await exportJWK(key)), kid, alg: ALGORITHM, use: 'sig' })),
        ),
      };
    },
  };
}
