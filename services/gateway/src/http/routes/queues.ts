/**
 * /queues/{doctorId}: the doctor's queue of one day (today in the doctor's time zone when no date is given).
 * The answer carries a weak ETag naming the day and its last change (the live stream's event id);
 * If-None-Match with the current one is answered 304. Bodies come from the queue reads' cache,
 * which asks the queue service whether its version is still the last (src/live/queue-reads.ts).
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Tenant } from '../../db/tenant.repository.js';
import type { QueueReads } from '../../live/queue-reads.js';
import { API_PREFIX } from '../api-prefix.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { calendarDate, parseInput, uuid } from './validation.js';

export const getQueueRequest = {
  params: z.object({ doctorId: uuid }),
  query: z.object({ date: calendarDate.optional() }).strict(),
  headers: z.object({
    // A version this API sent (its ETag); anything else is simply not a match.
    'if-none-match': z.string().max(200, { error: 'must be at most 200 characters' }).optional(),
  }),
};

const acceptsGzip = (header: string | undefined) => /\bgzip\b(?!\s*;\s*q=0(?:\.0*)?\s*(?:,|$))/i.test(header ?? '');

export function queueRoutes(reads: QueueReads, guards: RequestHandler[]): Router {
  const router = Router();
  router
    .route(`${API_PREFIX}/queues/:doctorId`)
    .all(...guards)
    .get(requires('queues.read'), async (req, res) => {
      const { params, query, headers } = parseInput(req, getQueueRequest);
      const tenant = res.locals.tenant as Tenant;
      const answer = await reads.read(tenant.id, params.doctorId, query.date, headers['if-none-match']);
      // Always revalidated: the version is cheap to check and a queue moves.
      res.setHeader('cache-control', 'private, no-cache');
      res.setHeader('vary', 'Accept-Encoding');
      if (answer.notModified) {
        res.setHeader('etag', answer.etag);
        res.status(304).end();
        return;
      }
      const { body } = answer;
      res.setHeader('etag', body.etag);
      res.setHeader('content-type', 'application/json; charset=utf-8');
      const gzip = acceptsGzip(req.get('accept-encoding'));
      const bytes = gzip ? reads.gzipOf(body) : body.json;
      if (gzip) res.setHeader('content-encoding', 'gzip');
      res.setHeader('content-length', bytes.length);
      res.status(200).end(bytes);
    })
    .all(methodNotAllowed('GET'));
  return router;
}
