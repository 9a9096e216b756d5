/** /queues/{doctorId}: the doctor's queue of one day (today in the doctor's time zone when no date is given). */
import { Router, type RequestHandler } from 'express';
import type { GetQueueResponse__Output } from '@hms/proto';
import { z } from 'zod';
import { API_PREFIX } from '../api-prefix.js';
import type { Backends } from '../backends.js';
import { queueJson } from '../json.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { calendarDate, parseInput, uuid } from './validation.js';

export const getQueueRequest = {
  params: z.object({ doctorId: uuid }),
  query: z.object({ date: calendarDate.optional() }).strict(),
};

export function queueRoutes(backends: Backends, guards: RequestHandler[]): Router {
  const router = Router();
  router
    .route(`${API_PREFIX}/queues/:doctorId`)
    .all(...guards)
    .get(requires('queues.read'), async (req, res) => {
      const { params, query } = parseInput(req, getQueueRequest);
      const queue = await backends.queue.call.getQueue({ doctorId: params.doctorId, serviceDate: query.date ?? '' });
      res.json(queueJson(queue as GetQueueResponse__Output));
    })
    .all(methodNotAllowed('GET'));
  return router;
}
