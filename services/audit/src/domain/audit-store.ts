import type { ChainVerdict } from './hash-chain.js';
import type { AuditCursor, AuditFilter, AuditPage } from './types.js';

/** What the gRPC handlers (and the operators' tools) need from storage; src/db implements it with Prisma. */
export interface AuditStore {
  /** One page of the filtered trail, newest first by (occurred_at, id), after `after` when given. */
  query(filter: AuditFilter, page: { size: number; after?: AuditCursor | undefined }): Promise<AuditPage>;
  /** Walks the tenant's whole chain up to its head and says where it first breaks, if anywhere. */
  verifyTenantChain(tenantId: string): Promise<ChainVerdict>;
}
