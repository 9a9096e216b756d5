import { AlreadyExistsError, type IdempotencyClaim, type PendingEvent } from '@hms/platform/domain';
import type { Appointment, AppointmentStatus, Doctor, Patient } from './types.js';

/** One status change of an appointment, as its history keeps it. */
export interface Transition {
  from: AppointmentStatus | null;
  to: AppointmentStatus;
  actorId: string;
  at: Date;
}

/** What the appointments use cases need from storage; src/db implements it in SQL on the service's database. */
export interface AppointmentStore {
  /** Runs `fn` in one transaction of the tenant: its changes and their events commit together, or not at all. */
  change<T>(tenantId: string, fn: (tx: AppointmentChanges) => Promise<T>): Promise<T>;
  findAppointment(tenantId: string, id: string): Promise<Appointment | undefined>;
}

/** What one transaction can read and change. */
export interface AppointmentChanges {
  /**
   * Claims an idempotency key for this transaction: undefined when it is new
   * (the booking saved with it stores its result), the appointment first
   * booked with it when the same request comes again. A key reused for a
   * different request is refused.
   */
  replayOf(claim: IdempotencyClaim): Promise<Appointment | undefined>;
  findDoctor(id: string): Promise<Doctor | undefined>;
  /** The doctor and the patient of a booking, in one look-up; either may be missing. */
  findDoctorAndPatient(doctorId: string, patientId: string): Promise<{ doctor?: Doctor; patient?: Patient }>;
  /**
   * Appointments of the tenant booked since `since` (the month's start, for
   * its quota), counted under a lock of the tenant's count: two bookings at the
   * quota's edge cannot both see room. Only asked when the plan has a quota.
   */
  countBookedSince(since: Date): Promise<number>;
  /** The appointment, locked until the transaction ends. */
  lockAppointment(id: string): Promise<Appointment | undefined>;
  /**
   * Saves a new booking, its first history row and its events (and its result
   * under the idempotency key that claimed it). Throws SlotTakenError when the
   * doctor's slot is already booked.
   */
  insertBooking(
    appointment: Appointment,
    transition: Transition,
    events: PendingEvent[],
    claim?: IdempotencyClaim,
  ): Promise<void>;
  /** Saves the appointment's new state, the history row of the change and its events. */
  saveTransition(appointment: Appointment, transition: Transition, events: PendingEvent[]): Promise<void>;
}

/** The database refused the booking: the doctor's slot is already booked. */
export class SlotTakenError extends AlreadyExistsError {
  override readonly name = 'SlotTakenError';
  constructor() {
    super('that slot is already booked', [{ field: 'startsAt', message: 'slot taken' }]);
  }
}
