/** gRPC AuditService: translates proto messages to trail searches and back. */
import { MAX_PAGE_SIZE, pageSizeOf, parseRequest, type UnaryImplementation } from '@hms/platform';
import {
  fromTimestamp,
  toTimestamp,
  type AuditRecord as AuditRecordMessage,
  type AuditServiceHandlers,
} from '@hms/proto';
import { z } from 'zod';
import type { AuditStore } from '../domain/audit-store.js';
import { searchTrail } from '../domain/search-trail.js';
import type { AuditRecord } from '../domain/types.js';
import { decodeCursor, encodeCursor } from './audit-cursor.js';

const optionalUuid = z.union([z.literal('').transform(() => undefined), z.uuid().transform((id) => id.toLowerCase())]);
const queryRequest = z.object({
  // Entities and patients have UUIDs (stored in lower case); actors are whatever their issuer calls them.
  entityId: optionalUuid,
  actorId: z
    .string()
    .max(200)
    .transform((id) => id || undefined),
  patientId: optionalUuid,
  from: z.date().optional(),
  to: z.date().optional(),
  pageSize: z.number().int().min(0).max(MAX_PAGE_SIZE),
  cursor: z.string(),
});

export function auditHandlers(deps: { store: AuditStore }): UnaryImplementation<AuditServiceHandlers> {
  return {
    async QueryAuditLog(request, ctx) {
      const input = parseRequest(queryRequest, {
        ...request,
        // An absent timestamp stays absent; a present one must be a real instant.
        from: request.from ? fromTimestamp(request.from) : undefined,
        to: request.to ? fromTimestamp(request.to) : undefined,
      });
      const page = await searchTrail(deps.store, {
        filter: {
          tenantId: ctx.tenantId,
          entityId: input.entityId,
          actorId: input.actorId,
          patientId: input.patientId,
          from: input.from,
          to: input.to,
        },
        size: pageSizeOf(input.pageSize),
        after: input.cursor ? decodeCursor(input.cursor) : undefined,
      });
      return { records: page.records.map(toMessage), nextCursor: page.next ? encodeCursor(page.next) : '' };
    },
  };
}

export function toMessage(r: AuditRecord): AuditRecordMessage {
  return {
    id: r.id,
    eventId: r.eventId,
    eventType: r.eventType,
    source: r.source,
    entityType: r.entityType,
    entityId: r.entityId,
    actorKind: r.actorKind,
    actorId: r.actorId,
    patientId: r.patientId ?? '',
    occurredAt: toTimestamp(r.occurredAt),
    recordedAt: toTimestamp(r.recordedAt),
    traceId: r.traceId,
    dataJson: JSON.stringify(r.data),
    prevHash: r.prevHash,
    hash: r.hash,
  };
}
