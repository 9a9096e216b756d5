/**
 * API keys for integrations (`/admin/api-keys`): created by an administrator,
 * shown once, kept only as an HMAC, scoped to permissions the creator holds,
 * revocable (every gateway refuses a revoked key within a second), with the
 * time each was last used.
 */
import { InvalidArgumentError, NotFoundError, PermissionDeniedError } from '@hms/platform/domain';
import type { Permission } from '@hms/proto';
import { apiKeyChanged } from './events.js';
import type { AccessInvalidation, IdentityStore } from './identity-store.js';
import { normalizePermissions, unknownPermissions } from './roles.js';
import type { ApiKey } from './types.js';

/** How keys are made (src/auth/api-keys.ts): random, naming their tenant and id, hashed with a server key. */
export interface ApiKeyMint {
  issue(tenantId: string, id: string): { key: string; keyHash: Buffer };
}

export interface ApiKeyDeps {
  store: IdentityStore;
  access: AccessInvalidation;
  mint: ApiKeyMint;
  now: () => Date;
  newId: () => string;
}

export async function createApiKey(
  deps: ApiKeyDeps,
  creator: { tenantId: string; actorId: string; permissions: ReadonlySet<Permission> },
  input: { name: string; permissions: string[]; expiresAt?: Date | undefined },
): Promise<{ apiKey: ApiKey; key: string }> {
  const unknown = unknownPermissions(input.permissions);
  if (unknown.length > 0) {
    throw new InvalidArgumentError('unknown permissions', [
      { field: 'permissions', message: `not in the catalogue: ${unknown.join(', ')}` },
    ]);
  }
  const permissions = normalizePermissions(input.permissions);
  const beyond = permissions.filter((p) => !creator.permissions.has(p));
  if (beyond.length > 0) {
    throw new PermissionDeniedError('a key can only be given permissions its creator holds', [
      { field: 'permissions', message: `you do not hold: ${beyond.join(', ')}` },
    ]);
  }
  const now = deps.now();
  if (input.expiresAt && input.expiresAt <= now) {
    throw new InvalidArgumentError('the key would be expired already', [
      { field: 'expiresAt', message: 'must be in the future' },
    ]);
  }
  const id = deps.newId();
  const { key, keyHash } = deps.mint.issue(creator.tenantId, id);
  const apiKey: ApiKey = {
    id,
    tenantId: creator.tenantId,
    name: input.name,
    permissions,
    createdBy: creator.actorId,
    createdAt: now,
    expiresAt: input.expiresAt ?? null,
    revokedAt: null,
    lastUsedAt: null,
  };
  await deps.store.change(creator.tenantId, async (tx) => {
    await tx.insertApiKey({ ...apiKey, keyHash });
    tx.emit(apiKeyChanged(apiKey, 'created'));
  });
  return { apiKey, key };
}

export async function revokeApiKey(deps: ApiKeyDeps, tenantId: string, id: string): Promise<ApiKey> {
  const revoked = await deps.store.change(tenantId, async (tx) => {
    const key = await tx.revokeApiKey(id, deps.now());
    if (!key) throw new NotFoundError(`API key ${id} not found`);
    tx.emit(apiKeyChanged(key, 'revoked'));
    return key;
  });
  await deps.access.apiKeyChanged(tenantId, id);
  return revoked;
}
