/** /appointments: book, read, check in. */
import { Router } from 'express';
import { API_PREFIX } from '../api-prefix.js';
import { toTimestamp } from '@hms/proto';
import { z } from 'zod';
import type { Backends } from '../backends.js';
import { appointmentJson } from '../json.js';
import { HttpProblem } from '../problem.js';
import { instant, uuid } from './validation.js';

const bookBody = z
  .object({
    patientId: uuid,
    doctorId: uuid,
    startsAt: instant,
    reason: z.string().max(500).optional(),
  })
  .strict();
const idParams = z.object({ id: uuid });
// Visible ASCII only: the key is echoed in logs and compared byte for byte.
const idempotencyKey = z.string().regex(/^[\x21-\x7e]{1,200}$/);

export function appointmentRoutes(backends: Backends): Router {
  const router = Router();

  router.post(`${API_PREFIX}/appointments`, async (req, res) => {
    const body = bookBody.parse(req.body ?? {});
    const key = req.get('idempotency-key');
    if (key !== undefined && !idempotencyKey.safeParse(key).success) {
      throw new HttpProblem(400, 'validation-failed', 'the request is not valid', [
        { field: 'Idempotency-Key', message: 'must be 1 to 200 visible ASCII characters' },
      ]);
    }
    const { appointment, replayed } = await backends.appointments.call.bookAppointment({
      patientId: body.patientId,
      doctorId: body.doctorId,
      startsAt: toTimestamp(new Date(body.startsAt)),
      reason: body.reason ?? '',
      idempotencyKey: key ?? '',
    });
    const json = appointmentJson(appointment!);
    res.location(`/api/v1/appointments/${json.id}`);
    if (replayed) res.setHeader('idempotency-replayed', 'true');
    res.status(replayed ? 200 : 201).json({ appointment: json });
  });

  router.get(`${API_PREFIX}/appointments/:id`, async (req, res) => {
    const { id } = idParams.parse(req.params);
    const { appointment } = await backends.appointments.call.getAppointment({ id });
    res.json({ appointment: appointmentJson(appointment!) });
  });

  router.post(`${API_PREFIX}/appointments/:id/check-in`, async (req, res) => {
    const { id } = idParams.parse(req.params);
    const { appointment } = await backends.appointments.call.checkInAppointment({ id });
    res.json({ appointment: appointmentJson(appointment!) });
  });

  return router;
}
