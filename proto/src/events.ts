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
import type {
  VisitVitalsRecorded,
  VisitVitalsRecorded__Output,
} from './generated/hms/appointments/v1/VisitVitalsRecorded.js';
import type {
  ConsultationSigned,
  ConsultationSigned__Output,
} from './generated/hms/appointments/v1/ConsultationSigned.js';
import type {
  ConsultationAmended,
  ConsultationAmended__Output,
} from './generated/hms/appointments/v1/ConsultationAmended.js';
import type {
  PrescriptionIssued,
  PrescriptionIssued__Output,
} from './generated/hms/appointments/v1/PrescriptionIssued.js';
import type {
  PrescriptionDispensed,
  PrescriptionDispensed__Output,
} from './generated/hms/appointments/v1/PrescriptionDispensed.js';
import type { BillCreated, BillCreated__Output } from './generated/hms/billing/v1/BillCreated.js';
import type {
  BillDiscountApplied,
  BillDiscountApplied__Output,
} from './generated/hms/billing/v1/BillDiscountApplied.js';
import type { BillIssued, BillIssued__Output } from './generated/hms/billing/v1/BillIssued.js';
import type { BillItemAdded, BillItemAdded__Output } from './generated/hms/billing/v1/BillItemAdded.js';
import type { BillItemRemoved, BillItemRemoved__Output } from './generated/hms/billing/v1/BillItemRemoved.js';
import type { BillOverdue, BillOverdue__Output } from './generated/hms/billing/v1/BillOverdue.js';
import type { BillPaid, BillPaid__Output } from './generated/hms/billing/v1/BillPaid.js';
import type { BillVoided, BillVoided__Output } from './generated/hms/billing/v1/BillVoided.js';
import type { CreditNoteIssued, CreditNoteIssued__Output } from './generated/hms/billing/v1/CreditNoteIssued.js';
import type { PaymentRecorded, PaymentRecorded__Output } from './generated/hms/billing/v1/PaymentRecorded.js';
import type { RefundChanged, RefundChanged__Output } from './generated/hms/billing/v1/RefundChanged.js';
import type { QueueCalled, QueueCalled__Output } from './generated/hms/queue/v1/QueueCalled.js';
import type { QueueCompleted, QueueCompleted__Output } from './generated/hms/queue/v1/QueueCompleted.js';
import type { QueuePausedChanged, QueuePausedChanged__Output } from './generated/hms/queue/v1/QueuePausedChanged.js';
import type {
  QueuePriorityChanged,
  QueuePriorityChanged__Output,
} from './generated/hms/queue/v1/QueuePriorityChanged.js';
import type { QueueRecalled, QueueRecalled__Output } from './generated/hms/queue/v1/QueueRecalled.js';
import type { QueueRemoved, QueueRemoved__Output } from './generated/hms/queue/v1/QueueRemoved.js';
import type { QueueSkipped, QueueSkipped__Output } from './generated/hms/queue/v1/QueueSkipped.js';
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
import type { QueueTransferred, QueueTransferred__Output } from './generated/hms/queue/v1/QueueTransferred.js';

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
  visitVitalsRecorded: defineEvent<VisitVitalsRecorded, VisitVitalsRecorded__Output>(
    'visit.vitals_recorded',
    TOPICS.appointments,
    'hms.appointments.v1.VisitVitalsRecorded',
  ),
  consultationSigned: defineEvent<ConsultationSigned, ConsultationSigned__Output>(
    'consultation.signed',
    TOPICS.appointments,
    'hms.appointments.v1.ConsultationSigned',
  ),
  consultationAmended: defineEvent<ConsultationAmended, ConsultationAmended__Output>(
    'consultation.amended',
    TOPICS.appointments,
    'hms.appointments.v1.ConsultationAmended',
  ),
  prescriptionIssued: defineEvent<PrescriptionIssued, PrescriptionIssued__Output>(
    'prescription.issued',
    TOPICS.appointments,
    'hms.appointments.v1.PrescriptionIssued',
  ),
  prescriptionDispensed: defineEvent<PrescriptionDispensed, PrescriptionDispensed__Output>(
    'prescription.dispensed',
    TOPICS.appointments,
    'hms.appointments.v1.PrescriptionDispensed',
  ),
  billCreated: defineEvent<BillCreated, BillCreated__Output>(
    'bill.created',
    TOPICS.billing,
    'hms.billing.v1.BillCreated',
  ),
  billItemAdded: defineEvent<BillItemAdded, BillItemAdded__Output>(
    'bill.item_added',
    TOPICS.billing,
    'hms.billing.v1.BillItemAdded',
  ),
  billItemRemoved: defineEvent<BillItemRemoved, BillItemRemoved__Output>(
    'bill.item_removed',
    TOPICS.billing,
    'hms.billing.v1.BillItemRemoved',
  ),
  billDiscountApplied: defineEvent<BillDiscountApplied, BillDiscountApplied__Output>(
    'bill.discount_applied',
    TOPICS.billing,
    'hms.billing.v1.BillDiscountApplied',
  ),
  billIssued: defineEvent<BillIssued, BillIssued__Output>('bill.issued', TOPICS.billing, 'hms.billing.v1.BillIssued'),
  paymentRecorded: defineEvent<PaymentRecorded, PaymentRecorded__Output>(
    'payment.recorded',
    TOPICS.billing,
    'hms.billing.v1.PaymentRecorded',
  ),
  billPaid: defineEvent<BillPaid, BillPaid__Output>('bill.paid', TOPICS.billing, 'hms.billing.v1.BillPaid'),
  refundRequested: defineEvent<RefundChanged, RefundChanged__Output>(
    'refund.requested',
    TOPICS.billing,
    'hms.billing.v1.RefundChanged',
  ),
  refundApproved: defineEvent<RefundChanged, RefundChanged__Output>(
    'refund.approved',
    TOPICS.billing,
    'hms.billing.v1.RefundChanged',
  ),
  refundRejected: defineEvent<RefundChanged, RefundChanged__Output>(
    'refund.rejected',
    TOPICS.billing,
    'hms.billing.v1.RefundChanged',
  ),
  refundCompleted: defineEvent<RefundChanged, RefundChanged__Output>(
    'refund.completed',
    TOPICS.billing,
    'hms.billing.v1.RefundChanged',
  ),
  billVoided: defineEvent<BillVoided, BillVoided__Output>('bill.voided', TOPICS.billing, 'hms.billing.v1.BillVoided'),
  billOverdue: defineEvent<BillOverdue, BillOverdue__Output>(
    'bill.overdue',
    TOPICS.billing,
    'hms.billing.v1.BillOverdue',
  ),
  creditNoteIssued: defineEvent<CreditNoteIssued, CreditNoteIssued__Output>(
    'credit_note.issued',
    TOPICS.billing,
    'hms.billing.v1.CreditNoteIssued',
  ),
  queueTokenIssued: defineEvent<QueueTokenIssued, QueueTokenIssued__Output>(
    'queue.token_issued',
    TOPICS.queue,
    'hms.queue.v1.QueueTokenIssued',
  ),
  queueCalled: defineEvent<QueueCalled, QueueCalled__Output>('queue.called', TOPICS.queue, 'hms.queue.v1.QueueCalled'),
  queueRecalled: defineEvent<QueueRecalled, QueueRecalled__Output>(
    'queue.recalled',
    TOPICS.queue,
    'hms.queue.v1.QueueRecalled',
  ),
  queueSkipped: defineEvent<QueueSkipped, QueueSkipped__Output>(
    'queue.skipped',
    TOPICS.queue,
    'hms.queue.v1.QueueSkipped',
  ),
  queueCompleted: defineEvent<QueueCompleted, QueueCompleted__Output>(
    'queue.completed',
    TOPICS.queue,
    'hms.queue.v1.QueueCompleted',
  ),
  queueTransferred: defineEvent<QueueTransferred, QueueTransferred__Output>(
    'queue.transferred',
    TOPICS.queue,
    'hms.queue.v1.QueueTransferred',
  ),
  queuePriorityChanged: defineEvent<QueuePriorityChanged, QueuePriorityChanged__Output>(
    'queue.priority_changed',
    TOPICS.queue,
    'hms.queue.v1.QueuePriorityChanged',
  ),
  queueRemoved: defineEvent<QueueRemoved, QueueRemoved__Output>(
    'queue.removed',
    TOPICS.queue,
    'hms.queue.v1.QueueRemoved',
  ),
  queuePaused: defineEvent<QueuePausedChanged, QueuePausedChanged__Output>(
    'queue.paused',
    TOPICS.queue,
    'hms.queue.v1.QueuePausedChanged',
  ),
  queueResumed: defineEvent<QueuePausedChanged, QueuePausedChanged__Output>(
    'queue.resumed',
    TOPICS.queue,
    'hms.queue.v1.QueuePausedChanged',
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
