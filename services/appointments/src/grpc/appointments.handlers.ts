/** gRPC AppointmentsService: translates proto messages to use-case calls and back. */
import { NotFoundError, currentTraceId, parseRequest, type UnaryImplementation } from '@hms/platform';
import {
  fromTimestamp,
  toTimestamp,
  type AppointmentsServiceHandlers,
  type Appointment as AppointmentMessage,
} from '@hms/proto';
import { z } from 'zod';
import { bookAppointment, type BookingDeps } from '../domain/book-appointment.js';
import { checkInAppointment } from '../domain/check-in.js';
import type { Appointment } from '../domain/types.js';

const uuid = z.uuid();
const bookRequest = z.object({
  patientId: uuid,
  doctorId: uuid,
  startsAt: z.date({ error: 'required' }),
  reason: z.string().max(500),
  idempotencyKey: z.string().max(200),
});

export function appointmentsHandlers(deps: BookingDeps): UnaryImplementation<AppointmentsServiceHandlers> {
  return {
    async BookAppointment(request, ctx) {
      const input = parseRequest(bookRequest, { ...request, startsAt: fromTimestamp(request.startsAt) });
      const { appointment, replayed } = await bookAppointment(deps, {
        tenantId: ctx.tenantId,
        actorId: ctx.userId ?? '',
        patientId: input.patientId,
        doctorId: input.doctorId,
        startsAt: input.startsAt,
        reason: input.reason,
        idempotencyKey: input.idempotencyKey || null,
        traceId: currentTraceId(),
      });
      return { appointment: toMessage(appointment), replayed };
    },
    async GetAppointment(request, ctx) {
      const id = parseRequest(uuid, request.id, 'id');
      const appointment = await deps.store.findAppointment(ctx.tenantId, id);
      if (!appointment) throw new NotFoundError(`appointment ${id} not found`);
      return { appointment: toMessage(appointment) };
    },
    async CheckInAppointment(request, ctx) {
      const id = parseRequest(uuid, request.id, 'id');
      const appointment = await checkInAppointment(deps, {
        tenantId: ctx.tenantId,
        appointmentId: id,
        actorId: ctx.userId ?? '',
      });
      return { appointment: toMessage(appointment) };
    },
  };
}

export function toMessage(a: Appointment): AppointmentMessage {
  return {
    id: a.id,
    patientId: a.patientId,
    doctorId: a.doctorId,
    departmentId: a.departmentId,
    startsAt: toTimestamp(a.startsAt),
    endsAt: toTimestamp(a.endsAt),
    serviceDate: a.serviceDate,
    status: `APPOINTMENT_STATUS_${a.status}`,
    reason: a.reason,
    consultationFeeMinor: a.consultationFeeMinor,
    hospitalFeeMinor: a.hospitalFeeMinor,
    currency: a.currency,
    createdAt: toTimestamp(a.createdAt),
    checkedInAt: a.checkedInAt ? toTimestamp(a.checkedInAt) : null,
    traceId: a.traceId,
  };
}
