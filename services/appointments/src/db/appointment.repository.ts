/**
 * AppointmentStore on Prisma. Every change and the event announcing it are
 * written in one transaction through the outbox.
 */
import { dateOnly, isoDateOf, newId, type Outbox } from '@hms/platform';
import { EVENTS } from '@hms/proto';
import { IdempotencyKeyTakenError, SlotTakenError, type AppointmentStore } from '../domain/appointment-store.js';
import type { Appointment, Doctor, Patient } from '../domain/types.js';
import { appointmentBooked, appointmentCheckedIn, doctorDayKey } from '../events/appointment-events.js';
import type { Appointment as AppointmentRow, Doctor as DoctorRow } from './generated/client.js';
import { violatesUnique, type Db } from './prisma.js';

export function createAppointmentStore(db: Db, outbox: Outbox): AppointmentStore {
  return {
    async findDoctor(tenantId, id) {
      const row = await db.doctor.findUnique({ where: { tenantId_id: { tenantId, id } } });
      return row ? toDoctor(row) : undefined;
    },
    async findPatient(tenantId, id): Promise<Patient | undefined> {
      const row = await db.patient.findUnique({ where: { tenantId_id: { tenantId, id } } });
      return row ? { id: row.id, tenantId: row.tenantId, mrn: row.mrn, fullName: row.fullName } : undefined;
    },
    async findAppointment(tenantId, id) {
      const row = await db.appointment.findUnique({ where: { tenantId_id: { tenantId, id } } });
      return row ? toAppointment(row) : undefined;
    },
    async findByIdempotencyKey(tenantId, key) {
      const row = await db.appointment.findUnique({
        where: { tenantId_idempotencyKey: { tenantId, idempotencyKey: key } },
      });
      return row ? toAppointment(row) : undefined;
    },
    async createBooking(appointment, actorId) {
      try {
        const row = await db.$transaction(async (tx) => {
          const created = await tx.appointment.create({
            data: {
              id: appointment.id,
              tenantId: appointment.tenantId,
              patientId: appointment.patientId,
              doctorId: appointment.doctorId,
              departmentId: appointment.departmentId,
              startsAt: appointment.startsAt,
              endsAt: appointment.endsAt,
              serviceDate: dateOnly(appointment.serviceDate),
              status: 'BOOKED',
              reason: appointment.reason,
              consultationFeeMinor: BigInt(appointment.consultationFeeMinor),
              hospitalFeeMinor: BigInt(appointment.hospitalFeeMinor),
              currency: appointment.currency,
              idempotencyKey: appointment.idempotencyKey,
              traceId: appointment.traceId,
              createdAt: appointment.createdAt,
            },
          });
          await tx.appointmentHistory.create({
            data: {
              id: newId(),
              tenantId: appointment.tenantId,
              appointmentId: appointment.id,
              fromStatus: null,
              toStatus: 'BOOKED',
              actorId,
            },
          });
          await outbox.write(tx, EVENTS.appointmentBooked, {
            key: doctorDayKey(appointment),
            tenantId: appointment.tenantId,
            subject: `appointment/${appointment.id}`,
            data: appointmentBooked(appointment),
          });
          return created;
        });
        return toAppointment(row);
      } catch (error) {
        if (violatesUnique(error, 'appointments_doctor_slot_active_key')) throw new SlotTakenError();
        if (violatesUnique(error, 'idempotency_key')) throw new IdempotencyKeyTakenError();
        throw error;
      }
    },
    async checkIn(appointment, doctor, at, actorId) {
      const row = await db.$transaction(async (tx) => {
        // Only a BOOKED row moves, so two concurrent check-ins produce one event.
        const moved = await tx.appointment.updateMany({
          where: { tenantId: appointment.tenantId, id: appointment.id, status: 'BOOKED' },
          data: { status: 'CHECKED_IN', checkedInAt: at },
        });
        if (moved.count === 1) {
          await tx.appointmentHistory.create({
            data: {
              id: newId(),
              tenantId: appointment.tenantId,
              appointmentId: appointment.id,
              fromStatus: 'BOOKED',
              toStatus: 'CHECKED_IN',
              actorId,
              changedAt: at,
            },
          });
          await outbox.write(tx, EVENTS.appointmentCheckedIn, {
            key: doctorDayKey(appointment),
            tenantId: appointment.tenantId,
            subject: `appointment/${appointment.id}`,
            data: appointmentCheckedIn(appointment, at, doctor.timeZone),
          });
        }
        return tx.appointment.findUniqueOrThrow({
          where: { tenantId_id: { tenantId: appointment.tenantId, id: appointment.id } },
        });
      });
      return toAppointment(row);
    },
  };
}

function toDoctor(row: DoctorRow): Doctor {
  return {
    id: row.id,
    tenantId: row.tenantId,
    departmentId: row.departmentId,
    fullName: row.fullName,
    consultationFeeMinor: Number(row.consultationFeeMinor),
    hospitalFeeMinor: Number(row.hospitalFeeMinor),
    currency: row.currency,
    timeZone: row.timeZone,
    slotMinutes: row.slotMinutes,
    dayStartMinute: row.dayStartMinute,
    dayEndMinute: row.dayEndMinute,
    workingDays: row.workingDays,
    active: row.active,
  };
}

function toAppointment(row: AppointmentRow): Appointment {
  return {
    id: row.id,
    tenantId: row.tenantId,
    patientId: row.patientId,
    doctorId: row.doctorId,
    departmentId: row.departmentId,
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    serviceDate: isoDateOf(row.serviceDate),
    status: row.status,
    reason: row.reason,
    consultationFeeMinor: Number(row.consultationFeeMinor),
    hospitalFeeMinor: Number(row.hospitalFeeMinor),
    currency: row.currency,
    idempotencyKey: row.idempotencyKey,
    traceId: row.traceId,
    createdAt: row.createdAt,
    checkedInAt: row.checkedInAt,
  };
}
