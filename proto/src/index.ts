/**
 * The HMS contracts at run time: gRPC service definitions loaded from the .proto
 * files with @grpc/proto-loader, and the catalogue of Kafka events with the
 * codec of their envelope. The TypeScript shapes come from src/generated, which
 * `npm run generate` writes from the same .proto files.
 */
export { loadContracts, PROTO_DIR, LOADER_OPTIONS, type Contracts } from './contracts.js';
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

export type {
  AppointmentsServiceClient,
  AppointmentsServiceHandlers,
} from './generated/hms/appointments/v1/AppointmentsService.js';
export type { BillingServiceClient, BillingServiceHandlers } from './generated/hms/billing/v1/BillingService.js';
export type { QueueServiceClient, QueueServiceHandlers } from './generated/hms/queue/v1/QueueService.js';
export type { AuditServiceClient, AuditServiceHandlers } from './generated/hms/audit/v1/AuditService.js';
export type { UsageServiceClient, UsageServiceHandlers } from './generated/hms/usage/v1/UsageService.js';
export type { Appointment } from './generated/hms/appointments/v1/Appointment.js';
export type { AppointmentStatus } from './generated/hms/appointments/v1/AppointmentStatus.js';
export type { Bill } from './generated/hms/billing/v1/Bill.js';
export type { BillItem } from './generated/hms/billing/v1/BillItem.js';
export type { QueueEntry } from './generated/hms/queue/v1/QueueEntry.js';
export type { AuditRecord } from './generated/hms/audit/v1/AuditRecord.js';
export type { ChainProblem__Output as ChainProblem } from './generated/hms/audit/v1/ChainProblem.js';
export type { VerifyTrailResponse__Output as VerifyTrailResult } from './generated/hms/audit/v1/VerifyTrailResponse.js';
export type { Timestamp, Timestamp__Output } from './generated/google/protobuf/Timestamp.js';
