import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  newId,
  type FieldViolation,
} from '@hms/platform';
import { IdempotencyKeyTakenError, SlotTakenError, type AppointmentStore } from './appointment-store.js';
import { planSlot, type BookingPolicy } from './schedule.js';
import type { Appointment } from './types.js';

export interface BookAppointmentInput {
  tenantId: string;
  actorId: string;
  patientId: string;
  doctorId: string;
  startsAt: Date;
  reason: string;
  idempotencyKey: string | null;
  traceId: string;
}

export interface BookingDeps {
  store: AppointmentStore;
  now: () => Date;
  policy: BookingPolicy;
}

/**
 * Books a slot. With an idempotency key, a retry of the same request returns
 * the first booking (replayed) and a different request under the same key is
 * refused; without one, each call is a new booking attempt.
 */
export async function bookAppointment(
  deps: BookingDeps,
  input: BookAppointmentInput,
): Promise<{ appointment: Appointment; replayed: boolean }> {
  if (input.idempotencyKey) {
    const earlier = await deps.store.findByIdempotencyKey(input.tenantId, input.idempotencyKey);
    if (earlier) return { appointment: sameRequestOrThrow(earlier, input), replayed: true };
  }
  const [doctor, patient] = await Promise.all([
    deps.store.findDoctor(input.tenantId, input.doctorId),
    deps.store.findPatient(input.tenantId, input.patientId),
  ]);
  const unknown: FieldViolation[] = [];
  if (!doctor) unknown.push({ field: 'doctorId', message: 'no such doctor' });
  if (!patient) unknown.push({ field: 'patientId', message: 'no such patient' });
  if (!doctor || !patient) throw new FailedPreconditionError('unknown doctor or patient', unknown);

  const slot = planSlot(doctor, input.startsAt, deps.now(), deps.policy);
  const appointment: Appointment = {
    id: newId(),
    tenantId: input.tenantId,
    patientId: patient.id,
    doctorId: doctor.id,
    departmentId: doctor.departmentId,
    startsAt: slot.startsAt,
    endsAt: slot.endsAt,
    serviceDate: slot.serviceDate,
    status: 'BOOKED',
    reason: input.reason,
    consultationFeeMinor: doctor.consultationFeeMinor,
    hospitalFeeMinor: doctor.hospitalFeeMinor,
    currency: doctor.currency,
    idempotencyKey: input.idempotencyKey,
    traceId: input.traceId,
    createdAt: deps.now(),
    checkedInAt: null,
  };
  try {
    return { appointment: await deps.store.createBooking(appointment, input.actorId), replayed: false };
  } catch (error) {
    if (error instanceof SlotTakenError) {
      throw new AlreadyExistsError('that slot is already booked', [{ field: 'startsAt', message: 'slot taken' }]);
    }
    if (error instanceof IdempotencyKeyTakenError && input.idempotencyKey) {
      // A concurrent retry won the race; answer as it did.
      const winner = await deps.store.findByIdempotencyKey(input.tenantId, input.idempotencyKey);
      if (winner) return { appointment: sameRequestOrThrow(winner, input), replayed: true };
    }
    throw error;
  }
}

function sameRequestOrThrow(earlier: Appointment, input: BookAppointmentInput): Appointment {
  const same =
    earlier.doctorId === input.doctorId &&
    earlier.patientId === input.patientId &&
    earlier.startsAt.getTime() === input.startsAt.getTime();
  if (!same) {
    throw new InvalidArgumentError('this idempotency key was already used for a different booking', [
      { field: 'idempotencyKey', message: 'reused with a different request' },
    ]);
  }
  return earlier;
}
