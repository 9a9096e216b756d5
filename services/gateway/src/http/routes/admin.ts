/**
 * A tenant's administration, for its own administrators:
 *
 *   /admin/users, /admin/users/{id}     users and their roles   (users.manage)
 *   /admin/roles, /admin/roles/{name}   the tenant's own roles  (roles.manage)
 *   /admin/api-keys, /admin/api-keys/{id}  integrations' keys   (api_keys.manage)
 *   /admin/quota                        plan, quotas and use    (tenant.read)
 *
 * and the platform's, for its operators (PLATFORM_ADMIN of the platform tenant):
 *
 *   /admin/tenants, /admin/tenants/{id} create, change plan, suspend (platform.tenants.manage)
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { decodeCursor, encodeCursor, idCursor } from '@hms/platform';
import type { QuotaName } from '@hms/proto';
import { createApiKey, revokeApiKey, type ApiKeyDeps } from '../../domain/api-keys.js';
import { deleteRole, listRoles, saveRole, type RoleAdminDeps } from '../../domain/custom-roles.js';
import type { IdentityStore, TenantDirectory } from '../../domain/identity-store.js';
import { PLAN_NAMES } from '../../domain/plans.js';
import { quotaReport } from '../../domain/quota.js';
import { createTenant, updateTenant, type TenantAdminDeps } from '../../domain/tenants.js';
import type { ApiKey, Tenant, User } from '../../domain/types.js';
import { createUser, getUser, updateUser, type UserAdminDeps } from '../../domain/users.js';
import { API_PREFIX } from '../api-prefix.js';
import { identityOf } from '../auth.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { HttpProblem } from '../problem.js';
import { cursor, instant, limit, parseInput, uuid } from './validation.js';

const noQuery = z.object({}).strict();
const pageQuery = z.object({ limit, cursor }).strict();
const text = (max: number) => z.string({ error: 'must be a string' }).min(1, { error: 'required' }).max(max);
const username = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z0-9][a-z0-9._-]{1,63}$/i, { error: 'must be 2 to 64 letters, digits, dots, dashes or underscores' });
const email = z.email({ error: 'must be an e-mail address' }).max(254);
const roles = z.array(z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, { error: 'must be a role name' })).max(20);
const permissions = z.array(z.string().max(64)).max(64);
const roleName = z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, {
  error: 'must be 2 to 40 upper-case letters, digits or underscores, starting with a letter',
});
const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, {
  error: 'must be 2 to 63 lower-case letters, digits or dashes',
});

export const listRequest = { query: pageQuery };
export const createUserRequest = {
  query: noQuery,
  body: z
    .object({
      username,
      email: email.optional(),
      displayName: z.string().max(200).optional(),
      password: z.string({ error: 'must be a string' }).max(1024),
      roles,
    })
    .strict(),
};
export const userIdRequest = { params: z.object({ id: uuid }), query: noQuery };
export const updateUserRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z
    .object({
      email: email.nullable().optional(),
      displayName: z.string().max(200).optional(),
      roles: roles.optional(),
      status: z.enum(['active', 'disabled'], { error: 'must be active or disabled' }).optional(),
      password: z.string({ error: 'must be a string' }).max(1024).optional(),
    })
    .strict(),
};
export const saveRoleRequest = {
  params: z.object({ name: roleName }),
  query: noQuery,
  body: z.object({ description: z.string().max(500).optional(), permissions }).strict(),
};
export const roleNameRequest = { params: z.object({ name: roleName }), query: noQuery };
export const createApiKeyRequest = {
  query: noQuery,
  body: z.object({ name: text(100), permissions, expiresAt: instant.optional() }).strict(),
};
export const apiKeyIdRequest = { params: z.object({ id: uuid }), query: noQuery };
export const createTenantRequest = {
  query: noQuery,
  body: z
    .object({
      name: text(200),
      slug,
      plan: z.enum(PLAN_NAMES, { error: `must be one of ${PLAN_NAMES.join(', ')}` }),
      admin: z
        .object({ username, email: email.optional(), password: z.string({ error: 'must be a string' }).max(1024) })
        .strict(),
    })
    .strict(),
};
export const tenantIdRequest = { params: z.object({ id: uuid }), query: noQuery };
export const updateTenantRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z
    .object({
      plan: z.enum(PLAN_NAMES, { error: `must be one of ${PLAN_NAMES.join(', ')}` }).optional(),
      status: z.enum(['active', 'suspended'], { error: 'must be active or suspended' }).optional(),
    })
    .strict()
    .refine((b) => b.plan !== undefined || b.status !== undefined, { path: ['plan'], error: 'give plan or status' }),
};

export interface AdminRouteDeps {
  users: UserAdminDeps;
  roles: RoleAdminDeps;
  apiKeys: ApiKeyDeps;
  tenantAdmin: TenantAdminDeps;
  store: IdentityStore;
  tenants: TenantDirectory;
  /** The tenant's use, counted by the services holding what is counted (and users here). */
  usage(tenantId: string): Promise<Partial<Record<QuotaName, number>>>;
}

export function userJson(u: User) {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    displayName: u.displayName,
    status: u.status.toLowerCase(),
    roles: u.roles,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

export function apiKeyJson(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    permissions: k.permissions,
    createdBy: k.createdBy,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  };
}

export function tenantJson(t: Tenant) {
  return {
    id: t.id,
    name: t.name,
    slug: t.slug,
    plan: t.plan,
    status: t.status.toLowerCase(),
    rateLimitMultiplier: t.rateLimitMultiplier,
  };
}

/** `guards` run first on every route: who is asking, their budgets, JSON body, no NUL. */
export function adminRoutes(deps: AdminRouteDeps, guards: RequestHandler[]): Router {
  const router = Router();
  const base = `${API_PREFIX}/admin`;

  router
    .route(`${base}/users`)
    .all(...guards)
    .get(requires('users.manage'), async (req, res) => {
      const { query } = parseInput(req, listRequest);
      const { tenant } = identityOf(res);
      const page = await deps.store.read(tenant.id, (tx) =>
        tx.listUsers({ limit: query.limit ?? 50, after: afterOf(query.cursor) }),
      );
      res.json({ data: page.items.map(userJson), nextCursor: page.next ? cursorOf(page.next) : null });
    })
    .post(requires('users.manage'), async (req, res) => {
      const { body } = parseInput(req, createUserRequest);
      const { tenant } = identityOf(res);
      const user = await createUser(deps.users, tenant.id, body);
      res
        .location(`${base}/users/${user.id}`)
        .status(201)
        .json({ user: userJson(user) });
    })
    .all(methodNotAllowed('GET', 'POST'));

  router
    .route(`${base}/users/:id`)
    .all(...guards)
    .get(requires('users.manage'), async (req, res) => {
      const { params } = parseInput(req, userIdRequest);
      res.json({ user: userJson(await getUser(deps.users, identityOf(res).tenant.id, params.id)) });
    })
    .patch(requires('users.manage'), async (req, res) => {
      const { params, body } = parseInput(req, updateUserRequest);
      const identity = identityOf(res);
      const user = await updateUser(deps.users, identity.tenant.id, identity.caller.actorId, params.id, {
        ...body,
        status: body.status === undefined ? undefined : body.status === 'active' ? 'ACTIVE' : 'DISABLED',
      });
      res.json({ user: userJson(user) });
    })
    .all(methodNotAllowed('GET', 'PATCH'));

  router
    .route(`${base}/roles`)
    .all(...guards)
    .get(requires('roles.manage'), async (req, res) => {
      parseInput(req, { query: noQuery });
      res.json({ data: await listRoles(deps.roles, identityOf(res).tenant.id) });
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${base}/roles/:name`)
    .all(...guards)
    .put(requires('roles.manage'), async (req, res) => {
      const { params, body } = parseInput(req, saveRoleRequest);
      res.json({ role: await saveRole(deps.roles, identityOf(res).tenant.id, { name: params.name, ...body }) });
    })
    .delete(requires('roles.manage'), async (req, res) => {
      const { params } = parseInput(req, roleNameRequest);
      await deleteRole(deps.roles, identityOf(res).tenant.id, params.name);
      res.status(204).end();
    })
    .all(methodNotAllowed('PUT', 'DELETE'));

  router
    .route(`${base}/api-keys`)
    .all(...guards)
    .get(requires('api_keys.manage'), async (req, res) => {
      const { query } = parseInput(req, listRequest);
      const { tenant } = identityOf(res);
      const page = await deps.store.read(tenant.id, (tx) =>
        tx.listApiKeys({ limit: query.limit ?? 50, after: afterOf(query.cursor) }),
      );
      res.json({ data: page.items.map(apiKeyJson), nextCursor: page.next ? cursorOf(page.next) : null });
    })
    .post(requires('api_keys.manage'), async (req, res) => {
      const { body } = parseInput(req, createApiKeyRequest);
      const identity = identityOf(res);
      const { apiKey, key } = await createApiKey(
        deps.apiKeys,
        { tenantId: identity.tenant.id, actorId: identity.caller.actorId, permissions: identity.permissions },
        {
          name: body.name,
          permissions: body.permissions,
          expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined,
        },
      );
      res.set('cache-control', 'no-store');
      // The key itself is shown this once; only its HMAC is kept.
      res
        .location(`${base}/api-keys/${apiKey.id}`)
        .status(201)
        .json({ apiKey: apiKeyJson(apiKey), key });
    })
    .all(methodNotAllowed('GET', 'POST'));

  router
    .route(`${base}/api-keys/:id`)
    .all(...guards)
    .delete(requires('api_keys.manage'), async (req, res) => {
      const { params } = parseInput(req, apiKeyIdRequest);
      const key = await revokeApiKey(deps.apiKeys, identityOf(res).tenant.id, params.id);
      res.json({ apiKey: apiKeyJson(key) });
    })
    .all(methodNotAllowed('DELETE'));

  router
    .route(`${base}/quota`)
    .all(...guards)
    .get(requires('tenant.read'), async (req, res) => {
      parseInput(req, { query: noQuery });
      const { tenant } = identityOf(res);
      res.json(quotaReport(tenant.plan, tenant.rateLimitMultiplier, await deps.usage(tenant.id)));
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${base}/tenants`)
    .all(...guards)
    .get(requires('platform.tenants.manage'), async (req, res) => {
      const { query } = parseInput(req, listRequest);
      const page = await deps.tenants.list({ limit: query.limit ?? 50, after: afterOf(query.cursor) });
      res.json({ data: page.items.map(tenantJson), nextCursor: page.next ? cursorOf(page.next) : null });
    })
    .post(requires('platform.tenants.manage'), async (req, res) => {
      const { body } = parseInput(req, createTenantRequest);
      const { tenant, admin } = await createTenant(deps.tenantAdmin, body);
      res
        .location(`${base}/tenants/${tenant.id}`)
        .status(201)
        .json({ tenant: tenantJson(tenant), admin: userJson(admin) });
    })
    .all(methodNotAllowed('GET', 'POST'));

  router
    .route(`${base}/tenants/:id`)
    .all(...guards)
    .get(requires('platform.tenants.manage'), async (req, res) => {
      const { params } = parseInput(req, tenantIdRequest);
      const tenant = await deps.tenants.find(params.id);
      if (!tenant) throw new HttpProblem(404, 'not-found', `tenant ${params.id} not found`);
      res.json({ tenant: tenantJson(tenant) });
    })
    .patch(requires('platform.tenants.manage'), async (req, res) => {
      const { params, body } = parseInput(req, updateTenantRequest);
      const tenant = await updateTenant(deps.tenantAdmin, params.id, {
        plan: body.plan,
        status: body.status === undefined ? undefined : body.status === 'active' ? 'ACTIVE' : 'SUSPENDED',
      });
      res.json({ tenant: tenantJson(tenant) });
    })
    .all(methodNotAllowed('GET', 'PATCH'));

  return router;
}

/** Cursors of these lists: the platform's keyset cursors over the id. */
const cursorOf = (id: string) => encodeCursor({ id });
const afterOf = (cursor: string | undefined) => (cursor === undefined ? undefined : decodeCursor(idCursor, cursor).id);
