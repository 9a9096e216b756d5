/**
 * A tenant's own roles (`/admin/roles`): a name of its choosing (not a
 * built-in one) for a set of permissions from the catalogue. Any change moves
 * the tenant's permissions version: within a second every gateway grants what
 * the role grants now. A role still held by a user cannot be deleted.
 */
import { ConflictError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@hms/platform/domain';
import { roleChanged } from './events.js';
import type { AccessInvalidation, IdentityStore } from './identity-store.js';
import { BUILTIN_ROLES, isBuiltinRole, normalizePermissions, unknownPermissions, type CustomRole } from './roles.js';

export interface RoleAdminDeps {
  store: IdentityStore;
  access: AccessInvalidation;
  now: () => Date;
}

export interface RoleView extends CustomRole {
  builtin: boolean;
}

export async function listRoles(deps: Pick<RoleAdminDeps, 'store'>, tenantId: string): Promise<RoleView[]> {
  const custom = await deps.store.read(tenantId, (tx) => tx.customRoles());
  const builtin = Object.entries(BUILTIN_ROLES)
    .filter(([name]) => name !== 'PLATFORM_ADMIN')
    .map(([name, permissions]) => ({ name, description: 'built in', permissions: [...permissions], builtin: true }));
  return [...builtin, ...custom.map((r) => ({ ...r, builtin: false }))];
}

export async function saveRole(
  deps: RoleAdminDeps,
  tenantId: string,
  role: { name: string; description?: string | undefined; permissions: string[] },
): Promise<RoleView> {
  if (isBuiltinRole(role.name)) {
    throw new FailedPreconditionError('built-in roles cannot be changed', [
      { field: 'name', message: 'is a built-in role; choose another name' },
    ]);
  }
  const unknown = unknownPermissions(role.permissions);
  if (unknown.length > 0) {
    throw new InvalidArgumentError('unknown permissions', [
      { field: 'permissions', message: `not in the catalogue: ${unknown.join(', ')}` },
    ]);
  }
  const permissions = normalizePermissions(role.permissions);
  if (permissions.some((p) => p.startsWith('platform.'))) {
    throw new InvalidArgumentError('platform permissions belong to the platform tenant', [
      { field: 'permissions', message: 'platform.* cannot be granted by a tenant role' },
    ]);
  }
  const saved: CustomRole = { name: role.name, description: role.description ?? '', permissions };
  await deps.store.change(tenantId, async (tx) => {
    const change = await tx.saveRole(saved, deps.now());
    await tx.bumpPermissionsVersion();
    tx.emit(roleChanged(tenantId, saved, change));
  });
  await deps.access.tenantChanged(tenantId);
  return { ...saved, builtin: false };
}

export async function deleteRole(deps: RoleAdminDeps, tenantId: string, name: string): Promise<void> {
  if (isBuiltinRole(name)) {
    throw new FailedPreconditionError('built-in roles cannot be deleted', [{ field: 'name', message: 'built in' }]);
  }
  await deps.store.change(tenantId, async (tx) => {
    const holders = await tx.countUsersWithRole(name);
    if (holders > 0) {
      throw new ConflictError(`the role is held by ${holders} user(s); take it from them first`, [
        { field: 'name', message: `held by ${holders} user(s)` },
      ]);
    }
    if (!(await tx.deleteRole(name))) throw new NotFoundError(`role ${name} not found`);
    await tx.bumpPermissionsVersion();
    tx.emit(roleChanged(tenantId, { name, permissions: [] }, 'deleted'));
  });
  await deps.access.tenantChanged(tenantId);
}
