/**
 * /appointments: book (converting a hold), read, list (a doctor's or the
 * tenant's day, by status), history, and the lifecycle's steps; the day's
 * dashboard and the tenant's scheduling settings.
 */
import { Router, type RequestHandler } from 'express';
import {
  toTimestamp,
  type AppointmentStatus,
  type AppointmentTimeframe,
  type CancelledBy,
  type Permission,
} from '@hms/proto';
import { z } from 'zod';
import { API_PREFIX } from '../api-prefix.js';
import type { Backends } from '../backends.js';
import { appointmentJson } from '../json.js';
import { noteRead } from '../access-log.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { protoEnum, schedulingJson } from '../scheduling-json.js';
import { calendarDate, cursor, instant, limit, parseInput, uuid } from './validation.js';
import { consultationMode, noQuery, toProtoMode, wholeNumber } from './scheduling-inputs.js';

const reason = z.string({ error: 'must be a string' }).max(500, { error: 'must be at most 500 characters' });
const STATUSES = ['booked', 'checked_in', 'in_consultation', 'completed', 'cancelled', 'no_show'] as const;

export const bookAppointmentRequest = {
  query: noQuery,
  body: z
    .object({
      patientId: uuid,
      doctorId: uuid,
      startsAt: instant,
      reason: reason.optional(),
      // The patient's hold on this slot, converted into the booking.
      holdId: uuid.optional(),
      mode: consultationMode.optional(),
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
export const listAppointmentsRequest = {
  query: z
    .object({
      doctorId: uuid.optional(),
      patientId: uuid.optional(),
      departmentId: uuid.optional(),
      date: calendarDate.optional(),
      // One status or several, comma-separated.
      status: z
        .string({ error: 'must be a status or a comma-separated list' })
        .transform((v) => v.split(','))
        .pipe(z.array(z.enum(STATUSES, { error: `must be among ${STATUSES.join(', ')}` })))
        .optional(),
      timeframe: z.enum(['upcoming', 'past'], { error: 'must be upcoming or past' }).optional(),
      limit,
      cursor,
    })
    .strict()
    .refine((q) => q.patientId !== undefined || q.date !== undefined, {
      error: 'give date (a day of a doctor, a department or the tenant) or patientId',
      path: ['date'],
    }),
};
export const historyRequest = {
  params: z.object({ id: uuid }),
  query: z.object({ limit, cursor }).strict(),
};
export const cancelRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z
    .object({
      reason: reason.trim().min(1, { error: 'required' }),
      cancelledBy: z.enum(['patient', 'staff'], { error: 'must be patient or staff' }),
    })
    .strict(),
};
export const rescheduleRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z.object({ startsAt: instant, holdId: uuid.optional(), reason: reason.optional() }).strict(),
};
export const noShowRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z.object({ reason: reason.optional() }).strict(),
};
export const dashboardRequest = {
  query: z.object({ date: calendarDate, departmentId: uuid.optional() }).strict(),
};
export const settingsRequest = {
  query: noQuery,
  body: z
    .object({
      holdMinutes: wholeNumber(1, 60),
      cancellationWindowMinutes: wholeNumber(0, 10_080),
      noShowGraceMinutes: wholeNumber(0, 1_440),
      reminderOffsetsMinutes: z.array(wholeNumber(1, 20_160), { error: 'must be a list of minutes' }).max(10),
      mrnFormat: z.string({ error: 'must be a string' }).max(40),
      phoneRegion: z
        .string({ error: 'must be a region code' })
        .regex(/^[A-Z]{2}$/, { error: 'must be a region code like IN' }),
    })
    .strict(),
};

/** `guards` run first on every route: who is asking, whether they may, and that the body is JSON. */
export function appointmentRoutes(
  backends: Backends,
  guards: RequestHandler[],
  options: { claimDeadlineMs?: number | undefined } = {},
): Router {
  const router = Router();
  const appointments = backends.appointments.call;
  const read = [...guards, requires('appointments.read')];
  /** One lifecycle step: POST /appointments/{id}/<step> needing `permission`, answering the appointment. */
  const step = (
    path: string,
    permission: Permission,
    run: (req: Parameters<RequestHandler>[0]) => Promise<{ appointment?: unknown }>,
  ) =>
    router
      .route(`${API_PREFIX}/appointments/:id/${path}`)
      .post(...guards, requires(permission), async (req, res) => {
        const { appointment } = await run(req);
        res.json({ appointment: appointmentJson(appointment as never) });
      })
      .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/appointments`)
    .get(...read, async (req, res) => {
      const { query } = parseInput(req, listAppointmentsRequest);
      const page = await appointments.listAppointments({
        doctorId: query.doctorId ?? '',
        patientId: query.patientId ?? '',
        departmentId: query.departmentId ?? '',
        serviceDate: query.date ?? '',
        statuses: (query.status ?? []).map((s) => protoEnum<AppointmentStatus>(s, 'APPOINTMENT_STATUS')),
        timeframe: query.timeframe
          ? protoEnum<AppointmentTimeframe>(query.timeframe, 'APPOINTMENT_TIMEFRAME')
          : 'APPOINTMENT_TIMEFRAME_UNSPECIFIED',
        pageSize: query.limit ?? 0,
        cursor: query.cursor ?? '',
      });
      res.json({ appointments: page.appointments.map(appointmentJson), nextCursor: page.nextCursor });
    })
    .post(...guards, requires('appointments.book', { limit: 'booking' }), async (req, res) => {
      const { body, headers } = parseInput(req, bookAppointmentRequest);
      const { appointment, replayed } = await backends.appointments.call.bookAppointment(
        {
          patientId: body.patientId,
          doctorId: body.doctorId,
          startsAt: toTimestamp(new Date(body.startsAt)),
          reason: body.reason ?? '',
          idempotencyKey: headers['idempotency-key'] ?? '',
          holdId: body.holdId ?? '',
          mode: body.mode ? toProtoMode(body.mode) : 'CONSULTATION_MODE_UNSPECIFIED',
        },
        options.claimDeadlineMs ? { deadlineMs: options.claimDeadlineMs } : undefined,
      );
      const json = appointmentJson(appointment!);
      res.location(`${API_PREFIX}/appointments/${json.id}`);
      if (replayed) res.setHeader('idempotency-replayed', 'true');
      res.status(replayed ? 200 : 201).json({ appointment: json });
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route(`${API_PREFIX}/appointments/:id`)
    .get(...read, async (req, res) => {
      const { params } = parseInput(req, appointmentIdRequest);
      const { appointment } = await backends.appointments.call.getAppointment({ id: params.id });
      const json = appointmentJson(appointment!);
      res.json({ appointment: json });
      noteRead(req, { entityType: 'appointment', entityId: json.id ?? '', patientId: json.patientId ?? '' });
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/appointments/:id/history`)
    .get(...read, async (req, res) => {
      const { params, query } = parseInput(req, historyRequest);
      const page = await appointments.getAppointmentHistory({
        id: params.id,
        pageSize: query.limit ?? 0,
        cursor: query.cursor ?? '',
      });
      res.json(schedulingJson(page));
    })
    .all(methodNotAllowed('GET'));

  step('check-in', 'appointments.check_in', async (req) =>
    appointments.checkInAppointment({ id: parseInput(req, appointmentIdRequest).params.id }),
  );
  step('start', 'appointments.attend', async (req) =>
    appointments.startConsultation({ id: parseInput(req, appointmentIdRequest).params.id }),
  );
  step('complete', 'appointments.attend', async (req) =>
    appointments.completeAppointment({ id: parseInput(req, appointmentIdRequest).params.id }),
  );
  step('cancel', 'appointments.cancel', async (req) => {
    const { params, body } = parseInput(req, cancelRequest);
    return appointments.cancelAppointment({
      id: params.id,
      reason: body.reason,
      cancelledBy: protoEnum<CancelledBy>(body.cancelledBy, 'CANCELLED_BY'),
    });
  });
  step('reschedule', 'appointments.cancel', async (req) => {
    const { params, body } = parseInput(req, rescheduleRequest);
    return appointments.rescheduleAppointment({
      id: params.id,
      startsAt: toTimestamp(new Date(body.startsAt)),
      holdId: body.holdId ?? '',
      reason: body.reason ?? '',
    });
  });
  step('no-show', 'appointments.attend', async (req) => {
    const { params, body } = parseInput(req, noShowRequest);
    return appointments.markNoShow({ id: params.id, reason: body.reason ?? '' });
  });

  router
    .route(`${API_PREFIX}/dashboard/daily`)
    .get(...guards, requires('dashboard.read'), async (req, res) => {
      const { query } = parseInput(req, dashboardRequest);
      const board = await appointments.getDailyDashboard({
        serviceDate: query.date,
        departmentId: query.departmentId ?? '',
      });
      res.json(schedulingJson(board));
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/settings/scheduling`)
    .get(...guards, requires('scheduling.configure'), async (_req, res) => {
      const { settings } = await appointments.getSchedulingSettings({});
      res.json({ settings: schedulingJson(settings) });
    })
    .put(...guards, requires('scheduling.configure'), async (req, res) => {
      const { body } = parseInput(req, settingsRequest);
      const { settings } = await appointments.updateSchedulingSettings({ settings: body });
      res.json({ settings: schedulingJson(settings) });
    })
    .all(methodNotAllowed('GET, PUT'));

  return router;
}
