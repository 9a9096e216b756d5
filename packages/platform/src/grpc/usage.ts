/**
 * hms.usage.v1.UsageService, served by each service that holds something a
 * plan limits: it counts the tenant's use, and the gateway adds the counts of
 * all of them up for GET /admin/quota. Only the counting is the service's own.
 */
import { loadContracts, type QuotaName, type UsageServiceHandlers } from '@hms/proto';
import type { GrpcServer } from './server.js';

/** Counts the tenant's use of the quotas this service holds things of. */
export type TenantUsageCounter = (tenantId: string) => Promise<Partial<Record<QuotaName, number>>>;

export function serveTenantUsage(server: GrpcServer, count: TenantUsageCounter): void {
  server.addService<UsageServiceHandlers>(
    loadContracts().hms.usage.v1.UsageService.service,
    {
      async GetTenantUsage(_request, ctx) {
        const usage = await count(ctx.tenantId);
        return {
          usage: Object.entries(usage).map(([quota, used]) => ({ quota, used: used ?? 0 })),
        };
      },
    },
    { GetTenantUsage: 'tenant.read' },
  );
}
