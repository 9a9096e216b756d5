/** gRPC AppointmentsService: translates proto messages to use-case calls and back. */
import {
  currentTraceId,
  parseRequest,
  requestFingerprint,
  type MethodPermissions,
  type UnaryImplementation,
} from '@hms/platform';
import {
  fromTimestamp,
  toTimestamp,
  type AppointmentsServiceHandlers,
  type Appointment as AppointmentMessage,
} from '@hms/proto';
import { z } from 'zod';
import { bookAppointment, type SchedulingDeps } from '../domain/book-appointment.js';
import { checkIn } from '../domain/check-in.js';
import { getAppointment } from '../domain/get-appointment.js';
import type { Appointment } from '../domain/types.js';

const uuid = z.uuid().transform((id) => id.toLowerCase());
const bookRequest = z.object({
  patientId: uuid,
  doctorId: uuid,
  startsAt: z.date({ error: 'required' }),
  reason: z.string().max(500),
  idempotencyKey: z.string().max(200),
});

/** What a caller must be allowed to do for each method (checked before the handler runs). */
export const appointmentsPermissions = {
  BookAppointment: 'appointments.book',
  GetAppointment: 'appointments.read',
  CheckInAppointment: 'appointments.check_in',
  GetDoctor: 'doctors.read',
  GetPatient: 'patients.read',
  RegisterPatient: 'patients.write',
} satisfies MethodPermissions<AppointmentsServiceHandlers>;

/** Booking and the appointment lifecycle; the directory's methods are in directory.handlers.ts. */
export function appointmentsHandlers(
  deps: SchedulingDeps,
): Omit<UnaryImplementation<AppointmentsServiceHandlers>, 'GetDoctor' | 'GetPatient' | 'RegisterPatient'> {
  return {
    async BookAppointment(request, ctx) {
      const input = parseRequest(bookRequest, { ...request, startsAt: fromTimestamp(request.startsAt) });
      const { idempotencyKey, ...rest } = input;
      const { appointment, replayed } = await bookAppointment(deps, {
        tenantId: ctx.tenantId,
        actorId: ctx.userId ?? '',
        patientId: input.patientId,
        doctorId: input.doctorId,
        startsAt: input.startsAt,
        reason: input.reason,
        idempotency: idempotencyKey
          ? { operation: 'BookAppointment', key: idempotencyKey, fingerprint: requestFingerprint(rest) }
          : undefined,
        traceId: currentTraceId(),
        monthlyQuota: ctx.quotas.appointmentsPerMonth,
      });
      return { appointment: toMessage(appointment), replayed };
    },
    async GetAppointment(request, ctx) {
      const appointmentId = parseRequest(uuid, request.id, 'id');
      return { appointment: toMessage(await getAppointment(deps.store, { tenantId: ctx.tenantId, appointmentId })) };
    },
    async CheckInAppointment(request, ctx) {
      const appointmentId = parseRequest(uuid, request.id, 'id');
      const appointment = await checkIn(deps, { tenantId: ctx.tenantId, appointmentId, actorId: ctx.userId ?? '' });
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
