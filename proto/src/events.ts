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
import type { ApiKeyChanged, ApiKeyChanged__Output } from './generated/hms/gateway/v1/ApiKeyChanged.js';
import type { LoginFailed, LoginFailed__Output } from './generated/hms/gateway/v1/LoginFailed.js';
import type { LoginSucceeded, LoginSucceeded__Output } from './generated/hms/gateway/v1/LoginSucceeded.js';
import type { RecordAccessed, RecordAccessed__Output } from './generated/hms/gateway/v1/RecordAccessed.js';
import type { RefreshTokenReused, RefreshTokenReused__Output } from './generated/hms/gateway/v1/RefreshTokenReused.js';
import type { RoleChanged, RoleChanged__Output } from './generated/hms/gateway/v1/RoleChanged.js';
import type { SessionEnded, SessionEnded__Output } from './generated/hms/gateway/v1/SessionEnded.js';
import type { TenantChanged, TenantChanged__Output } from './generated/hms/gateway/v1/TenantChanged.js';
import type { UserChanged, UserChanged__Output } from './generated/hms/gateway/v1/UserChanged.js';

/** One topic per producing service and major version. */
export const TOPICS = {
  appointments: 'hms.appointments.v1',
  billing: 'hms.billing.v1',
  queue: 'hms.queue.v1',
  gateway: 'hms.gateway.v1',
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
  loginSucceeded: defineEvent<LoginSucceeded, LoginSucceeded__Output>(
    'auth.login_succeeded',
    TOPICS.gateway,
    'hms.gateway.v1.LoginSucceeded',
  ),
  loginFailed: defineEvent<LoginFailed, LoginFailed__Output>(
    'auth.login_failed',
    TOPICS.gateway,
    'hms.gateway.v1.LoginFailed',
  ),
  refreshTokenReused: defineEvent<RefreshTokenReused, RefreshTokenReused__Output>(
    'auth.refresh_token_reused',
    TOPICS.gateway,
    'hms.gateway.v1.RefreshTokenReused',
  ),
  sessionEnded: defineEvent<SessionEnded, SessionEnded__Output>(
    'auth.session_ended',
    TOPICS.gateway,
    'hms.gateway.v1.SessionEnded',
  ),
  recordAccessed: defineEvent<RecordAccessed, RecordAccessed__Output>(
    'record.accessed',
    TOPICS.gateway,
    'hms.gateway.v1.RecordAccessed',
  ),
  userChanged: defineEvent<UserChanged, UserChanged__Output>(
    'user.changed',
    TOPICS.gateway,
    'hms.gateway.v1.UserChanged',
  ),
  roleChanged: defineEvent<RoleChanged, RoleChanged__Output>(
    'role.changed',
    TOPICS.gateway,
    'hms.gateway.v1.RoleChanged',
  ),
  apiKeyChanged: defineEvent<ApiKeyChanged, ApiKeyChanged__Output>(
    'api_key.changed',
    TOPICS.gateway,
    'hms.gateway.v1.ApiKeyChanged',
  ),
  tenantChanged: defineEvent<TenantChanged, TenantChanged__Output>(
    'tenant.changed',
    TOPICS.gateway,
    'hms.gateway.v1.TenantChanged',
  ),
} as const;

export type EventName = keyof typeof EVENTS;
export type EventPayload<D> = D extends EventDefinition<infer In, unknown> ? In : never;
export type EventPayloadOutput<D> = D extends EventDefinition<unknown, infer Out> ? Out : never;
