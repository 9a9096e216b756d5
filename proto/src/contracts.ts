import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AppointmentsProto } from './generated/appointments.js';
import type { ProtoGrpcType as CalendarProto } from './generated/calendar.js';
import type { ProtoGrpcType as ClinicalProto } from './generated/clinical.js';
import type { ProtoGrpcType as DirectoryProto } from './generated/directory.js';
import type { ProtoGrpcType as PatientsProto } from './generated/patients.js';
import type { ProtoGrpcType as AuditProto } from './generated/audit.js';
import type { ProtoGrpcType as BillingProto } from './generated/billing.js';
import type { ProtoGrpcType as QueueProto } from './generated/queue.js';
import type { ProtoGrpcType as UsageProto } from './generated/usage.js';

/** Folder holding hms/<service>/v1/*.proto (the package root, next to dist/). */
export const PROTO_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * Options shared by the run-time loader and the type generator (see the
 * `generate` script): camelCase fields, int64 as number, enums as names,
 * defaults filled in. Changing one without the other breaks the types.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

const SERVICE_FILES = [
  'hms/appointments/v1/appointments.proto',
  'hms/appointments/v1/calendar.proto',
  'hms/appointments/v1/clinical.proto',
  'hms/appointments/v1/directory.proto',
  'hms/appointments/v1/patients.proto',
  'hms/billing/v1/billing.proto',
  'hms/queue/v1/queue.proto',
  'hms/audit/v1/audit.proto',
  'hms/usage/v1/usage.proto',
];

export type Contracts = AppointmentsProto &
  CalendarProto &
  ClinicalProto &
  DirectoryProto &
  PatientsProto &
  BillingProto &
  QueueProto &
  AuditProto &
  UsageProto;

let cached: Contracts | undefined;

/** Loads every gRPC service definition once per process. */
export function loadContracts(): Contracts {
  if (!cached) {
    const definition = protoLoader.loadSync(SERVICE_FILES, LOADER_OPTIONS);
    cached = grpc.loadPackageDefinition(definition) as unknown as Contracts;
  }
  return cached;
}
