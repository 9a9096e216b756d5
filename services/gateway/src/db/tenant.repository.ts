/** Tenants, as the gateway's identity schema keeps them. */
import type { Database } from '@hms/platform';

export interface Tenant {
  id: string;
  name: string;
  status: 'ACTIVE' | 'SUSPENDED';
  plan: 'STANDARD' | 'ENTERPRISE';
}

export interface TenantRepository {
  find(id: string): Promise<Tenant | undefined>;
  /** Creates the tenant, or renames it when it exists (for seeding). */
  upsert(tenant: { id: string; name: string }): Promise<Tenant>;
}

// A tenant row is not scoped to a tenant: it is the tenant.
const UNSCOPED = null;

export function createTenantRepository(db: Database): TenantRepository {
  return {
    find: (id) =>
      db.read(UNSCOPED, async (sql) => {
        const [row] = await sql.query<Tenant>('SELECT id, name, status, plan FROM tenants WHERE id = $1', [id]);
        return row;
      }),
    upsert: ({ id, name }) =>
      db.transaction(UNSCOPED, async (tx) => {
        const [row] = await tx.query<Tenant>(
          `INSERT INTO tenants (id, name) VALUES ($1, $2)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name
           RETURNING id, name, status, plan`,
          [id, name],
        );
        if (!row) throw new Error('tenant upsert returned no row');
        return row;
      }),
  };
}
