import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
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

let reflected: protobuf.Root | undefined;
/**
 * A message of the gRPC contracts as protobufjs reflection (fields, enums,
 * comments), for what describes those messages in other forms (the REST API's
 * OpenAPI schemas). Loaded once, from the same files as loadContracts.
 */
export function contractMessageType(fullName: string): protobuf.Type {
  if (!reflected) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) =>
      target.startsWith('google/protobuf/') ? target : path.join(PROTO_DIR, target);
    root.loadSync(SERVICE_FILES, { alternateCommentMode: true });
    root.resolveAll();
    reflected = root;
  }
  return reflected.lookupType(fullName);
}
