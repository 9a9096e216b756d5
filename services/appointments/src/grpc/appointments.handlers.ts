/** gRPC AppointmentsService: translates proto messages to use-case calls and back. */
import {
  currentTraceId,
  decodeCursor,
  encodeCursor,
  idCursor,
  pageSizeOf,
  parseRequest,
  requestFingerprint,
  type MethodPermissions,
  type UnaryImplementation,
} from '@hms/platform';
import type { AppointmentsServiceHandlers } from '@hms/proto';
import { z } from 'zod';
import { appointmentHistory, filterOf, getAppointment, listAppointments } from '../domain/appointment-queries.js';
import { bookAppointment, type SchedulingDeps } from '../domain/book-appointment.js';
import { averageWaitSeconds, dailyDashboard } from '../domain/dashboard.js';
import {
  cancelAppointment,
  checkIn,
  completeAppointment,
  markNoShow,
  startConsultation,
} from '../domain/lifecycle-actions.js';
import { rescheduleAppointment } from '../domain/reschedule-appointment.js';
import { getSettings, updateSettings } from '../domain/settings-use-cases.js';
import type { DayCounts } from '../domain/types.js';
import {
  appointmentMessage,
  at,
  date,
  decodeAppointmentCursor,
  encodeAppointmentCursor,
  historyMessage,
  idempotencyKey,
  instant,
  invalidField,
  modeOf,
  optionalDate,
  optionalUuid,
  requiredInstant,
  settingsMessage,
  statusOf,
  uuid,
} from './messages.js';

const reason = z.string().max(500, { error: 'must be at most 500 characters' });

const bookRequest = z.object({
  patientId: uuid,
  doctorId: uuid,
  startsAt: requiredInstant,
  reason,
  idempotencyKey,
  holdId: optionalUuid,
  mode: z.string(),
});

const cancelRequest = z.object({
  id: uuid,
  cancelledBy: z.enum(['CANCELLED_BY_UNSPECIFIED', 'CANCELLED_BY_PATIENT', 'CANCELLED_BY_STAFF']),
  reason: z
    .string()
    .trim()
    .min(1, { error: 'required: say why' })
    .max(500, { error: 'must be at most 500 characters' }),
});

const rescheduleRequest = z.object({ id: uuid, startsAt: requiredInstant, holdId: optionalUuid, reason });

const listRequest = z.object({
  doctorId: optionalUuid,
  patientId: optionalUuid,
  departmentId: optionalUuid,
  serviceDate: optionalDate,
  statuses: z.array(z.string()),
  timeframe: z.enum([
    'APPOINTMENT_TIMEFRAME_UNSPECIFIED',
    'APPOINTMENT_TIMEFRAME_UPCOMING',
    'APPOINTMENT_TIMEFRAME_PAST',
  ]),
  pageSize: z.number(),
  cursor: z.string(),
});

const settingsRequest = z.object({
  holdMinutes: z.number(),
  cancellationWindowMinutes: z.number(),
  noShowGraceMinutes: z.number(),
  reminderOffsetsMinutes: z.array(z.number()),
  mrnFormat: z.string(),
  phoneRegion: z.string(),
});

function countsMessage(c: DayCounts) {
  return {
    booked: c.booked,
    checkedIn: c.checkedIn,
    inConsultation: c.inConsultation,
    seen: c.seen,
    noShow: c.noShow,
    cancelled: c.cancelled,
    averageWaitSeconds: averageWaitSeconds(c),
    waits: c.waits,
  };
}

/** What a caller must be allowed to do for each method (checked before the handler runs). */
export const appointmentsPermissions = {
  BookAppointment: 'appointments.book',
  GetAppointment: 'appointments.read',
  ListAppointments: 'appointments.read',
  GetAppointmentHistory: 'appointments.read',
  CheckInAppointment: 'appointments.check_in',
  CancelAppointment: 'appointments.cancel',
  RescheduleAppointment: 'appointments.cancel',
  StartConsultation: 'appointments.attend',
  CompleteAppointment: 'appointments.attend',
  MarkNoShow: 'appointments.attend',
  GetDailyDashboard: 'dashboard.read',
  GetSchedulingSettings: 'scheduling.configure',
  UpdateSchedulingSettings: 'scheduling.configure',
} satisfies MethodPermissions<AppointmentsServiceHandlers>;

export function appointmentsHandlers(deps: SchedulingDeps): UnaryImplementation<AppointmentsServiceHandlers> {
  const actor = (ctx: { userId: string | undefined }) => ctx.userId ?? '';
  const action = (id: string, ctx: { tenantId: string; userId: string | undefined }) => ({
    tenantId: ctx.tenantId,
    appointmentId: parseRequest(uuid, id, 'id'),
    actorId: actor(ctx),
  });
  return {
    async BookAppointment(request, ctx) {
      const input = parseRequest(bookRequest, { ...request, startsAt: instant(request.startsAt) });
      const mode = modeOf(input.mode);
      if (input.mode !== 'CONSULTATION_MODE_UNSPECIFIED' && !mode) invalidField('mode', 'must be in_person or video');
      const { idempotencyKey: key, ...rest } = input;
      const { appointment, replayed } = await bookAppointment(deps, {
        tenantId: ctx.tenantId,
        actorId: actor(ctx),
        patientId: input.patientId,
        doctorId: input.doctorId,
        startsAt: input.startsAt,
        reason: input.reason,
        mode,
        holdId: input.holdId,
        idempotency: key ? { operation: 'BookAppointment', key, fingerprint: requestFingerprint(rest) } : undefined,
        traceId: currentTraceId(),
        monthlyQuota: ctx.quotas.appointmentsPerMonth,
      });
      return { appointment: appointmentMessage(appointment), replayed };
    },
    async GetAppointment(request, ctx) {
      const appointmentId = parseRequest(uuid, request.id, 'id');
      return {
        appointment: appointmentMessage(await getAppointment(deps.store, { tenantId: ctx.tenantId, appointmentId })),
      };
    },
    async ListAppointments(request, ctx) {
      const input = parseRequest(listRequest, request);
      const statuses = input.statuses.map((s, i) => {
        return statusOf(s) ?? invalidField(`statuses.${i}`, 'is not an appointment status');
      });
      const filter = filterOf(
        {
          doctorId: input.doctorId,
          patientId: input.patientId,
          departmentId: input.departmentId,
          serviceDate: input.serviceDate,
          statuses,
          timeframe:
            input.timeframe === 'APPOINTMENT_TIMEFRAME_PAST'
              ? 'past'
              : input.timeframe === 'APPOINTMENT_TIMEFRAME_UPCOMING'
                ? 'upcoming'
                : undefined,
        },
        deps.now(),
      );
      const limit = pageSizeOf(input.pageSize);
      const { appointments, more } = await listAppointments(deps.store, {
        tenantId: ctx.tenantId,
        filter,
        limit,
        after: input.cursor ? decodeAppointmentCursor(input.cursor) : undefined,
      });
      return {
        appointments: appointments.map(appointmentMessage),
        nextCursor: more ? encodeAppointmentCursor(appointments.at(-1)!) : '',
      };
    },
    async GetAppointmentHistory(request, ctx) {
      const appointmentId = parseRequest(uuid, request.id, 'id');
      const limit = pageSizeOf(request.pageSize);
      const { entries, more } = await appointmentHistory(deps.store, {
        tenantId: ctx.tenantId,
        appointmentId,
        limit,
        afterId: request.cursor ? decodeCursor(idCursor, request.cursor).id : undefined,
      });
      return { entries: entries.map(historyMessage), nextCursor: more ? encodeCursor({ id: entries.at(-1)!.id }) : '' };
    },
    async CheckInAppointment(request, ctx) {
      return { appointment: appointmentMessage(await checkIn(deps, action(request.id, ctx))) };
    },
    async CancelAppointment(request, ctx) {
      const input = parseRequest(cancelRequest, request);
      const appointment = await cancelAppointment(deps, {
        ...action(input.id, ctx),
        by: input.cancelledBy === 'CANCELLED_BY_PATIENT' ? 'PATIENT' : 'STAFF',
        reason: input.reason,
      });
      return { appointment: appointmentMessage(appointment) };
    },
    async RescheduleAppointment(request, ctx) {
      const input = parseRequest(rescheduleRequest, { ...request, startsAt: instant(request.startsAt) });
      const appointment = await rescheduleAppointment(deps, {
        ...action(input.id, ctx),
        startsAt: input.startsAt,
        holdId: input.holdId,
        reason: input.reason,
      });
      return { appointment: appointmentMessage(appointment) };
    },
    async StartConsultation(request, ctx) {
      return { appointment: appointmentMessage(await startConsultation(deps, action(request.id, ctx))) };
    },
    async CompleteAppointment(request, ctx) {
      return { appointment: appointmentMessage(await completeAppointment(deps, action(request.id, ctx))) };
    },
    async MarkNoShow(request, ctx) {
      const why = parseRequest(reason, request.reason, 'reason');
      const appointment = await markNoShow(deps, { ...action(request.id, ctx), reason: why || 'did not attend' });
      return { appointment: appointmentMessage(appointment) };
    },
    async GetDailyDashboard(request, ctx) {
      const serviceDate = parseRequest(date, request.serviceDate, 'date');
      const departmentId = parseRequest(optionalUuid, request.departmentId, 'departmentId');
      const day = await dailyDashboard(deps.store, { tenantId: ctx.tenantId, serviceDate, departmentId });
      return {
        serviceDate: day.serviceDate,
        totals: countsMessage(day.totals),
        departments: day.departments.map((d) => ({ departmentId: d.departmentId, counts: countsMessage(d.counts) })),
        doctors: day.doctors.map((d) => ({
          doctorId: d.doctorId,
          departmentId: d.departmentId,
          counts: countsMessage(d.counts),
          updatedAt: at(d.updatedAt),
        })),
        updatedAt: at(day.updatedAt),
      };
    },
    async GetSchedulingSettings(_request, ctx) {
      return { settings: settingsMessage(await getSettings(deps, { tenantId: ctx.tenantId })) };
    },
    async UpdateSchedulingSettings(request, ctx) {
      const settings = parseRequest(settingsRequest, request.settings ?? {}, 'settings');
      return { settings: settingsMessage(await updateSettings(deps, { tenantId: ctx.tenantId, settings })) };
    },
  };
}
