/** /appointments: book, read, check in. */
import { Router, type RequestHandler } from 'express';
import { toTimestamp } from '@hms/proto';
import { z } from 'zod';
import { API_PREFIX } from '../api-prefix.js';
import type { Backends } from '../backends.js';
import { appointmentJson } from '../json.js';
import { noteRead } from '../access-log.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { instant, parseInput, uuid } from './validation.js';

/** No route takes parameters it does not name: a typo should fail loudly, not be ignored. */
const noQuery = z.object({}).strict();

export const bookAppointmentRequest = {
  query: noQuery,
  body: z
    .object({
      patientId: uuid,
      doctorId: uuid,
      startsAt: instant,
      reason: z.string({ error: 'must be a string' }).max(500, { error: 'must be at most 500 characters' }).optional(),
    })
    .strict(),
  headers: z.object({
    // Visible ASCII only: the key is echoed in logs and compared byte for byte.
    'idempotency-key': z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/, { error: 'must be 1 to 200 visible ASCII characters' })
      .optional(),
  }),
};
export const appointmentIdRequest = { params: z.object({ id: uuid }), query: noQuery };

/** `guards` run first on every route: who is asking, whether they may, and that the body is JSON. */
export function appointmentRoutes(backends: Backends, guards: RequestHandler[]): Router {
  const router = Router();

  router
    .route(`${API_PREFIX}/appointments`)
    .all(...guards)
    .post(requires('appointments.book', { limit: 'booking' }), async (req, res) => {
      const { body, headers } = parseInput(req, bookAppointmentRequest);
      const { appointment, replayed } = await backends.appointments.call.bookAppointment({
        patientId: body.patientId,
        doctorId: body.doctorId,
        startsAt: toTimestamp(new Date(body.startsAt)),
        reason: body.reason ?? '',
        idempotencyKey: headers['idempotency-key'] ?? '',
      });
      const json = appointmentJson(appointment!);
      res.location(`${API_PREFIX}/appointments/${json.id}`);
      if (replayed) res.setHeader('idempotency-replayed', 'true');
      res.status(replayed ? 200 : 201).json({ appointment: json });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/appointments/:id`)
    .all(...guards)
    .get(requires('appointments.read'), async (req, res) => {
      const { params } = parseInput(req, appointmentIdRequest);
      const { appointment } = await backends.appointments.call.getAppointment({ id: params.id });
      const json = appointmentJson(appointment!);
      res.json({ appointment: json });
      noteRead(req, { entityType: 'appointment', entityId: json.id ?? '', patientId: json.patientId ?? '' });
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/appointments/:id/check-in`)
    .all(...guards)
    .post(requires('appointments.check_in'), async (req, res) => {
      const { params } = parseInput(req, appointmentIdRequest);
      const { appointment } = await backends.appointments.call.checkInAppointment({ id: params.id });
      res.json({ appointment: appointmentJson(appointment!) });
    })
    .all(methodNotAllowed('POST'));

  return router;
}
