/**
 * /audit: search the tenant's audit trail, newest first, paged (the audit
 * service wants at least one filter). /audit/verify: check that the trail (or
 * the records that occurred in a window) is intact, or where it first breaks.
 */
import { Router, type RequestHandler } from 'express';
import { toTimestamp } from '@hms/proto';
import { z } from 'zod';
import { API_PREFIX } from '../api-prefix.js';
import type { Backends } from '../backends.js';
import { auditRecordJson, trailVerificationJson } from '../json.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { cursor, instant, limit, parseInput, uuid } from './validation.js';

export const queryAuditRequest = {
  query: z
    .object({
      entityId: uuid.optional(),
      actorId: z.string({ error: 'must be a string' }).min(1).max(200).optional(),
      patientId: uuid.optional(),
      from: instant.optional(),
      to: instant.optional(),
      limit,
      cursor,
    })
    .strict(),
};

export const verifyTrailRequest = {
  query: z
    .object({ from: instant.optional(), to: instant.optional() })
    .strict()
    // Also runs when from or to is malformed; then it leaves the blame on that field alone.
    .refine((q) => !q.from || !q.to || !(Date.parse(q.from) >= Date.parse(q.to)), {
      path: ['to'],
      error: 'must be after from',
    }),
};

export function auditRoutes(
  backends: Backends,
  guards: RequestHandler[],
  options: { verifyDeadlineMs: number },
): Router {
  const router = Router();
  router
    .route(`${API_PREFIX}/audit`)
    .all(...guards)
    .get(requires('audit.read', { limit: 'search' }), async (req, res) => {
      const { query: q } = parseInput(req, queryAuditRequest);
      const page = await backends.audit.call.queryAuditLog({
        entityId: q.entityId ?? '',
        actorId: q.actorId ?? '',
        patientId: q.patientId ?? '',
        from: q.from ? toTimestamp(new Date(q.from)) : null,
        to: q.to ? toTimestamp(new Date(q.to)) : null,
        pageSize: q.limit ?? 0,
        cursor: q.cursor ?? '',
      });
      res.json({ data: page.records.map(auditRecordJson), nextCursor: page.nextCursor || null });
    })
    .all(methodNotAllowed('GET'));
  router
    .route(`${API_PREFIX}/audit/verify`)
    .all(...guards)
    .get(requires('audit.verify'), async (req, res) => {
      const { query: q } = parseInput(req, verifyTrailRequest);
      const result = await backends.audit.call.verifyTrail(
        {
          from: q.from ? toTimestamp(new Date(q.from)) : null,
          to: q.to ? toTimestamp(new Date(q.to)) : null,
        },
        { deadlineMs: options.verifyDeadlineMs },
      );
      res.json(trailVerificationJson(result));
    })
    .all(methodNotAllowed('GET'));
  return router;
}
