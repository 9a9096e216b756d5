import type { Appointment, Doctor, Patient } from './types.js';

/** What the use cases need from storage; src/db implements it with Prisma and the outbox. */
export interface AppointmentStore {
  findDoctor(tenantId: string, id: string): Promise<Doctor | undefined>;
  findPatient(tenantId: string, id: string): Promise<Patient | undefined>;
  findAppointment(tenantId: string, id: string): Promise<Appointment | undefined>;
  findByIdempotencyKey(tenantId: string, key: string): Promise<Appointment | undefined>;
  /**
   * Saves a new booking with its history row and its appointment.booked event,
   * atomically. Throws SlotTakenError or IdempotencyKeyTakenError on the
   * database's unique constraints.
   */
  createBooking(appointment: Appointment, actorId: string): Promise<Appointment>;
  /** Marks the appointment checked in and writes appointment.checked_in, atomically. */
  checkIn(appointment: Appointment, doctor: Doctor, at: Date, actorId: string): Promise<Appointment>;
}

export class SlotTakenError extends Error {
  override readonly name = 'SlotTakenError';
}

export class IdempotencyKeyTakenError extends Error {
  override readonly name = 'IdempotencyKeyTakenError';
}
