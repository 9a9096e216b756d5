/** /bills: a tenant's bills, newest first, filtered and paged. */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { API_PREFIX } from '../api-prefix.js';
import type { Backends } from '../backends.js';
import { billJson } from '../json.js';
import { noteRead } from '../access-log.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { cursor, limit, parseInput, uuid } from './validation.js';

export const listBillsRequest = {
  query: z.object({ appointmentId: uuid.optional(), patientId: uuid.optional(), limit, cursor }).strict(),
};

export function billRoutes(backends: Backends, guards: RequestHandler[]): Router {
  const router = Router();
  router
    .route(`${API_PREFIX}/bills`)
    .all(...guards)
    .get(requires('bills.read'), async (req, res) => {
      const { query: q } = parseInput(req, listBillsRequest);
      const page = await backends.billing.call.listBills({
        appointmentId: q.appointmentId ?? '',
        patientId: q.patientId ?? '',
        pageSize: q.limit ?? 0,
        cursor: q.cursor ?? '',
      });
      const bills = page.bills.map(billJson);
      res.json({ data: bills, nextCursor: page.nextCursor || null });
      for (const bill of bills)
        noteRead(req, { entityType: 'bill', entityId: bill.id ?? '', patientId: bill.patientId ?? '' });
    })
    .all(methodNotAllowed('GET'));
  return router;
}
