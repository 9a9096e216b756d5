/** /queues/{doctorId}: the doctor's queue of one day. */
import { Router } from 'express';
import { API_PREFIX } from '../api-prefix.js';
import { z } from 'zod';
import type { Backends } from '../backends.js';
import { queueEntryJson } from '../json.js';
import { calendarDate, uuid } from './validation.js';

const params = z.object({ doctorId: uuid });
const query = z.object({ date: calendarDate.optional() }).strict();

export function queueRoutes(backends: Backends): Router {
  const router = Router();
  router.get(`${API_PREFIX}/queues/:doctorId`, async (req, res) => {
    const { doctorId } = params.parse(req.params);
    const { date } = query.parse(req.query);
    const queue = await backends.queue.call.getQueue({ doctorId, serviceDate: date ?? '' });
    res.json({ doctorId: queue.doctorId, serviceDate: queue.serviceDate, entries: queue.entries.map(queueEntryJson) });
  });
  return router;
}
