/**
 * The catalogue of HMS events: for each event type its topic, its payload
 * message in proto and its schema version. Producers and consumers import the
 * same definition, so a payload can only be written and read one way.
 */
import type {
  AppointmentBooked,
  AppointmentBooked__Output,
} from './generated/hms/appointments/v1/AppointmentBooked.js';
import type {
  AppointmentCheckedIn,
  AppointmentCheckedIn__Output,
} from './generated/hms/appointments/v1/AppointmentCheckedIn.js';
import type {
  AppointmentCancelled,
  AppointmentCancelled__Output,
} from './generated/hms/appointments/v1/AppointmentCancelled.js';
import type {
  AppointmentCompleted,
  AppointmentCompleted__Output,
} from './generated/hms/appointments/v1/AppointmentCompleted.js';
import type {
  AppointmentConsultationStarted,
  AppointmentConsultationStarted__Output,
} from './generated/hms/appointments/v1/AppointmentConsultationStarted.js';
import type {
  AppointmentNoShow,
  AppointmentNoShow__Output,
} from './generated/hms/appointments/v1/AppointmentNoShow.js';
import type {
  AppointmentReminderDue,
  AppointmentReminderDue__Output,
} from './generated/hms/appointments/v1/AppointmentReminderDue.js';
import type {
  AppointmentRescheduled,
  AppointmentRescheduled__Output,
} from './generated/hms/appointments/v1/AppointmentRescheduled.js';
import type {
  DepartmentUpdated,
  DepartmentUpdated__Output,
} from './generated/hms/appointments/v1/DepartmentUpdated.js';
import type { DoctorUpdated, DoctorUpdated__Output } from './generated/hms/appointments/v1/DoctorUpdated.js';
import type {
  PatientRegistered,
  PatientRegistered__Output,
} from './generated/hms/appointments/v1/PatientRegistered.js';
import type { PatientUpdated, PatientUpdated__Output } from './generated/hms/appointments/v1/PatientUpdated.js';
import type { BillCreated, BillCreated__Output } from './generated/hms/billing/v1/BillCreated.js';
import type { QueueTokenIssued, QueueTokenIssued__Output } from './generated/hms/queue/v1/QueueTokenIssued.js';

/** One topic per producing service and major version. */
export const TOPICS = {
  appointments: 'hms.appointments.v1',
  billing: 'hms.billing.v1',
  queue: 'hms.queue.v1',
} as const;

export interface EventDefinition<In = unknown, Out = unknown> {
  /** Dotted, past-tense type carried in the envelope, e.g. "appointment.booked". */
  readonly type: string;
  readonly topic: string;
  /** Fully-qualified proto message of the payload. */
  readonly messageType: string;
  readonly version: number;
  /** Type-level only: the payload shapes for writing (In) and reading (Out). */
  readonly payload?: { in: In; out: Out };
}

function defineEvent<In, Out>(type: string, topic: string, messageType: string, version = 1): EventDefinition<In, Out> {
  return { type, topic, messageType, version };
}

export const EVENTS = {
  appointmentBooked: defineEvent<AppointmentBooked, AppointmentBooked__Output>(
    'appointment.booked',
    TOPICS.appointments,
    'hms.appointments.v1.AppointmentBooked',
  ),
  appointmentCheckedIn: defineEvent<AppointmentCheckedIn, AppointmentCheckedIn__Output>(
    'appointment.checked_in',
    TOPICS.appointments,
    'hms.appointments.v1.AppointmentCheckedIn',
  ),
  appointmentCancelled: defineEvent<AppointmentCancelled, AppointmentCancelled__Output>(
    'appointment.cancelled',
    TOPICS.appointments,
    'hms.appointments.v1.AppointmentCancelled',
  ),
  appointmentRescheduled: defineEvent<AppointmentRescheduled, AppointmentRescheduled__Output>(
    'appointment.rescheduled',
    TOPICS.appointments,
    'hms.appointments.v1.AppointmentRescheduled',
  ),
  appointmentConsultationStarted: defineEvent<AppointmentConsultationStarted, AppointmentConsultationStarted__Output>(
    'appointment.consultation_started',
    TOPICS.appointments,
    'hms.appointments.v1.AppointmentConsultationStarted',
  ),
  appointmentCompleted: defineEvent<AppointmentCompleted, AppointmentCompleted__Output>(
    'appointment.completed',
    TOPICS.appointments,
    'hms.appointments.v1.AppointmentCompleted',
  ),
  appointmentNoShow: defineEvent<AppointmentNoShow, AppointmentNoShow__Output>(
    'appointment.no_show',
    TOPICS.appointments,
    'hms.appointments.v1.AppointmentNoShow',
  ),
  appointmentReminderDue: defineEvent<AppointmentReminderDue, AppointmentReminderDue__Output>(
    'appointment.reminder_due',
    TOPICS.appointments,
    'hms.appointments.v1.AppointmentReminderDue',
  ),
  departmentUpdated: defineEvent<DepartmentUpdated, DepartmentUpdated__Output>(
    'department.updated',
    TOPICS.appointments,
    'hms.appointments.v1.DepartmentUpdated',
  ),
  doctorUpdated: defineEvent<DoctorUpdated, DoctorUpdated__Output>(
    'doctor.updated',
    TOPICS.appointments,
    'hms.appointments.v1.DoctorUpdated',
  ),
  patientRegistered: defineEvent<PatientRegistered, PatientRegistered__Output>(
    'patient.registered',
    TOPICS.appointments,
    'hms.appointments.v1.PatientRegistered',
  ),
  patientUpdated: defineEvent<PatientUpdated, PatientUpdated__Output>(
    'patient.updated',
    TOPICS.appointments,
    'hms.appointments.v1.PatientUpdated',
  ),
  billCreated: defineEvent<BillCreated, BillCreated__Output>(
    'bill.created',
    TOPICS.billing,
    'hms.billing.v1.BillCreated',
  ),
  queueTokenIssued: defineEvent<QueueTokenIssued, QueueTokenIssued__Output>(
    'queue.token_issued',
    TOPICS.queue,
    'hms.queue.v1.QueueTokenIssued',
  ),
} as const;

export type EventName = keyof typeof EVENTS;
export type EventPayload<D> = D extends EventDefinition<infer In, unknown> ? In : never;
export type EventPayloadOutput<D> = D extends EventDefinition<unknown, infer Out> ? Out : never;
