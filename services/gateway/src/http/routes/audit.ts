/** /audit: search the tenant's audit trail (at least one filter), newest first, paged. */
import { Router } from 'express';
import { API_PREFIX } from '../api-prefix.js';
import { toTimestamp } from '@hms/proto';
import { z } from 'zod';
import type { Backends } from '../backends.js';
import { auditRecordJson } from '../json.js';
import { cursor, instant, limit, uuid } from './validation.js';

const query = z
  .object({
    entityId: uuid.optional(),
    actorId: z.string().min(1).max(200).optional(),
    patientId: uuid.optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit,
    cursor,
  })
  .strict();

export function auditRoutes(backends: Backends): Router {
  const router = Router();
  router.get(`${API_PREFIX}/audit`, async (req, res) => {
    const q = query.parse(req.query);
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
  });
  return router;
}
