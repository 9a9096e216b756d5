/**
 * Tenants, as the gateway's identity schema keeps them: the registry read
 * before any tenant is known (a login names its tenant by slug), so the
 * `tenants` table has no row-level security. Changes that touch a tenant's own
 * rows as well (its first administrator) run scoped to that tenant.
 */
import type { Database, PendingEvent, Sql } from '@hms/platform';
import type { Page, TenantDirectory } from '../domain/identity-store.js';
import type { PlanName } from '../domain/plans.js';
import type { Tenant, UserWithPassword } from '../domain/types.js';

// A tenant row is not scoped to a tenant: it is the tenant.
const UNSCOPED = null;

interface TenantRow {
  id: string;
  name: string;
  slug: string;
  status: Tenant['status'];
  plan: PlanName;
  permissions_version: string;
  rate_limit_multiplier: number;
  is_platform: boolean;
}
const COLUMNS = 'id, name, slug, status, plan, permissions_version, rate_limit_multiplier, is_platform';

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    status: row.status,
    plan: row.plan,
    permissionsVersion: Number(row.permissions_version),
    rateLimitMultiplier: row.rate_limit_multiplier,
    isPlatform: row.is_platform,
  };
}

async function one(sql: Sql, where: string, values: unknown[]): Promise<Tenant | undefined> {
  const [row] = await sql.query<TenantRow>(`SELECT ${COLUMNS} FROM tenants WHERE ${where}`, values);
  return row && toTenant(row);
}

export interface TenantRepository extends TenantDirectory {
  /**
   * Creates the tenant, or renames it (and sets its slug, plan and contract
   * multiplier) when it exists: for the seeds, which also make its users.
   */
  upsert(tenant: {
    id: string;
    name: string;
    slug: string;
    plan: PlanName;
    rateLimitMultiplier: number;
    isPlatform?: boolean;
  }): Promise<Tenant>;
}

export function createTenantRepository(db: Database): TenantRepository {
  return {
    find: (id) => db.read(UNSCOPED, (sql) => one(sql, 'id = $1', [id])),
    findBySlug: (slug) => db.read(UNSCOPED, (sql) => one(sql, 'slug = $1', [slug])),
    platformTenant: () => db.read(UNSCOPED, (sql) => one(sql, 'is_platform', [])),
    list: ({ limit, after }) =>
      db.read(UNSCOPED, async (sql): Promise<Page<Tenant>> => {
        const rows = await sql.query<TenantRow>(
          `SELECT ${COLUMNS} FROM tenants WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2`,
          [after ?? null, limit + 1],
        );
        const items = rows.slice(0, limit).map(toTenant);
        return { items, next: rows.length > limit ? items.at(-1)?.id : undefined };
      }),
    create: (tenant, admin: UserWithPassword, events: (t: Tenant) => PendingEvent[]) =>
      // Scoped to the new tenant: its administrator's row has row-level security.
      db.transaction(tenant.id, async (tx) => {
        const inserted = await tx.query<TenantRow>(
          `INSERT INTO tenants (id, name, slug, status, plan, rate_limit_multiplier, is_platform)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
          [
            tenant.id,
            tenant.name,
            tenant.slug,
            tenant.status,
            tenant.plan,
            tenant.rateLimitMultiplier,
            tenant.isPlatform,
          ],
        );
        if (inserted.length === 0) return false;
        await tx.execute(
          `INSERT INTO users (id, tenant_id, username, email, display_name, password_hash, status, roles, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
          [
            admin.id,
            tenant.id,
            admin.username,
            admin.email,
            admin.displayName,
            admin.passwordHash,
            admin.status,
            admin.roles,
            admin.createdAt,
          ],
        );
        tx.emit(...events(toTenant(inserted[0]!)));
        return true;
      }),
    update: (id, change, events) =>
      db.transaction(id, async (tx) => {
        const [row] = await tx.query<TenantRow>(
          `UPDATE tenants SET plan = COALESCE($2, plan), status = COALESCE($3, status), updated_at = now()
           WHERE id = $1 RETURNING ${COLUMNS}`,
          [id, change.plan ?? null, change.status ?? null],
        );
        if (!row) return undefined;
        const tenant = toTenant(row);
        tx.emit(...events(tenant));
        return tenant;
      }),
    upsert: ({ id, name, slug, plan, rateLimitMultiplier, isPlatform }) =>
      db.transaction(UNSCOPED, async (tx) => {
        const [row] = await tx.query<TenantRow>(
          `INSERT INTO tenants (id, name, slug, plan, rate_limit_multiplier, is_platform) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, slug = EXCLUDED.slug, plan = EXCLUDED.plan,
             rate_limit_multiplier = EXCLUDED.rate_limit_multiplier, is_platform = EXCLUDED.is_platform, updated_at = now()
           RETURNING ${COLUMNS}`,
          [id, name, slug, plan, rateLimitMultiplier, isPlatform ?? false],
        );
        if (!row) throw new Error('tenant upsert returned no row');
        return toTenant(row);
      }),
  };
}
export type { Tenant } from '../domain/types.js';
