/** /patients: register, search, read, update, deactivate, and a patient's appointments. */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { noteRead } from '../access-log.js';
import { API_PREFIX } from '../api-prefix.js';
import type { Backends } from '../backends.js';
import { appointmentJson } from '../json.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { schedulingJson } from '../scheduling-json.js';
import { calendarDate, cursor, limit, parseInput, uuid } from './validation.js';
import { idempotencyHeaders, noQuery, text } from './scheduling-inputs.js';

const phone = z.string({ error: 'must be a string' }).max(32, { error: 'must be at most 32 characters' });

export const registerPatientRequest = {
  query: noQuery,
  headers: idempotencyHeaders,
  body: z
    .object({
      fullName: text(200),
      phone: phone.optional(),
      dateOfBirth: calendarDate.optional(),
      // Register even when the patient looks like one on record (otherwise 409 with the likely matches).
      confirmNew: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .strict(),
};
export const searchPatientsRequest = {
  query: z
    .object({ q: z.string({ error: 'required' }).max(100, { error: 'must be 2 to 100 characters' }), limit, cursor })
    .strict(),
};
export const patientIdRequest = { params: z.object({ id: uuid }), query: noQuery };
export const updatePatientRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z
    .object({ fullName: text(200).optional(), phone: phone.optional(), dateOfBirth: calendarDate.optional() })
    .strict(),
};
export const patientAppointmentsRequest = {
  params: z.object({ id: uuid }),
  query: z
    .object({
      timeframe: z.enum(['upcoming', 'past'], { error: 'must be upcoming or past' }).optional(),
      limit,
      cursor,
    })
    .strict(),
};

export function patientRoutes(backends: Backends, guards: RequestHandler[]): Router {
  const router = Router();
  const patients = backends.patients.call;
  const read = [...guards, requires('patients.read')];
  const write = [...guards, requires('patients.write')];

  router
    .route(`${API_PREFIX}/patients`)
    .get(...guards, requires('patients.read', { limit: 'search' }), async (req, res) => {
      const { query } = parseInput(req, searchPatientsRequest);
      const found = await patients.searchPatients({
        query: query.q,
        pageSize: query.limit ?? 0,
        cursor: query.cursor ?? '',
      });
      res.json(schedulingJson(found));
    })
    .post(...write, async (req, res) => {
      const { body, headers } = parseInput(req, registerPatientRequest);
      const { patient, replayed } = await patients.registerPatient({
        fullName: body.fullName,
        phone: body.phone ?? '',
        dateOfBirth: body.dateOfBirth ?? '',
        confirmNew: body.confirmNew ?? false,
        idempotencyKey: headers['idempotency-key'] ?? '',
      });
      res.location(`${API_PREFIX}/patients/${patient!.id}`);
      if (replayed) res.setHeader('idempotency-replayed', 'true');
      res.status(replayed ? 200 : 201).json({ patient: schedulingJson(patient) });
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route(`${API_PREFIX}/patients/:id`)
    .get(...read, async (req, res) => {
      const { params } = parseInput(req, patientIdRequest);
      const { patient } = await patients.getPatient({ id: params.id });
      res.json({ patient: schedulingJson(patient) });
      noteRead(req, { entityType: 'patient', entityId: params.id, patientId: params.id });
    })
    .patch(...write, async (req, res) => {
      const { params, body } = parseInput(req, updatePatientRequest);
      const { patient } = await patients.updatePatient({ id: params.id, ...body });
      res.json({ patient: schedulingJson(patient) });
    })
    // Soft: hidden from search and from new bookings, kept with its history.
    .delete(...write, async (req, res) => {
      const { params } = parseInput(req, patientIdRequest);
      const { patient } = await patients.deactivatePatient({ id: params.id });
      res.json({ patient: schedulingJson(patient) });
    })
    .all(methodNotAllowed('GET, PATCH, DELETE'));

  router
    .route(`${API_PREFIX}/patients/:id/appointments`)
    .get(...guards, requires('appointments.read'), async (req, res) => {
      const { params, query } = parseInput(req, patientAppointmentsRequest);
      const page = await backends.appointments.call.listAppointments({
        patientId: params.id,
        timeframe:
          query.timeframe === 'past'
            ? 'APPOINTMENT_TIMEFRAME_PAST'
            : query.timeframe === 'upcoming'
              ? 'APPOINTMENT_TIMEFRAME_UPCOMING'
              : 'APPOINTMENT_TIMEFRAME_UNSPECIFIED',
        pageSize: query.limit ?? 0,
        cursor: query.cursor ?? '',
      });
      // The same appointment JSON as /appointments answers.
      res.json({ appointments: page.appointments.map(appointmentJson), nextCursor: page.nextCursor });
      noteRead(req, { entityType: 'patient', entityId: params.id, patientId: params.id });
    })
    .all(methodNotAllowed('GET'));

  return router;
}
