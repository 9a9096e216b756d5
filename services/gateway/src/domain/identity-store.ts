/**
 * What the identity use cases need from storage; src/db implements it in SQL
 * on the gateway's database (schema `identity`), every transaction scoped to
 * one tenant for row-level security.
 */
import type { PendingEvent } from '@hms/platform/domain';
import type { Permission } from '@hms/proto';
import type { PlanName } from './plans.js';
import type { CustomRole } from './roles.js';
import type { ApiKey, RefreshTokenRecord, Session, Tenant, User, UserWithPassword } from './types.js';

export interface IdentityStore {
  /** Runs `fn` in one transaction of the tenant: its changes and their events commit together, or not at all. */
  change<T>(tenantId: string, fn: (tx: IdentityChanges) => Promise<T>): Promise<T>;
  /** Runs `fn` in one read-only transaction of the tenant. */
  read<T>(tenantId: string, fn: (tx: IdentityReads) => Promise<T>): Promise<T>;
}

export interface Page<T> {
  items: T[];
  /** The id to continue after; undefined on the last page. */
  next: string | undefined;
}

export interface IdentityReads {
  /** The user whose username or e-mail (lower-cased) this is. */
  findUserByLogin(identifier: string): Promise<UserWithPassword | undefined>;
  findUser(id: string): Promise<User | undefined>;
  listUsers(page: { limit: number; after?: string | undefined }): Promise<Page<User>>;
  countUsers(): Promise<number>;
  customRoles(): Promise<CustomRole[]>;
  findApiKey(id: string): Promise<(ApiKey & { keyHash: Buffer }) | undefined>;
  listApiKeys(page: { limit: number; after?: string | undefined }): Promise<Page<ApiKey>>;
  findSession(id: string): Promise<Session | undefined>;
}

export interface IdentityChanges extends IdentityReads {
  /** Adds events to the transaction (written to the outbox just before it commits). */
  emit(...events: PendingEvent[]): void;
  /** Moves the tenant's permissions version on; returns the new one. */
  bumpPermissionsVersion(): Promise<number>;
  /** Inserts a user; false when the username or e-mail is taken in the tenant. */
  insertUser(user: UserWithPassword): Promise<boolean>;
  /** Saves a user's profile, roles and status (and password hash when given); false when the e-mail is taken. */
  updateUser(user: User, passwordHash?: string): Promise<boolean>;
  /** Ends every open session of the user; returns their ids. */
  revokeUserSessions(userId: string, reason: string, at: Date): Promise<string[]>;
  insertSession(session: Session & { ip: string; userAgent: string }): Promise<void>;
  revokeSession(id: string, reason: string, at: Date): Promise<boolean>;
  /** The refresh token with its session and user, locked until the transaction ends. */
  lockRefreshToken(id: string): Promise<{ token: RefreshTokenRecord; session: Session; user: User } | undefined>;
  markRefreshTokenUsed(id: string, at: Date): Promise<void>;
  insertRefreshToken(token: RefreshTokenRecord & { tenantId: string; createdAt: Date }): Promise<void>;
  /** Creates or replaces one of the tenant's own roles. */
  saveRole(role: CustomRole, at: Date): Promise<'created' | 'updated'>;
  deleteRole(name: string): Promise<boolean>;
  /** Users holding the role (none may, for it to be deleted). */
  countUsersWithRole(name: string): Promise<number>;
  insertApiKey(key: ApiKey & { keyHash: Buffer }): Promise<void>;
  revokeApiKey(id: string, at: Date): Promise<ApiKey | undefined>;
  /** Last-used times of API keys, as gathered in memory since the last call. */
  touchApiKeys(used: ReadonlyMap<string, Date>): Promise<void>;
}

/** Tenants themselves: the registry, read before any tenant is known (a login names its tenant by slug). */
export interface TenantDirectory {
  find(id: string): Promise<Tenant | undefined>;
  findBySlug(slug: string): Promise<Tenant | undefined>;
  platformTenant(): Promise<Tenant | undefined>;
  list(page: { limit: number; after?: string | undefined }): Promise<Page<Tenant>>;
  /**
   * Creates a tenant and its first administrator in one transaction (with the
   * tenant.changed and user.changed events); false when the name or slug is taken.
   */
  create(tenant: Tenant, admin: UserWithPassword, events: (tenant: Tenant) => PendingEvent[]): Promise<boolean>;
  /** Changes plan or status, with its event, in one transaction; the tenant as it is now. */
  update(
    id: string,
    change: { plan?: PlanName | undefined; status?: Tenant['status'] | undefined },
    events: (tenant: Tenant) => PendingEvent[],
  ): Promise<Tenant | undefined>;
}

/**
 * Tells every gateway, after a change committed, to forget what it cached
 * about it: a tenant (plan, status, permissions version), a session (ended),
 * an API key (revoked). Within a second everywhere.
 */
export interface AccessInvalidation {
  tenantChanged(tenantId: string): Promise<void>;
  sessionEnded(tenantId: string, sessionId: string): Promise<void>;
  apiKeyChanged(tenantId: string, apiKeyId: string): Promise<void>;
}

/** Argon2id, as src/auth/passwords.ts does it: slow on purpose, so never on a hot path. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the time of a verification without a hash: an unknown user costs what a known one does. */
  waste(password: string): Promise<void>;
}

export type { Permission };
