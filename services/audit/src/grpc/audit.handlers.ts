/** gRPC AuditService: translates proto messages to trail searches and back. */
import {
  InvalidArgumentError,
  MAX_PAGE_SIZE,
  pageSizeOf,
  parseRequest,
  type FieldViolation,
  type UnaryImplementation,
} from '@hms/platform';
import {
  fromTimestamp,
  toTimestamp,
  type AuditRecord as AuditRecordMessage,
  type AuditServiceHandlers,
} from '@hms/proto';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../domain/audit-query.js';
import type { AuditStore } from '../domain/audit-store.js';
import type { AuditRecord } from '../domain/types.js';

const optionalUuid = z.union([z.literal(''), z.uuid()]);
const queryRequest = z.object({
  // Entities and patients have UUIDs; actors are whatever their issuer calls them.
  entityId: optionalUuid,
  actorId: z.string().max(200),
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
      const violations: FieldViolation[] = [];
      if (!input.entityId && !input.actorId && !input.patientId && !input.from && !input.to) {
        violations.push({ field: 'entityId', message: 'give at least one of entityId, actorId, patientId, from, to' });
      }
      if (input.from && input.to && input.from > input.to) {
        violations.push({ field: 'to', message: 'must not be before from' });
      }
      if (violations.length > 0) throw new InvalidArgumentError('invalid request', violations);
      const page = await deps.store.query(
        {
          tenantId: ctx.tenantId,
          // Entity ids are text; UUIDs among them are stored in lower case.
          entityId: input.entityId.toLowerCase() || undefined,
          actorId: input.actorId || undefined,
          patientId: input.patientId || undefined,
          from: input.from,
          to: input.to,
        },
        {
          size: pageSizeOf(input.pageSize),
          after: input.cursor ? decodeCursor(input.cursor) : undefined,
        },
      );
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
