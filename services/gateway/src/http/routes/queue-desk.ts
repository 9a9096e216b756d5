/**
 * The queue desk: walk-ins, call next, recall, skip, complete, transfer,
 * priorities, pause and resume, and the tenant's queue rules. Doctors are
 * checked here (the queue service knows queues, not doctors): an unknown one
 * is a 404, a transfer to one who is not practising a 422.
 */
import { Router, type RequestHandler } from 'express';
import { toTimestamp } from '@hms/proto';
import { z } from 'zod';
import { entryJson } from '../../live/queue-json.js';
import { API_PREFIX } from '../api-prefix.js';
import type { Backends } from '../backends.js';
import type { DoctorDirectory } from '../doctors.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { calendarDate, instant, parseInput, uuid } from './validation.js';

const noQuery = z.object({}).strict();
const PRIORITIES = ['normal', 'senior', 'disabled', 'emergency'] as const;
const priority = z.enum(PRIORITIES, { error: `must be one of ${PRIORITIES.join(', ')}` });
const PROTO_PRIORITY = {
  normal: 'QUEUE_PRIORITY_NORMAL',
  senior: 'QUEUE_PRIORITY_SENIOR',
  disabled: 'QUEUE_PRIORITY_DISABLED',
  emergency: 'QUEUE_PRIORITY_EMERGENCY',
} as const;
const protoPriority = (p: (typeof PRIORITIES)[number] | undefined) => PROTO_PRIORITY[p ?? 'normal'];
const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, { error: 'must be 1 to 200 visible ASCII characters' })
    .optional(),
});
const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, {
      error: `must be at most ${max} characters`,
    });

export const walkInRequest = {
  params: z.object({ doctorId: uuid }),
  query: noQuery,
  headers: idempotencyHeaders,
  body: z
    .object({
      patientId: uuid.optional(),
      patient: z
        .object({
          fullName: text(200),
          phone: z.string({ error: 'must be a string' }).max(24, { error: 'must be at most 24 characters' }).optional(),
          dateOfBirth: calendarDate.optional(),
          // Register even when the patient looks like one already on record (otherwise 409 with the matches).
          confirmNew: z.boolean({ error: 'must be true or false' }).optional(),
        })
        .strict()
        .optional(),
      priority: priority.optional(),
    })
    .strict()
    .refine((b) => (b.patientId === undefined) !== (b.patient === undefined), {
      error: 'give either patientId (a registered patient) or patient (to register one now)',
      path: ['patientId'],
    }),
};
export const callNextRequest = {
  params: z.object({ doctorId: uuid }),
  query: z.object({ date: calendarDate.optional() }).strict(),
  body: z.object({ room: text(40) }).strict(),
};
export const pauseRequest = {
  params: z.object({ doctorId: uuid }),
  query: noQuery,
  body: z.object({ resumeAt: instant.optional(), reason: z.string().max(200).optional() }).strict(),
};
export const resumeRequest = { params: z.object({ doctorId: uuid }), query: noQuery };
export const entryRequest = { params: z.object({ id: uuid }), query: noQuery };
export const transferRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z.object({ doctorId: uuid }).strict(),
};
export const priorityRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z.object({ priority }).strict(),
};
const count = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` });
export const rulesRequest = {
  query: noQuery,
  body: z
    .object({
      maxPriorityPasses: count(1, 50),
      skipReturnAfter: count(1, 50),
      defaultConsultationSeconds: count(60, 7_200),
    })
    .strict(),
};

export function queueDeskRoutes(backends: Backends, doctors: DoctorDirectory, guards: RequestHandler[]): Router {
  const router = Router();
  const queue = backends.queue.call;

  router
    .route(`${API_PREFIX}/queues/:doctorId/walk-ins`)
    .all(...guards)
    .post(requires('queues.manage'), async (req, res) => {
      const { params, body, headers } = parseInput(req, walkInRequest);
      const key = headers['idempotency-key'];
      const doctor = await doctors.active(params.doctorId, 'doctorId');
      let patientId = body.patientId;
      let registered;
      if (body.patient) {
        // Registered through appointments, under a key of its own so a retry registers nobody twice.
        const { patient } = await backends.patients.call.registerPatient({
          fullName: body.patient.fullName,
          phone: body.patient.phone ?? '',
          dateOfBirth: body.patient.dateOfBirth ?? '',
          confirmNew: body.patient.confirmNew ?? false,
          idempotencyKey: key ? `walk-in:${key}` : '',
        });
        patientId = patient!.id;
        registered = patient;
      } else {
        await backends.patients.call.getPatient({ id: patientId! });
      }
      const { entry, replayed } = await queue.joinWalkIn({
        doctorId: params.doctorId,
        timeZone: doctor.timeZone!,
        patientId: patientId!,
        priority: protoPriority(body.priority),
        idempotencyKey: key ?? '',
      });
      if (replayed) res.setHeader('idempotency-replayed', 'true');
      res.status(replayed ? 200 : 201).json({
        entry: entryJson(entry as never, 'staff'),
        ...(registered ? { patient: { id: registered.id, mrn: registered.mrn, fullName: registered.fullName } } : {}),
      });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/queues/:doctorId/call-next`)
    .all(...guards)
    .post(requires('queues.manage'), async (req, res) => {
      const { params, query, body } = parseInput(req, callNextRequest);
      const { entry } = await queue.callNext({
        doctorId: params.doctorId,
        serviceDate: query.date ?? '',
        room: body.room,
      });
      res.json({ entry: entryJson(entry as never, 'staff') });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/queues/:doctorId/pause`)
    .all(...guards)
    .post(requires('queues.manage'), async (req, res) => {
      const { params, body } = parseInput(req, pauseRequest);
      const doctor = await doctors.find(params.doctorId);
      const paused = await queue.pauseQueue({
        doctorId: params.doctorId,
        timeZone: doctor.timeZone,
        resumeExpectedAt: body.resumeAt ? toTimestamp(new Date(body.resumeAt)) : null,
        reason: body.reason ?? '',
      });
      res.json({ serviceDate: paused.serviceDate, pause: pauseJsonOf(paused.pause) });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/queues/:doctorId/resume`)
    .all(...guards)
    .post(requires('queues.manage'), async (req, res) => {
      const { params } = parseInput(req, resumeRequest);
      const doctor = await doctors.find(params.doctorId);
      const resumed = await queue.resumeQueue({ doctorId: params.doctorId, timeZone: doctor.timeZone });
      res.json({ serviceDate: resumed.serviceDate, pause: pauseJsonOf(resumed.pause) });
    })
    .all(methodNotAllowed('POST'));

  for (const [action, call] of [
    ['recall', queue.recallEntry],
    ['skip', queue.skipEntry],
    ['complete', queue.completeEntry],
  ] as const) {
    router
      .route(`${API_PREFIX}/queue-entries/:id/${action}`)
      .all(...guards)
      .post(requires('queues.manage'), async (req, res) => {
        const { params } = parseInput(req, entryRequest);
        const { entry } = await call({ entryId: params.id });
        res.json({ entry: entryJson(entry as never, 'staff') });
      })
      .all(methodNotAllowed('POST'));
  }

  router
    .route(`${API_PREFIX}/queue-entries/:id/transfer`)
    .all(...guards)
    .post(requires('queues.manage'), async (req, res) => {
      const { params, body } = parseInput(req, transferRequest);
      const doctor = await doctors.active(body.doctorId, 'doctorId');
      const moved = await queue.transferEntry({
        entryId: params.id,
        toDoctorId: body.doctorId,
        toTimeZone: doctor.timeZone!,
      });
      res.json({ from: entryJson(moved.from as never, 'staff'), to: entryJson(moved.to as never, 'staff') });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/queue-entries/:id/priority`)
    .all(...guards)
    .put(requires('queues.manage'), async (req, res) => {
      const { params, body } = parseInput(req, priorityRequest);
      const { entry } = await queue.setEntryPriority({ entryId: params.id, priority: protoPriority(body.priority) });
      res.json({ entry: entryJson(entry as never, 'staff') });
    })
    .all(methodNotAllowed('PUT'));

  router
    .route(`${API_PREFIX}/queue-rules`)
    .all(...guards)
    .get(requires('queues.read'), async (req, res) => {
      parseInput(req, { query: noQuery });
      res.json({ rules: (await queue.getQueueRules({})).rules });
    })
    .put(requires('queues.configure'), async (req, res) => {
      const { body } = parseInput(req, rulesRequest);
      res.json({ rules: (await queue.setQueueRules({ rules: body })).rules });
    })
    .all(methodNotAllowed('GET', 'PUT'));

  return router;
}

function pauseJsonOf(
  p: { paused?: boolean; resumeExpectedAt?: unknown; pausedAt?: unknown; reason?: string } | null | undefined,
) {
  const iso = (ts: unknown) =>
    ts && typeof ts === 'object' && 'seconds' in ts
      ? new Date(
          Number((ts as { seconds: number }).seconds) * 1000 + Number((ts as { nanos?: number }).nanos ?? 0) / 1e6,
        ).toISOString()
      : null;
  return {
    paused: p?.paused ?? false,
    pausedAt: iso(p?.pausedAt),
    resumeExpectedAt: iso(p?.resumeExpectedAt),
    reason: p?.reason ?? '',
  };
}
