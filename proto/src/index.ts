/**
 * The HMS contracts at run time: gRPC service definitions loaded from the .proto
 * files with @grpc/proto-loader, and the catalogue of Kafka events with the
 * codec of their envelope. The TypeScript shapes come from src/generated, which
 * `npm run generate` writes from the same .proto files.
 */
export { loadContracts, contractMessageType, PROTO_DIR, LOADER_OPTIONS, type Contracts } from './contracts.js';
export {
  EVENTS,
  TOPICS,
  type EventDefinition,
  type EventName,
  type EventPayload,
  type EventPayloadOutput,
} from './events.js';
export {
  encodeEnvelope,
  decodeEnvelope,
  decodeEventData,
  describeEventData,
  type Envelope,
  type NewEnvelope,
  type DecodedEvent,
} from './envelope.js';
export { toTimestamp, fromTimestamp } from './timestamp.js';
export { PERMISSIONS, PERMISSION_NAMES, isPermission, type Permission } from './permissions.js';
export { QUOTAS, QUOTA_NAMES, type QuotaName } from './quotas.js';
export { GATEWAY_DOCTORS_CACHE, SLOT_WINDOWS_CACHE } from './caches.js';

export type {
  AppointmentsServiceClient,
  AppointmentsServiceHandlers,
} from './generated/hms/appointments/v1/AppointmentsService.js';
export type {
  CalendarServiceClient,
  CalendarServiceHandlers,
} from './generated/hms/appointments/v1/CalendarService.js';
export type {
  ClinicalServiceClient,
  ClinicalServiceHandlers,
} from './generated/hms/appointments/v1/ClinicalService.js';
export type {
  DirectoryServiceClient,
  DirectoryServiceHandlers,
} from './generated/hms/appointments/v1/DirectoryService.js';
export type {
  PatientsServiceClient,
  PatientsServiceHandlers,
} from './generated/hms/appointments/v1/PatientsService.js';
export type { BillingServiceClient, BillingServiceHandlers } from './generated/hms/billing/v1/BillingService.js';
export type { QueueServiceClient, QueueServiceHandlers } from './generated/hms/queue/v1/QueueService.js';
export type { AuditServiceClient, AuditServiceHandlers } from './generated/hms/audit/v1/AuditService.js';
export type { UsageServiceClient, UsageServiceHandlers } from './generated/hms/usage/v1/UsageService.js';
export type { Appointment } from './generated/hms/appointments/v1/Appointment.js';
export type { AppointmentHistoryEntry } from './generated/hms/appointments/v1/AppointmentHistoryEntry.js';
export type { DashboardCounts } from './generated/hms/appointments/v1/DashboardCounts.js';
export type { GetDailyDashboardResponse__Output as DailyDashboard } from './generated/hms/appointments/v1/GetDailyDashboardResponse.js';
export type { SchedulingSettings } from './generated/hms/appointments/v1/SchedulingSettings.js';
export type { Department } from './generated/hms/appointments/v1/Department.js';
export type { DoctorListing } from './generated/hms/appointments/v1/DoctorListing.js';
export type { Schedule } from './generated/hms/appointments/v1/Schedule.js';
export type { ScheduleException } from './generated/hms/appointments/v1/ScheduleException.js';
export type { Slot } from './generated/hms/appointments/v1/Slot.js';
export type { SlotHold } from './generated/hms/appointments/v1/SlotHold.js';
export type { CalendarChangeOutcome } from './generated/hms/appointments/v1/CalendarChangeOutcome.js';
export type { Patient } from './generated/hms/appointments/v1/Patient.js';
export type { PatientMatch } from './generated/hms/appointments/v1/PatientMatch.js';
export type { AppointmentStatus } from './generated/hms/appointments/v1/AppointmentStatus.js';
export type { AppointmentTimeframe } from './generated/hms/appointments/v1/AppointmentTimeframe.js';
export type { CancelledBy } from './generated/hms/appointments/v1/CancelledBy.js';
export type { AffectedAppointmentAction } from './generated/hms/appointments/v1/AffectedAppointmentAction.js';
export type { ScheduleExceptionKind } from './generated/hms/appointments/v1/ScheduleExceptionKind.js';
export type { Bill } from './generated/hms/billing/v1/Bill.js';
export type { BillItem } from './generated/hms/billing/v1/BillItem.js';
export type { Payment } from './generated/hms/billing/v1/Payment.js';
export type { Refund } from './generated/hms/billing/v1/Refund.js';
export type { CreditNote } from './generated/hms/billing/v1/CreditNote.js';
export type { CatalogueItem } from './generated/hms/billing/v1/CatalogueItem.js';
export type { BillingSettings } from './generated/hms/billing/v1/BillingSettings.js';
export type { GetDailyReportResponse as DailyReport } from './generated/hms/billing/v1/GetDailyReportResponse.js';
export type { QueueEntry, QueueEntry__Output } from './generated/hms/queue/v1/QueueEntry.js';
export type { QueueChange, QueueChange__Output } from './generated/hms/queue/v1/QueueChange.js';
export type { LinePlace } from './generated/hms/queue/v1/LinePlace.js';
export type { QueuePause } from './generated/hms/queue/v1/QueuePause.js';
export type { QueueRules } from './generated/hms/queue/v1/QueueRules.js';
export type { GetQueueResponse, GetQueueResponse__Output } from './generated/hms/queue/v1/GetQueueResponse.js';
export type { WatchQueueResponse, WatchQueueResponse__Output } from './generated/hms/queue/v1/WatchQueueResponse.js';
export type { Doctor, Doctor__Output } from './generated/hms/appointments/v1/Doctor.js';
export type { AuditRecord } from './generated/hms/audit/v1/AuditRecord.js';
export type { ChainProblem__Output as ChainProblem } from './generated/hms/audit/v1/ChainProblem.js';
export type { VerifyTrailResponse__Output as VerifyTrailResult } from './generated/hms/audit/v1/VerifyTrailResponse.js';
export type { Timestamp, Timestamp__Output } from './generated/google/protobuf/Timestamp.js';
export { buildAsyncApiDocument } from './asyncapi.js';
