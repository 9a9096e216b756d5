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
