import type { Db } from './prisma.js';

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

export function createTenantRepository(db: Db): TenantRepository {
  return {
    async find(id) {
      const row = await db.tenant.findUnique({ where: { id } });
      return row ? { id: row.id, name: row.name, status: row.status, plan: row.plan } : undefined;
    },
    async upsert({ id, name }) {
      const row = await db.tenant.upsert({ where: { id }, create: { id, name }, update: { name } });
      return { id: row.id, name: row.name, status: row.status, plan: row.plan };
    },
  };
}
