/**
 * Refresh tokens: `rt1.<tenant id>.<token id>.<secret>`, the secret 32 random
 * bytes (base64url). The tenant is in the token so the look-up runs scoped to
 * it (row-level security); only the SHA-256 of the secret is stored (it is
 * random and long, so a fast hash is enough), compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '@hms/platform';
import type { RefreshTokens } from '../domain/login.js';

const FORMAT = /^rt1\.([0-9a-f-]{36})\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest();

export function createRefreshTokens(): RefreshTokens {
  return {
    issue(tenantId, _sessionId, expiresAt) {
      const id = newId();
      const secret = randomBytes(32).toString('base64url');
      return { token: `rt1.${tenantId}.${id}.${secret}`, id, secretHash: sha256(secret), expiresAt };
    },
    parse(token) {
      const match = FORMAT.exec(token);
      if (!match) return undefined;
      return { tenantId: match[1]!.toLowerCase(), id: match[2]!.toLowerCase(), secretHash: sha256(match[3]!) };
    },
    same: (a, b) => a.length === b.length && timingSafeEqual(a, b),
  };
}
