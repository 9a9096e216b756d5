/** gRPC AuditService: translates proto messages to trail searches and verifications, and back. */
import {
  MAX_PAGE_SIZE,
  pageSizeOf,
  parseRequest,
  type MethodPermissions,
  type UnaryImplementation,
} from '@hms/platform';
import {
  fromTimestamp,
  toTimestamp,
  type AuditRecord as AuditRecordMessage,
  type AuditServiceHandlers,
  type ChainProblem as ChainProblemName,
} from '@hms/proto';
import { z } from 'zod';
import type { AuditStore } from '../domain/audit-store.js';
import type { ChainProblem } from '../domain/hash-chain.js';
import type { TrailKeys } from '../domain/keyring.js';
import { searchTrail } from '../domain/search-trail.js';
import type { AuditRecord } from '../domain/types.js';
import { verifyTrail } from '../domain/verify-trail.js';
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

const verifyRequest = z.object({ from: z.date().optional(), to: z.date().optional() });

const PROBLEMS: Record<ChainProblem, ChainProblemName> = {
  'missing-record': 'CHAIN_PROBLEM_MISSING_RECORD',
  'extra-record': 'CHAIN_PROBLEM_EXTRA_RECORD',
  'altered-record': 'CHAIN_PROBLEM_ALTERED_RECORD',
  'broken-link': 'CHAIN_PROBLEM_BROKEN_LINK',
  'unknown-key': 'CHAIN_PROBLEM_UNKNOWN_KEY',
  'checkpoint-mismatch': 'CHAIN_PROBLEM_CHECKPOINT_MISMATCH',
  'forged-checkpoint': 'CHAIN_PROBLEM_FORGED_CHECKPOINT',
  truncated: 'CHAIN_PROBLEM_TRUNCATED',
  'head-mismatch': 'CHAIN_PROBLEM_HEAD_MISMATCH',
};

/** What a caller must be allowed to do for each method (checked before the handler runs). */
export const auditPermissions = {
  QueryAuditLog: 'audit.read',
  VerifyTrail: 'audit.verify',
} satisfies MethodPermissions<AuditServiceHandlers>;

export function auditHandlers(deps: {
  store: AuditStore;
  keys: TrailKeys;
  /** Most records one VerifyTrail call may check. */
  maxVerifyRecords: number;
}): UnaryImplementation<AuditServiceHandlers> {
  return {
    async VerifyTrail(request, ctx) {
      const input = parseRequest(verifyRequest, {
        from: request.from ? fromTimestamp(request.from) : undefined,
        to: request.to ? fromTimestamp(request.to) : undefined,
      });
      const report = await verifyTrail(deps.store, deps.keys, {
        tenantId: ctx.tenantId,
        from: input.from,
        to: input.to,
        maxRecords: deps.maxVerifyRecords,
      });
      return {
        intact: report.intact,
        checked: report.checked,
        firstSeq: report.firstSeq,
        lastSeq: report.lastSeq,
        anchoredSeq: report.anchoredSeq,
        brokenSeq: report.break?.brokenSeq ?? 0,
        problem: report.break ? PROBLEMS[report.break.problem] : 'CHAIN_PROBLEM_UNSPECIFIED',
        reason: report.break?.reason ?? '',
      };
    },

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
    seq: r.seq,
    chainKeyId: r.keyId,
  };
}
