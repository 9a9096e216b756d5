/**
 * A tenant's users, as its administrators manage them (`/admin/users`):
 * created within the plan's quota, with roles that exist, a password of at
 * least 12 characters (kept as an argon2id hash). A change of roles or status
 * moves the tenant's permissions version, so every gateway stops using what it
 * cached within a second; disabling a user or setting a new password also ends
 * every session of theirs.
 */
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  QuotaExceededError,
  type FieldViolation,
} from '@hms/platform/domain';
import { userChanged, sessionEnded } from './events.js';
import type { AccessInvalidation, IdentityStore, PasswordHasher, TenantDirectory } from './identity-store.js';
import { PLANS } from './plans.js';
import { isBuiltinRole } from './roles.js';
import type { Tenant, User } from './types.js';

export interface UserAdminDeps {
  store: IdentityStore;
  tenants: TenantDirectory;
  passwords: PasswordHasher;
  access: AccessInvalidation;
  now: () => Date;
  newId: () => string;
}

export interface NewUser {
  username: string;
  email?: string | undefined;
  displayName?: string | undefined;
  password: string;
  roles: string[];
}

export interface UserChange {
  email?: string | null | undefined;
  displayName?: string | undefined;
  roles?: string[] | undefined;
  status?: User['status'] | undefined;
  password?: string | undefined;
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** Password rules: long enough to resist guessing, short enough to hash cheaply, not the username. */
export function passwordViolations(password: string, username: string): FieldViolation[] {
  if (password.length < PASSWORD_MIN_LENGTH) {
    return [{ field: 'password', message: `must be at least ${PASSWORD_MIN_LENGTH} characters` }];
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    return [{ field: 'password', message: `must be at most ${PASSWORD_MAX_LENGTH} characters` }];
  }
  if (password.toLowerCase().includes(username.toLowerCase())) {
    return [{ field: 'password', message: 'must not contain the username' }];
  }
  return [];
}

async function activeTenant(tenants: TenantDirectory, id: string): Promise<Tenant> {
  const tenant = await tenants.find(id);
  if (!tenant) throw new NotFoundError('no such tenant');
  return tenant;
}

/** Roles that neither exist in the tenant nor are built in (PLATFORM_ADMIN only in the platform tenant). */
function unknownRoles(roles: readonly string[], custom: ReadonlySet<string>, tenant: Tenant): string[] {
  return roles.filter((r) => !(isBuiltinRole(r) && (r !== 'PLATFORM_ADMIN' || tenant.isPlatform)) && !custom.has(r));
}

export async function createUser(deps: UserAdminDeps, tenantId: string, input: NewUser): Promise<User> {
  const tenant = await activeTenant(deps.tenants, tenantId);
  const username = input.username.toLowerCase();
  const violations = passwordViolations(input.password, username);
  if (violations.length > 0) throw new InvalidArgumentError('the password is not acceptable', violations);
  // Argon2 takes its time: before the transaction, never while holding it.
  const passwordHash = await deps.passwords.hash(input.password);
  const now = deps.now();
  const user: User = {
    id: deps.newId(),
    tenantId,
    username,
    email: input.email?.toLowerCase() ?? null,
    displayName: input.displayName ?? '',
    status: 'ACTIVE',
    roles: [...new Set(input.roles)],
    createdAt: now,
    updatedAt: now,
  };
  await deps.store.change(tenantId, async (tx) => {
    const limit = PLANS[tenant.plan].quotas.users;
    if (limit !== null && (await tx.countUsers()) >= limit) throw new QuotaExceededError('users', limit);
    const custom = new Set((await tx.customRoles()).map((r) => r.name));
    const unknown = unknownRoles(user.roles, custom, tenant);
    if (unknown.length > 0) {
      throw new FailedPreconditionError('no such role', [
        { field: 'roles', message: `unknown: ${unknown.join(', ')}` },
      ]);
    }
    if (!(await tx.insertUser({ ...user, passwordHash }))) {
      throw new AlreadyExistsError('the username or e-mail is taken in this tenant', [
        { field: 'username', message: 'taken (or the e-mail is)' },
      ]);
    }
    tx.emit(userChanged(user, 'created'));
  });
  return user;
}

export async function updateUser(
  deps: UserAdminDeps,
  tenantId: string,
  actorId: string,
  userId: string,
  change: UserChange,
): Promise<User> {
  const tenant = await activeTenant(deps.tenants, tenantId);
  if (userId === actorId && (change.status === 'DISABLED' || change.roles !== undefined)) {
    throw new FailedPreconditionError('administrators cannot change their own roles or disable themselves', [
      { field: change.roles !== undefined ? 'roles' : 'status', message: 'ask another administrator' },
    ]);
  }
  const existing = await deps.store.read(tenantId, (tx) => tx.findUser(userId));
  if (!existing) throw new NotFoundError(`user ${userId} not found`);
  if (change.password !== undefined) {
    const violations = passwordViolations(change.password, existing.username);
    if (violations.length > 0) throw new InvalidArgumentError('the password is not acceptable', violations);
  }
  const passwordHash = change.password === undefined ? undefined : await deps.passwords.hash(change.password);
  const now = deps.now();
  const result = await deps.store.change(tenantId, async (tx) => {
    const current = await tx.findUser(userId);
    if (!current) throw new NotFoundError(`user ${userId} not found`);
    const next: User = {
      ...current,
      ...(change.email !== undefined ? { email: change.email?.toLowerCase() ?? null } : {}),
      ...(change.displayName !== undefined ? { displayName: change.displayName } : {}),
      ...(change.roles !== undefined ? { roles: [...new Set(change.roles)] } : {}),
      ...(change.status !== undefined ? { status: change.status } : {}),
      updatedAt: now,
    };
    if (change.roles !== undefined) {
      const custom = new Set((await tx.customRoles()).map((r) => r.name));
      const unknown = unknownRoles(next.roles, custom, tenant);
      if (unknown.length > 0) {
        throw new FailedPreconditionError('no such role', [
          { field: 'roles', message: `unknown: ${unknown.join(', ')}` },
        ]);
      }
    }
    if (!(await tx.updateUser(next, passwordHash))) {
      throw new AlreadyExistsError('the e-mail is taken in this tenant', [{ field: 'email', message: 'taken' }]);
    }
    const accessChanged =
      (change.roles !== undefined && next.roles.join() !== current.roles.join()) || next.status !== current.status;
    if (accessChanged) await tx.bumpPermissionsVersion();
    const endSessions = next.status === 'DISABLED' || passwordHash !== undefined;
    const reason = passwordHash !== undefined ? 'password_changed' : 'user_disabled';
    const ended = endSessions ? await tx.revokeUserSessions(userId, reason, now) : [];
    tx.emit(userChanged(next, passwordHash !== undefined ? 'password_changed' : 'updated'));
    for (const sessionId of ended) tx.emit(sessionEnded(tenantId, userId, sessionId, reason));
    return { user: next, accessChanged, ended };
  });
  if (result.accessChanged) await deps.access.tenantChanged(tenantId);
  for (const sessionId of result.ended) await deps.access.sessionEnded(tenantId, sessionId);
  return result.user;
}

export async function getUser(deps: Pick<UserAdminDeps, 'store'>, tenantId: string, userId: string): Promise<User> {
  const user = await deps.store.read(tenantId, (tx) => tx.findUser(userId));
  if (!user) throw new NotFoundError(`user ${userId} not found`);
  return user;
}
