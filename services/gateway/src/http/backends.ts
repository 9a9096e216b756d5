/**
 * The gRPC clients of the four backend services, each with a deadline on every
 * call and an internal token for that service vouching for the caller. The
 * appointments service serves five contracts (appointments, directory,
 * patients, calendars, the clinical record) on one address.
 */
import { createGrpcClient, type GrpcClient, type InternalTokenSigner, type Metrics } from '@hms/platform';
import {
  loadContracts,
  type AppointmentsServiceClient,
  type AuditServiceClient,
  type BillingServiceClient,
  type CalendarServiceClient,
  type ClinicalServiceClient,
  type DirectoryServiceClient,
  type PatientsServiceClient,
  type QueueServiceClient,
} from '@hms/proto';

export interface Backends {
  appointments: GrpcClient<AppointmentsServiceClient>;
  directory: GrpcClient<DirectoryServiceClient>;
  patients: GrpcClient<PatientsServiceClient>;
  calendar: GrpcClient<CalendarServiceClient>;
  clinical: GrpcClient<ClinicalServiceClient>;
  billing: GrpcClient<BillingServiceClient>;
  queue: GrpcClient<QueueServiceClient>;
  audit: GrpcClient<AuditServiceClient>;
}

export function createBackends(options: {
  addresses: { appointments: string; billing: string; queue: string; audit: string };
  deadlineMs: number;
  metrics: Metrics;
  tokens: InternalTokenSigner;
}): Backends {
  const v1 = loadContracts().hms;
  const common = { defaultDeadlineMs: options.deadlineMs, metrics: options.metrics, tokens: options.tokens };
  const scheduling = { ...common, address: options.addresses.appointments };
  return {
    appointments: createGrpcClient(v1.appointments.v1.AppointmentsService, scheduling),
    directory: createGrpcClient(v1.appointments.v1.DirectoryService, scheduling),
    patients: createGrpcClient(v1.appointments.v1.PatientsService, scheduling),
    calendar: createGrpcClient(v1.appointments.v1.CalendarService, scheduling),
    clinical: createGrpcClient(v1.appointments.v1.ClinicalService, scheduling),
    billing: createGrpcClient(v1.billing.v1.BillingService, { ...common, address: options.addresses.billing }),
    queue: createGrpcClient(v1.queue.v1.QueueService, { ...common, address: options.addresses.queue }),
    audit: createGrpcClient(v1.audit.v1.AuditService, { ...common, address: options.addresses.audit }),
  };
}

export function closeBackends(backends: Backends): void {
  for (const client of Object.values(backends)) client.close();
}
