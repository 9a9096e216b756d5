/**
 * Display tokens: what a waiting-room screen presents instead of a staff
 * user's token. `hmsd_<id>_<secret>`, the id to find it, the secret checked
 * against its stored SHA-256 in constant time. Read-only and scoped: the
 * routes that accept one (the queue stream) check its doctors; every other
 * route's authentication refuses it as not a valid token. Look-ups are cached
 * for a few seconds, and open streams are re-checked at every heartbeat, so a
 * revocation takes effect within seconds everywhere.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Permission } from '@hms/proto';
import type { RequestHandler } from 'express';
import { LRUCache } from 'lru-cache';
import { currentContext, runWithContext } from '@hms/platform';
import type { DisplayToken, DisplayTokenRepository } from '../db/display-token.repository.js';
import type { Tenant } from '../db/tenant.repository.js';
import { HttpProblem } from './problem.js';

const DISPLAY_PERMISSIONS: Permission[] = ['queues.read', 'doctors.read'];

const PREFIX = 'hmsd_';
const TOKEN = /^hmsd_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export const isDisplayToken = (bearer: string) => bearer.startsWith(PREFIX);

/** A new token's secret part and the hash that is stored. */
export function newDisplaySecret(id: string): { token: string; secretHash: Buffer } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${PREFIX}${id.replaceAll('-', '')}_${secret}`, secretHash: sha256(secret) };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

const uuidOf = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

export interface DisplayAuth {
  /** The display token a bearer string stands for, or a 401 problem. */
  verify(bearer: string): Promise<DisplayToken>;
  /** Forgets a token at once (revoked through this gateway). */
  forget(id: string): void;
}

export function createDisplayAuth(tokens: DisplayTokenRepository, cacheTtlMs = 5_000): DisplayAuth {
  const cache = new LRUCache<string, { token: DisplayToken; secretHash: Buffer } | 'unknown'>({
    max: 10_000,
    ttl: cacheTtlMs,
  });
  const refused = () =>
    new HttpProblem(401, 'unauthenticated', 'the display token is not valid', [], {
      'www-authenticate': 'Bearer realm="hms"',
    });
  return {
    async verify(bearer) {
      const match = TOKEN.exec(bearer);
      if (!match) throw refused();
      const id = uuidOf(match[1]!);
      let found = cache.get(id);
      if (found === undefined) {
        found = (await tokens.find(id)) ?? 'unknown';
        cache.set(id, found);
      }
      if (found === 'unknown' || found.token.revokedAt) throw refused();
      const presented = sha256(match[2]!);
      if (!timingSafeEqual(presented, found.secretHash)) throw refused();
      return found.token;
    },
    forget: (id) => cache.delete(id),
  };
}

/**
 * For routes a screen may call: a display token is verified here (and its
 * tenant must be active); anything else goes to the staff authentication.
 */
export function authenticateStaffOrDisplay(options: {
  staff: RequestHandler;
  display: DisplayAuth;
  tenantOf(id: string): Promise<Tenant | undefined>;
}): RequestHandler {
  return async (req, res, next) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (!bearer || !isDisplayToken(bearer)) return options.staff(req, res, next);
    const token = await options.display.verify(bearer);
    const tenant = await options.tenantOf(token.tenantId);
    if (!tenant || tenant.status !== 'ACTIVE') {
      throw new HttpProblem(403, 'tenant-suspended', 'the tenant of this display is not active');
    }
    res.locals.tenant = tenant;
    res.locals.display = token;
    const ctx = currentContext();
    runWithContext(
      {
        requestId: ctx?.requestId ?? '',
        tenantId: tenant.id,
        userId: `display:${token.id}`,
        roles: [],
        // A display's whole scope: following its doctors' queues (the route checks which).
        permissions: DISPLAY_PERMISSIONS,
      },
      () => next(),
    );
  };
}
