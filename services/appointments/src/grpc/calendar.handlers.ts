/** gRPC CalendarService: doctors' calendars, their slots, and holds on slots. */
import { parseRequest, requestFingerprint, type MethodPermissions, type UnaryImplementation } from '@hms/platform';
import { localParts } from '@hms/platform/domain';
import { toTimestamp, type CalendarServiceHandlers } from '@hms/proto';
import { z } from 'zod';
import type { SchedulingDeps } from '../domain/book-appointment.js';
import {
  addScheduleException,
  createSchedule,
  deleteSchedule,
  listCalendar,
  removeScheduleException,
  replaceSchedule,
  type AffectedAction,
  type CalendarOutcome,
  type ExceptionInput,
} from '../domain/calendar-changes.js';
import { getHold, holdSlot, releaseHold } from '../domain/holds.js';
import { listSlots } from '../domain/slots.js';
import {
  date,
  exceptionMessage,
  holdMessage,
  idempotencyKey,
  instant,
  invalidField,
  optionalDate,
  requiredInstant,
  scheduleMessage,
  slotRunMessages,
  uuid,
} from './messages.js';

const session = z.object({ weekday: z.number(), startMinute: z.number(), endMinute: z.number() });
const scheduleFields = {
  validFrom: date,
  validTo: optionalDate,
  slotMinutes: z.number(),
  sessions: z.array(session).max(84, { error: 'at most 84 sessions' }),
};

const affected = z
  .array(
    z.object({
      appointmentId: uuid,
      action: z.enum([
        'AFFECTED_APPOINTMENT_ACTION_UNSPECIFIED',
        'AFFECTED_APPOINTMENT_ACTION_CANCEL',
        'AFFECTED_APPOINTMENT_ACTION_MOVE',
      ]),
      startsAt: z.date().optional(),
      reason: z.string().max(500, { error: 'must be at most 500 characters' }),
    }),
  )
  .max(500, { error: 'at most 500 appointments in one change' });

function affectedOf(list: { startsAt?: unknown }[]): AffectedAction[] {
  const { affectedAppointments: parsed } = parseRequest(z.object({ affectedAppointments: affected }), {
    affectedAppointments: list.map((a) => ({ ...a, startsAt: instant(a.startsAt as never) })),
  });
  return parsed.map((a, i): AffectedAction => {
    if (a.action === 'AFFECTED_APPOINTMENT_ACTION_CANCEL') {
      return { appointmentId: a.appointmentId, action: 'cancel', reason: a.reason };
    }
    if (a.action === 'AFFECTED_APPOINTMENT_ACTION_MOVE') {
      if (!a.startsAt) invalidField(`affectedAppointments.${i}.startsAt`, 'required to move an appointment');
      return { appointmentId: a.appointmentId, action: 'move', startsAt: a.startsAt };
    }
    return invalidField(`affectedAppointments.${i}.action`, 'must be cancel or move');
  });
}

const outcomeMessage = (o: CalendarOutcome) => ({
  cancelledAppointmentIds: o.cancelled,
  movedAppointmentIds: o.moved,
});

const KINDS = {
  SCHEDULE_EXCEPTION_KIND_LEAVE: 'LEAVE',
  SCHEDULE_EXCEPTION_KIND_EXTRA: 'EXTRA',
  SCHEDULE_EXCEPTION_KIND_BLOCKED: 'BLOCKED',
} as const;

const holdRequest = z.object({ doctorId: uuid, patientId: uuid, startsAt: requiredInstant, idempotencyKey });

/** What a caller must be allowed to do for each method (checked before the handler runs). */
export const calendarPermissions = {
  CreateSchedule: 'doctors.write',
  ReplaceSchedule: 'doctors.write',
  DeleteSchedule: 'doctors.write',
  ListSchedules: 'doctors.read',
  AddScheduleException: 'doctors.write',
  RemoveScheduleException: 'doctors.write',
  ListScheduleExceptions: 'doctors.read',
  ListSlots: 'doctors.read',
  HoldSlot: 'slots.hold',
  GetSlotHold: 'slots.hold',
  ReleaseSlotHold: 'slots.hold',
} satisfies MethodPermissions<CalendarServiceHandlers>;

export function calendarHandlers(deps: SchedulingDeps): UnaryImplementation<CalendarServiceHandlers> {
  const change = (
    doctorId: string,
    ctx: { tenantId: string; userId: string | undefined },
    list: { startsAt?: unknown }[],
  ) => ({
    tenantId: ctx.tenantId,
    actorId: ctx.userId ?? '',
    doctorId: parseRequest(uuid, doctorId, 'doctorId'),
    affected: affectedOf(list),
  });
  const schedule = (request: { validFrom: string; validTo: string; slotMinutes: number; sessions: unknown }) => {
    const input = parseRequest(z.object(scheduleFields), request);
    return { ...input, validTo: input.validTo ?? null };
  };
  return {
    async CreateSchedule(request, ctx) {
      const { schedule: created, outcome } = await createSchedule(deps, {
        ...change(request.doctorId, ctx, request.affectedAppointments),
        schedule: schedule(request),
      });
      return { schedule: scheduleMessage(created), outcome: outcomeMessage(outcome) };
    },
    async ReplaceSchedule(request, ctx) {
      const { schedule: replaced, outcome } = await replaceSchedule(deps, {
        ...change(request.doctorId, ctx, request.affectedAppointments),
        scheduleId: parseRequest(uuid, request.scheduleId, 'scheduleId'),
        schedule: schedule(request),
      });
      return { schedule: scheduleMessage(replaced), outcome: outcomeMessage(outcome) };
    },
    async DeleteSchedule(request, ctx) {
      const { outcome } = await deleteSchedule(deps, {
        ...change(request.doctorId, ctx, request.affectedAppointments),
        scheduleId: parseRequest(uuid, request.scheduleId, 'scheduleId'),
      });
      return { outcome: outcomeMessage(outcome) };
    },
    async ListSchedules(request, ctx) {
      const doctorId = parseRequest(uuid, request.doctorId, 'doctorId');
      const { schedules } = await listCalendar(deps, {
        tenantId: ctx.tenantId,
        doctorId,
        from: '0001-01-01',
        to: null,
      });
      return { schedules: schedules.map(scheduleMessage) };
    },
    async AddScheduleException(request, ctx) {
      const kind = KINDS[request.kind as keyof typeof KINDS] ?? invalidField('kind', 'must be leave, extra or blocked');
      const input: ExceptionInput = {
        date: parseRequest(date, request.date, 'date'),
        kind,
        startMinute: request.startMinute ?? null,
        endMinute: request.endMinute ?? null,
        slotMinutes: request.slotMinutes ?? null,
        reason: parseRequest(
          z.string().max(500, { error: 'must be at most 500 characters' }),
          request.reason,
          'reason',
        ),
      };
      const { exception, outcome } = await addScheduleException(deps, {
        ...change(request.doctorId, ctx, request.affectedAppointments),
        exception: input,
      });
      return { exception: exceptionMessage(exception), outcome: outcomeMessage(outcome) };
    },
    async RemoveScheduleException(request, ctx) {
      const { outcome } = await removeScheduleException(deps, {
        ...change(request.doctorId, ctx, request.affectedAppointments),
        exceptionId: parseRequest(uuid, request.exceptionId, 'exceptionId'),
      });
      return { outcome: outcomeMessage(outcome) };
    },
    async ListScheduleExceptions(request, ctx) {
      const doctorId = parseRequest(uuid, request.doctorId, 'doctorId');
      const from = parseRequest(optionalDate, request.from, 'from');
      const to = parseRequest(optionalDate, request.to, 'to');
      const record = await deps.reference.doctor(ctx.tenantId, doctorId);
      const today = record
        ? localParts(deps.now(), record.doctor.timeZone).date
        : deps.now().toISOString().slice(0, 10);
      const { exceptions } = await listCalendar(deps, {
        tenantId: ctx.tenantId,
        doctorId,
        from: from ?? today,
        to: to ?? null,
      });
      return { exceptions: exceptions.map(exceptionMessage) };
    },
    async ListSlots(request, ctx) {
      const input = parseRequest(z.object({ doctorId: uuid, from: requiredInstant, to: requiredInstant }), {
        doctorId: request.doctorId,
        from: instant(request.from),
        to: instant(request.to),
      });
      const { doctor, slots, stableUntil } = await listSlots(deps, { tenantId: ctx.tenantId, ...input });
      return {
        doctorId: doctor.id,
        timeZone: doctor.timeZone,
        runs: slotRunMessages(slots),
        stableUntil: stableUntil ? toTimestamp(stableUntil) : null,
      };
    },
    async HoldSlot(request, ctx) {
      const input = parseRequest(holdRequest, { ...request, startsAt: instant(request.startsAt) });
      const { idempotencyKey: key, ...rest } = input;
      const { hold, replayed } = await holdSlot(deps, {
        tenantId: ctx.tenantId,
        doctorId: input.doctorId,
        patientId: input.patientId,
        startsAt: input.startsAt,
        idempotency: key ? { operation: 'HoldSlot', key, fingerprint: requestFingerprint(rest) } : undefined,
      });
      return { hold: holdMessage(hold), replayed };
    },
    async GetSlotHold(request, ctx) {
      const holdId = parseRequest(uuid, request.id, 'id');
      return { hold: holdMessage(await getHold(deps, { tenantId: ctx.tenantId, holdId })) };
    },
    async ReleaseSlotHold(request, ctx) {
      await releaseHold(deps, { tenantId: ctx.tenantId, holdId: parseRequest(uuid, request.id, 'id') });
      return {};
    },
  };
}
