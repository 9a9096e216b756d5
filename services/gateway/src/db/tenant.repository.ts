/** Tenants, as the gateway's identity schema keeps them. */
import type { Database } from '@hms/platform';

export interface Tenant {
  id: string;
  name: string;
  status: 'ACTIVE' | 'SUSPENDED';
  plan: 'STANDARD' | 'ENTERPRISE';
  /** Requests per minute across all gateways; undefined: the gateway's default. */
  requestLimitPerMinute?: number | undefined;
}

export interface TenantRepository {
  find(id: string): Promise<Tenant | undefined>;
  /** Creates the tenant, or renames it (and sets its request limit) when it exists (for seeding). */
  upsert(tenant: { id: string; name: string; requestLimitPerMinute?: number | undefined }): Promise<Tenant>;
}

// A tenant row is not scoped to a tenant: it is the tenant.
const UNSCOPED = null;

interface TenantRow {
  id: string;
  name: string;
  status: Tenant['status'];
  plan: Tenant['plan'];
  request_limit_per_minute: number | null;
}
const COLUMNS = 'id, name, status, plan, request_limit_per_minute';

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    plan: row.plan,
    requestLimitPerMinute: row.request_limit_per_minute ?? undefined,
  };
}

export function createTenantRepository(db: Database): TenantRepository {
  return {
    find: (id) =>
      db.read(UNSCOPED, async (sql) => {
        const [row] = await sql.query<TenantRow>(`SELECT ${COLUMNS} FROM tenants WHERE id = $1`, [id]);
        return row && toTenant(row);
      }),
    upsert: ({ id, name, requestLimitPerMinute }) =>
      db.transaction(UNSCOPED, async (tx) => {
        const [row] = await tx.query<TenantRow>(
          `INSERT INTO tenants (id, name, request_limit_per_minute) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, request_limit_per_minute = EXCLUDED.request_limit_per_minute
           RETURNING ${COLUMNS}`,
          [id, name, requestLimitPerMinute ?? null],
        );
        if (!row) throw new Error('tenant upsert returned no row');
        return toTenant(row);
      }),
  };
}
