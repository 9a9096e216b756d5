/**
 * Booking a slot: the doctor's rules decide whether the slot can be had; the
 * appointment, its first history row and appointment.booked are saved in one
 * transaction, and the database's unique index refuses a second booking of the
 * slot. With an idempotency key, a retry of the same request gets the first
 * booking back (replayed) and the key reused for another request is refused.
 */
import {
  FailedPreconditionError,
  QuotaExceededError,
  type FieldViolation,
  type IdempotencyClaim,
} from '@hms/platform/domain';
import type { AppointmentStore } from './appointment-store.js';
import { appointmentBooked } from './events.js';
import { planSlot, type BookingPolicy } from './schedule.js';
import type { Appointment } from './types.js';

export interface BookAppointment {
  tenantId: string;
  actorId: string;
  patientId: string;
  doctorId: string;
  startsAt: Date;
  reason: string;
  idempotency?: IdempotencyClaim | undefined;
  traceId: string;
  /** The plan's appointments per calendar month (UTC); undefined: no limit. */
  monthlyQuota?: number | undefined;
}

export interface SchedulingDeps {
  store: AppointmentStore;
  now: () => Date;
  newId: () => string;
  policy: BookingPolicy;
}

export async function bookAppointment(
  deps: SchedulingDeps,
  command: BookAppointment,
): Promise<{ appointment: Appointment; replayed: boolean }> {
  return deps.store.change(command.tenantId, async (tx) => {
    if (command.idempotency) {
      const earlier = await tx.replayOf(command.idempotency);
      if (earlier) return { appointment: earlier, replayed: true };
    }
    const { doctor, patient } = await tx.findDoctorAndPatient(command.doctorId, command.patientId);
    const unknown: FieldViolation[] = [];
    if (!doctor) unknown.push({ field: 'doctorId', message: 'no such doctor' });
    if (!patient) unknown.push({ field: 'patientId', message: 'no such patient' });
    if (!doctor || !patient) throw new FailedPreconditionError('unknown doctor or patient', unknown);

    const now = deps.now();
    const slot = planSlot(doctor, command.startsAt, now, deps.policy);
    if (command.monthlyQuota !== undefined) {
      const booked = await tx.countBookedSince(monthStartUtc(now));
      if (booked >= command.monthlyQuota) throw new QuotaExceededError('appointmentsPerMonth', command.monthlyQuota);
    }
    const appointment: Appointment = {
      id: deps.newId(),
      tenantId: command.tenantId,
      patientId: patient.id,
      doctorId: doctor.id,
      departmentId: doctor.departmentId,
      startsAt: slot.startsAt,
      endsAt: slot.endsAt,
      serviceDate: slot.serviceDate,
      status: 'BOOKED',
      reason: command.reason,
      consultationFeeMinor: doctor.consultationFeeMinor,
      hospitalFeeMinor: doctor.hospitalFeeMinor,
      currency: doctor.currency,
      idempotencyKey: command.idempotency?.key ?? null,
      traceId: command.traceId,
      createdAt: now,
      checkedInAt: null,
    };
    await tx.insertBooking(
      appointment,
      { from: null, to: 'BOOKED', actorId: command.actorId, at: now },
      [appointmentBooked(appointment)],
      command.idempotency,
    );
    return { appointment, replayed: false };
  });
}

/** Midnight UTC of the first day of `at`'s month: quotas count calendar months in UTC. */
export function monthStartUtc(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}
