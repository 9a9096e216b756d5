/** Searching a tenant's trail: by entity, actor or patient, within a time window, page by page. */
import { InvalidArgumentError, type FieldViolation } from '@hms/platform/domain';
import type { AuditStore } from './audit-store.js';
import type { AuditCursor, AuditFilter, AuditPage } from './types.js';

export async function searchTrail(
  store: AuditStore,
  query: { filter: AuditFilter; size: number; after?: AuditCursor | undefined },
): Promise<AuditPage> {
  const { filter } = query;
  const violations: FieldViolation[] = [];
  if (!filter.entityId && !filter.actorId && !filter.patientId && !filter.from && !filter.to) {
    violations.push({ field: 'entityId', message: 'give at least one of entityId, actorId, patientId, from, to' });
  }
  if (filter.from && filter.to && filter.from > filter.to) {
    violations.push({ field: 'to', message: 'must not be before from' });
  }
  if (violations.length > 0) throw new InvalidArgumentError('invalid request', violations);
  return store.search(filter, { size: query.size, after: query.after });
}
