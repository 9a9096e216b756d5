/**
 * API keys: `hmsk_<tenant id, 32 hex>_<key id, 32 hex>_<secret, 43 base64url>`.
 * The tenant and id let a key be found (scoped to its tenant) without a scan;
 * only HMAC-SHA256(API_KEY_SECRET, key) is stored, so a copy of the database
 * yields no usable key, and checking one costs microseconds (unlike a password
 * hash, which would sit on every request of an integration).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyMint } from '../domain/api-keys.js';

const FORMAT = /^hmsk_([0-9a-f]{32})_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

const hex = (uuid: string) => uuid.replaceAll('-', '').toLowerCase();
const uuid = (hex32: string) =>
  `${hex32.slice(0, 8)}-${hex32.slice(8, 12)}-${hex32.slice(12, 16)}-${hex32.slice(16, 20)}-${hex32.slice(20)}`;

export interface ApiKeys extends ApiKeyMint {
  /** Tenant and key id of something shaped like a key; undefined otherwise. */
  parse(key: string): { tenantId: string; id: string } | undefined;
  hashOf(key: string): Buffer;
  same(a: Buffer, b: Buffer): boolean;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('hmsk_');
}

export function createApiKeys(secret: Buffer): ApiKeys {
  const hashOf = (key: string) => createHmac('sha256', secret).update(key).digest();
  return {
    issue(tenantId, id) {
      const key = `hmsk_${hex(tenantId)}_${hex(id)}_${randomBytes(32).toString('base64url')}`;
      return { key, keyHash: hashOf(key) };
    },
    parse(key) {
      const match = FORMAT.exec(key);
      return match ? { tenantId: uuid(match[1]!), id: uuid(match[2]!) } : undefined;
    },
    hashOf,
    same: (a, b) => a.length === b.length && timingSafeEqual(a, b),
  };
}
