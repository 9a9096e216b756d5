/** /bills: a tenant's bills, newest first, filtered and paged. */
import { Router } from 'express';
import { API_PREFIX } from '../api-prefix.js';
import { z } from 'zod';
import type { Backends } from '../backends.js';
import { billJson } from '../json.js';
import { cursor, limit, uuid } from './validation.js';

const query = z.object({ appointmentId: uuid.optional(), patientId: uuid.optional(), limit, cursor }).strict();

export function billRoutes(backends: Backends): Router {
  const router = Router();
  router.get(`${API_PREFIX}/bills`, async (req, res) => {
    const q = query.parse(req.query);
    const page = await backends.billing.call.listBills({
      appointmentId: q.appointmentId ?? '',
      patientId: q.patientId ?? '',
      pageSize: q.limit ?? 0,
      cursor: q.cursor ?? '',
    });
    res.json({ data: page.bills.map(billJson), nextCursor: page.nextCursor || null });
  });
  return router;
}
