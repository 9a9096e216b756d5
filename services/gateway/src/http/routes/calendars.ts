/**
 * A doctor's calendar: weekly schedule templates, exceptions (leave, extra
 * sessions, blocked hours), the slots of a window, and holds on slots.
 */
import { toTimestamp, type AffectedAppointmentAction, type ScheduleExceptionKind } from '@hms/proto';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { API_PREFIX } from '../api-prefix.js';
import type { Backends } from '../backends.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { protoEnum, schedulingJson } from '../scheduling-json.js';
import { createSlotWindows, type SlotWindows } from '../slot-windows.js';
import { calendarDate, instant, parseInput, uuid } from './validation.js';
import { idempotencyHeaders, minuteOfDay, noQuery, wholeNumber } from './scheduling-inputs.js';

const reason = z.string({ error: 'must be a string' }).max(500, { error: 'must be at most 500 characters' });
const session = z.object({ weekday: wholeNumber(1, 7), startMinute: minuteOfDay, endMinute: minuteOfDay }).strict();
/**
 * What to do with the booked appointments a change would strand: without it,
 * such a change is refused (409) with their list.
 */
const affectedAppointments = z
  .array(
    z
      .object({
        appointmentId: uuid,
        action: z.enum(['cancel', 'move'], { error: 'must be cancel or move' }),
        startsAt: instant.optional(),
        reason: reason.optional(),
      })
      .strict(),
    { error: 'must be a list' },
  )
  .max(500, { error: 'must have at most 500 entries' })
  .optional();
const toAffected = (list: z.output<typeof affectedAppointments>) =>
  (list ?? []).map((a) => ({
    appointmentId: a.appointmentId,
    action: protoEnum<AffectedAppointmentAction>(a.action, 'AFFECTED_APPOINTMENT_ACTION'),
    startsAt: a.startsAt ? toTimestamp(new Date(a.startsAt)) : null,
    reason: a.reason ?? '',
  }));
const scheduleBody = z
  .object({
    validFrom: calendarDate,
    validTo: calendarDate.optional(),
    slotMinutes: wholeNumber(5, 240),
    sessions: z
      .array(session, { error: 'must be a list of sessions' })
      .max(50, { error: 'must have at most 50 sessions' }),
    affectedAppointments,
  })
  .strict();

export const doctorCalendarRequest = { params: z.object({ doctorId: uuid }), query: noQuery };
export const createScheduleRequest = { params: z.object({ doctorId: uuid }), query: noQuery, body: scheduleBody };
export const replaceScheduleRequest = {
  params: z.object({ doctorId: uuid, scheduleId: uuid }),
  query: noQuery,
  body: scheduleBody,
};
export const deleteScheduleRequest = {
  params: z.object({ doctorId: uuid, scheduleId: uuid }),
  query: noQuery,
  body: z.object({ affectedAppointments }).strict(),
};
export const listExceptionsRequest = {
  params: z.object({ doctorId: uuid }),
  query: z.object({ from: calendarDate.optional(), to: calendarDate.optional() }).strict(),
};
export const addExceptionRequest = {
  params: z.object({ doctorId: uuid }),
  query: noQuery,
  body: z
    .object({
      date: calendarDate,
      kind: z.enum(['leave', 'extra', 'blocked'], { error: 'must be leave, extra or blocked' }),
      startMinute: minuteOfDay.optional(),
      endMinute: minuteOfDay.optional(),
      slotMinutes: wholeNumber(5, 240).optional(),
      reason: reason.optional(),
      affectedAppointments,
    })
    .strict(),
};
export const removeExceptionRequest = {
  params: z.object({ doctorId: uuid, exceptionId: uuid }),
  query: noQuery,
  body: z.object({ affectedAppointments }).strict(),
};
export const listSlotsRequest = {
  params: z.object({ doctorId: uuid }),
  query: z.object({ from: instant, to: instant }).strict(),
};
export const holdSlotRequest = {
  query: noQuery,
  headers: idempotencyHeaders,
  body: z.object({ doctorId: uuid, patientId: uuid, startsAt: instant }).strict(),
};
export const holdIdRequest = { params: z.object({ id: uuid }), query: noQuery };

export function calendarRoutes(
  backends: Backends,
  guards: RequestHandler[],
  options: { claimDeadlineMs?: number | undefined; slotWindows?: SlotWindows | undefined } = {},
): Router {
  const router = Router();
  const calendar = backends.calendar.call;
  // Without the process's window cache (tests of the routes alone), every read goes to the backend.
  const slotWindows = options.slotWindows ?? createSlotWindows({ backends });
  const manage = [...guards, requires('doctors.write')];
  const read = [...guards, requires('doctors.read')];
  const hold = [...guards, requires('slots.hold')];
  const outcome = (r: { outcome?: unknown; schedule?: unknown; exception?: unknown }) => schedulingJson(r);

  router
    .route(`${API_PREFIX}/doctors/:doctorId/schedules`)
    .get(...read, async (req, res) => {
      const { params } = parseInput(req, doctorCalendarRequest);
      res.json(schedulingJson(await calendar.listSchedules({ doctorId: params.doctorId })));
    })
    .post(...manage, async (req, res) => {
      const { params, body } = parseInput(req, createScheduleRequest);
      const created = await calendar.createSchedule({
        doctorId: params.doctorId,
        validFrom: body.validFrom,
        validTo: body.validTo ?? '',
        slotMinutes: body.slotMinutes,
        sessions: body.sessions,
        affectedAppointments: toAffected(body.affectedAppointments),
      });
      res.status(201).json(outcome(created));
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route(`${API_PREFIX}/doctors/:doctorId/schedules/:scheduleId`)
    .put(...manage, async (req, res) => {
      const { params, body } = parseInput(req, replaceScheduleRequest);
      const replaced = await calendar.replaceSchedule({
        doctorId: params.doctorId,
        scheduleId: params.scheduleId,
        validFrom: body.validFrom,
        validTo: body.validTo ?? '',
        slotMinutes: body.slotMinutes,
        sessions: body.sessions,
        affectedAppointments: toAffected(body.affectedAppointments),
      });
      res.json(outcome(replaced));
    })
    .delete(...manage, async (req, res) => {
      const { params, body } = parseInput(req, deleteScheduleRequest);
      const deleted = await calendar.deleteSchedule({
        doctorId: params.doctorId,
        scheduleId: params.scheduleId,
        affectedAppointments: toAffected(body.affectedAppointments),
      });
      res.json(outcome(deleted));
    })
    .all(methodNotAllowed('PUT, DELETE'));

  router
    .route(`${API_PREFIX}/doctors/:doctorId/exceptions`)
    .get(...read, async (req, res) => {
      const { params, query } = parseInput(req, listExceptionsRequest);
      res.json(
        schedulingJson(
          await calendar.listScheduleExceptions({
            doctorId: params.doctorId,
            from: query.from ?? '',
            to: query.to ?? '',
          }),
        ),
      );
    })
    .post(...manage, async (req, res) => {
      const { params, body } = parseInput(req, addExceptionRequest);
      const added = await calendar.addScheduleException({
        doctorId: params.doctorId,
        date: body.date,
        kind: protoEnum<ScheduleExceptionKind>(body.kind, 'SCHEDULE_EXCEPTION_KIND'),
        ...(body.startMinute !== undefined ? { startMinute: body.startMinute } : {}),
        ...(body.endMinute !== undefined ? { endMinute: body.endMinute } : {}),
        ...(body.slotMinutes !== undefined ? { slotMinutes: body.slotMinutes } : {}),
        reason: body.reason ?? '',
        affectedAppointments: toAffected(body.affectedAppointments),
      });
      res.status(201).json(outcome(added));
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route(`${API_PREFIX}/doctors/:doctorId/exceptions/:exceptionId`)
    .delete(...manage, async (req, res) => {
      const { params, body } = parseInput(req, removeExceptionRequest);
      const removed = await calendar.removeScheduleException({
        doctorId: params.doctorId,
        exceptionId: params.exceptionId,
        affectedAppointments: toAffected(body.affectedAppointments),
      });
      res.json(outcome(removed));
    })
    .all(methodNotAllowed('DELETE'));

  router
    .route(`${API_PREFIX}/doctors/:doctorId/slots`)
    .get(...read, async (req, res) => {
      const { params, query } = parseInput(req, listSlotsRequest);
      res.type('json').send(await slotWindows.get(params.doctorId, new Date(query.from), new Date(query.to)));
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/slot-holds`)
    .post(...hold, async (req, res) => {
      const { body, headers } = parseInput(req, holdSlotRequest);
      const { hold: held, replayed } = await calendar.holdSlot(
        {
          doctorId: body.doctorId,
          patientId: body.patientId,
          startsAt: toTimestamp(new Date(body.startsAt)),
          idempotencyKey: headers['idempotency-key'] ?? '',
        },
        options.claimDeadlineMs ? { deadlineMs: options.claimDeadlineMs } : undefined,
      );
      res.location(`${API_PREFIX}/slot-holds/${held!.id}`);
      if (replayed) res.setHeader('idempotency-replayed', 'true');
      res.status(replayed ? 200 : 201).json({ hold: schedulingJson(held) });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/slot-holds/:id`)
    .get(...hold, async (req, res) => {
      const { params } = parseInput(req, holdIdRequest);
      const { hold: held } = await calendar.getSlotHold({ id: params.id });
      res.json({ hold: schedulingJson(held) });
    })
    .delete(...hold, async (req, res) => {
      const { params } = parseInput(req, holdIdRequest);
      await calendar.releaseSlotHold({ id: params.id });
      res.status(204).end();
    })
    .all(methodNotAllowed('GET, DELETE'));

  return router;
}
