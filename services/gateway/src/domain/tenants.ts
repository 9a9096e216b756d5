/**
 * Tenants, as platform operators manage them (`/admin/tenants`, PLATFORM_ADMIN
 * of the platform tenant only): created with their first administrator, moved
 * to another plan (every gateway applies its budgets within a second),
 * suspended (every token of the tenant stops working within a second) and
 * resumed.
 */
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '@hms/platform/domain';
import { tenantChanged, userChanged } from './events.js';
import type { AccessInvalidation, PasswordHasher, TenantDirectory } from './identity-store.js';
import type { PlanName } from './plans.js';
import { passwordViolations } from './users.js';
import type { Tenant, User } from './types.js';

export interface TenantAdminDeps {
  tenants: TenantDirectory;
  passwords: PasswordHasher;
  access: AccessInvalidation;
  now: () => Date;
  newId: () => string;
}

export interface NewTenant {
  name: string;
  slug: string;
  plan: PlanName;
  admin: { username: string; email?: string | undefined; password: string };
}

export async function createTenant(deps: TenantAdminDeps, input: NewTenant): Promise<{ tenant: Tenant; admin: User }> {
  const username = input.admin.username.toLowerCase();
  const violations = passwordViolations(input.admin.password, username).map((v) => ({
    ...v,
    field: `admin.${v.field}`,
  }));
  if (violations.length > 0) throw new InvalidArgumentError('the password is not acceptable', violations);
  const passwordHash = await deps.passwords.hash(input.admin.password);
  const now = deps.now();
  const tenant: Tenant = {
    id: deps.newId(),
    name: input.name,
    slug: input.slug,
    status: 'ACTIVE',
    plan: input.plan,
    permissionsVersion: 1,
    rateLimitMultiplier: 1,
    isPlatform: false,
  };
  const admin: User = {
    id: deps.newId(),
    tenantId: tenant.id,
    username,
    email: input.admin.email?.toLowerCase() ?? null,
    displayName: '',
    status: 'ACTIVE',
    roles: ['ADMIN'],
    createdAt: now,
    updatedAt: now,
  };
  const created = await deps.tenants.create(tenant, { ...admin, passwordHash }, (t) => [
    tenantChanged(t, 'created'),
    userChanged(admin, 'created'),
  ]);
  if (!created) {
    throw new AlreadyExistsError('a tenant with this name or slug exists', [
      { field: 'slug', message: 'taken (or the name is)' },
    ]);
  }
  return { tenant, admin };
}

export async function updateTenant(
  deps: TenantAdminDeps,
  id: string,
  change: { plan?: PlanName | undefined; status?: Tenant['status'] | undefined },
): Promise<Tenant> {
  const before = await deps.tenants.find(id);
  if (!before) throw new NotFoundError(`tenant ${id} not found`);
  if (before.isPlatform && change.status === 'SUSPENDED') {
    throw new InvalidArgumentError('the platform tenant cannot be suspended', [
      { field: 'status', message: 'not for the platform tenant' },
    ]);
  }
  const after = await deps.tenants.update(id, change, (t) => {
    const events = [];
    if (change.plan !== undefined && t.plan !== before.plan) events.push(tenantChanged(t, 'plan_changed'));
    if (change.status !== undefined && t.status !== before.status) {
      events.push(tenantChanged(t, t.status === 'SUSPENDED' ? 'suspended' : 'resumed'));
    }
    return events;
  });
  if (!after) throw new NotFoundError(`tenant ${id} not found`);
  await deps.access.tenantChanged(id);
  return after;
}
