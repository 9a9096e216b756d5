/**
 * Everything a request's authorization reads, cached the same way: an
 * in-process LRU over Redis over the database (the platform's read-through
 * cache, packages/platform/src/cache.ts, told of changes through Redis pub/sub),
 * so that a request costs no database round trip and no Redis round trip
 * either, once warm.
 *
 * - tenant (plan, status, permissions version): invalidated on change.
 * - a tenant's own roles, and a user's roles and status, at one permissions
 *   version: never change, so never invalidated; a change moves the version
 *   (and invalidates the tenant), after which they are read afresh.
 * - sessions (ended?) and API keys (revoked?): invalidated on change.
 *
 * So a revoked permission, a suspended tenant, an ended session or a revoked
 * key stop working on every gateway as fast as Redis pub/sub delivers (ms; the
 * integration test asserts within 1 s with two gateways).
 */
import {
  createReadThroughCache,
  type CacheInvalidations,
  type Logger,
  type Metrics,
  type ReadThroughCacheOptions,
  type Redis,
} from '@hms/platform';
import type { Permission } from '@hms/proto';
import { LRUCache } from 'lru-cache';
import type { AccessInvalidation, IdentityStore, TenantDirectory } from '../domain/identity-store.js';
import { permissionsOf, type CustomRole } from '../domain/roles.js';
import type { Tenant, User } from '../domain/types.js';

export interface SessionState {
  userId: string;
  ended: boolean;
  expiresAt: number;
}

export interface ApiKeyState {
  keyHash: string;
  permissions: Permission[];
  revoked: boolean;
  expiresAt: number | null;
}

export interface Access extends AccessInvalidation {
  tenant(id: string): Promise<Tenant | undefined>;
  /** The user's roles and status at the tenant's current permissions version. */
  user(tenant: Tenant, userId: string): Promise<Pick<User, 'roles' | 'status'> | undefined>;
  session(tenantId: string, sessionId: string): Promise<SessionState | undefined>;
  apiKey(tenantId: string, id: string): Promise<ApiKeyState | undefined>;
  /** What a set of roles grants in the tenant now. */
  permissions(tenant: Tenant, roles: readonly string[]): Promise<ReadonlySet<Permission>>;
}

export function createAccess(options: {
  redis: Redis;
  invalidations: CacheInvalidations;
  tenants: TenantDirectory;
  store: IdentityStore;
  ttlMs: number;
  metrics: Metrics;
  logger: Logger;
}): Access {
  const common = {
    redis: options.redis,
    invalidations: options.invalidations,
    ttlMs: options.ttlMs,
    // While Redis (and so invalidations) is away, an entry is kept a second, not the TTL.
    degradedTtlMs: 1_000,
    // These rows carry no version: the invalidation's generation alone keeps old values out.
    versionOf: () => 0,
    registry: options.metrics.registry,
    logger: options.logger,
  } satisfies Partial<ReadThroughCacheOptions<object>>;
  const split = (key: string) => key.split(':') as [string, string, string?];
  const tenants = createReadThroughCache<Tenant>({ ...common, name: 'tenant', load: (id) => options.tenants.find(id) });
  const roles = createReadThroughCache<CustomRole[]>({
    ...common,
    name: 'roles',
    load: (key) => options.store.read(split(key)[0], (tx) => tx.customRoles()),
  });
  const users = createReadThroughCache<Pick<User, 'roles' | 'status'>>({
    ...common,
    name: 'user',
    load: async (key) => {
      const [tenantId, userId] = split(key);
      const user = await options.store.read(tenantId, (tx) => tx.findUser(userId));
      return user && { roles: user.roles, status: user.status };
    },
  });
  const sessions = createReadThroughCache<SessionState>({
    ...common,
    name: 'session',
    load: async (key) => {
      const [tenantId, sessionId] = split(key);
      const session = await options.store.read(tenantId, (tx) => tx.findSession(sessionId));
      return (
        session && { userId: session.userId, ended: session.revokedAt !== null, expiresAt: session.expiresAt.getTime() }
      );
    },
  });
  const apiKeys = createReadThroughCache<ApiKeyState>({
    ...common,
    name: 'api-key',
    load: async (key) => {
      const [tenantId, id] = split(key);
      const found = await options.store.read(tenantId, (tx) => tx.findApiKey(id));
      return (
        found && {
          keyHash: found.keyHash.toString('hex'),
          permissions: found.permissions,
          revoked: found.revokedAt !== null,
          expiresAt: found.expiresAt?.getTime() ?? null,
        }
      );
    },
  });
  // What a set of roles grants at a permissions version never changes: remembered per process.
  const granted = new LRUCache<string, ReadonlySet<Permission>>({ max: 10_000 });

  return {
    tenant: (id) => tenants.get(id),
    user: (tenant, userId) => users.get(`${tenant.id}:${userId}:${tenant.permissionsVersion}`),
    session: (tenantId, sessionId) => sessions.get(`${tenantId}:${sessionId}`),
    apiKey: (tenantId, id) => apiKeys.get(`${tenantId}:${id}`),
    async permissions(tenant, held) {
      const key = `${tenant.id}:${tenant.permissionsVersion}:${held.join(',')}`;
      let set = granted.get(key);
      if (!set) {
        const custom = (await roles.get(`${tenant.id}:${tenant.permissionsVersion}`)) ?? [];
        set = permissionsOf(held, new Map(custom.map((r) => [r.name, r])));
        // The platform's own permissions count only in the platform tenant, whatever a token names.
        if (!tenant.isPlatform) set = new Set([...set].filter((p) => !p.startsWith('platform.')));
        granted.set(key, set);
      }
      return set;
    },
    tenantChanged: (tenantId) => tenants.invalidate(tenantId),
    sessionEnded: (tenantId, sessionId) => sessions.invalidate(`${tenantId}:${sessionId}`),
    apiKeyChanged: (tenantId, id) => apiKeys.invalidate(`${tenantId}:${id}`),
  };
}
