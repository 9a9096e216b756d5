/**
 * Binary codec of the event envelope (hms.events.v1.EventEnvelope) and of the
 * payloads it carries in a google.protobuf.Any, with protobufjs reading the
 * same .proto files as the gRPC loader.
 */
import path from 'node:path';
import protobuf from 'protobufjs';
import { PROTO_DIR } from './contracts.js';
import { EVENTS, type EventDefinition, type EventPayload, type EventPayloadOutput } from './events.js';
import { fromTimestamp, toTimestamp } from './timestamp.js';

const EVENT_FILES = [
  'hms/events/v1/envelope.proto',
  'hms/appointments/v1/appointment_events.proto',
  'hms/appointments/v1/directory_events.proto',
  'hms/appointments/v1/patient_events.proto',
  'hms/appointments/v1/clinical_events.proto',
  'hms/billing/v1/billing_events.proto',
  'hms/queue/v1/queue_events.proto',
  'hms/gateway/v1/gateway_events.proto',
];

/** Same conversions as LOADER_OPTIONS, so decoded payloads match the generated __Output types. */
const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

const TYPE_URL_PREFIX = 'type.googleapis.com/';

let root: protobuf.Root | undefined;
/** The event protos (envelope and every payload), loaded once. */
export function protoRoot(): protobuf.Root {
  if (!root) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin, target) =>
      target.startsWith('google/protobuf/') ? target : path.join(PROTO_DIR, target);
    // With `//` comments kept: the AsyncAPI document describes events and fields with them.
    r.loadSync(EVENT_FILES, { alternateCommentMode: true });
    r.resolveAll();
    // Every catalogued event must name a message that exists.
    for (const def of Object.values(EVENTS)) r.lookupType(def.messageType);
    root = r;
  }
  return root;
}

export interface Actor {
  /** "user", "service" or "system". */
  kind: string;
  id: string;
}

/** What a producer supplies; type, version and data type come from the definition. */
export interface NewEnvelope<D extends EventDefinition> {
  id: string;
  source: string;
  occurredAt: Date;
  tenantId: string;
  subject: string;
  actor: Actor;
  traceparent: string;
  data: EventPayload<D>;
}

/** A decoded envelope whose payload is still encoded (see decodeEventData). */
export interface Envelope {
  id: string;
  type: string;
  source: string;
  occurredAt: Date;
  tenantId: string;
  subject: string;
  actor: Actor;
  traceparent: string;
  version: number;
  /** Fully-qualified proto message of the payload. */
  dataType: string;
  data: Uint8Array;
}

export interface DecodedEvent<D extends EventDefinition> extends Omit<Envelope, 'data'> {
  data: EventPayloadOutput<D>;
}

/** Validates the payload against its proto message and encodes the whole envelope. */
export function encodeEnvelope<D extends EventDefinition>(def: D, env: NewEnvelope<D>): Buffer {
  const r = protoRoot();
  const dataType = r.lookupType(def.messageType);
  const problem = dataType.verify(env.data as Record<string, unknown>);
  if (problem) throw new TypeError(`invalid ${def.type} payload: ${problem}`);
  const value = dataType.encode(dataType.fromObject(env.data as Record<string, unknown>)).finish();
  const envelopeType = r.lookupType('hms.events.v1.EventEnvelope');
  const message = envelopeType.fromObject({
    id: env.id,
    type: def.type,
    source: env.source,
    occurredAt: toTimestamp(env.occurredAt),
    tenantId: env.tenantId,
    subject: env.subject,
    actor: env.actor,
    traceparent: env.traceparent,
    version: def.version,
    // protobufjs' bundled google.protobuf.Any keeps the proto field name type_url.
    data: { type_url: TYPE_URL_PREFIX + def.messageType, value },
  });
  return Buffer.from(envelopeType.encode(message).finish());
}

interface RawEnvelope {
  id: string;
  type: string;
  source: string;
  occurredAt: { seconds: number; nanos: number } | null;
  tenantId: string;
  subject: string;
  actor: Actor | null;
  traceparent: string;
  version: number;
  data: { type_url: string; value: Uint8Array } | null;
}

/** Decodes an envelope; throws on bytes that are not one (a poison message). */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const envelopeType = protoRoot().lookupType('hms.events.v1.EventEnvelope');
  const raw = envelopeType.toObject(envelopeType.decode(bytes), {
    ...TO_OBJECT,
    bytes: Uint8Array,
  }) as RawEnvelope;
  const occurredAt = fromTimestamp(raw.occurredAt);
  if (!raw.id || !raw.type || !raw.tenantId || !occurredAt || !raw.data?.type_url) {
    throw new TypeError('not an HMS event envelope: id, type, tenantId, occurredAt and data are required');
  }
  return {
    id: raw.id,
    type: raw.type,
    source: raw.source,
    occurredAt,
    tenantId: raw.tenantId,
    subject: raw.subject,
    actor: raw.actor ?? { kind: '', id: '' },
    traceparent: raw.traceparent,
    version: raw.version,
    dataType: raw.data.type_url.slice(raw.data.type_url.lastIndexOf('/') + 1),
    data: raw.data.value,
  };
}

/** Decodes the payload of an envelope known to be of `def`'s type. */
export function decodeEventData<D extends EventDefinition>(def: D, env: Envelope): EventPayloadOutput<D> {
  if (env.type !== def.type || env.dataType !== def.messageType) {
    throw new TypeError(`expected ${def.type} (${def.messageType}), got ${env.type} (${env.dataType})`);
  }
  const dataType = protoRoot().lookupType(def.messageType);
  return dataType.toObject(dataType.decode(env.data), TO_OBJECT) as EventPayloadOutput<D>;
}

/**
 * Any catalogued payload as plain JSON-ready data, timestamps as ISO-8601 UTC
 * strings: for consumers that store or show events without knowing each type.
 */
export function describeEventData(env: Envelope): Record<string, unknown> {
  const dataType = protoRoot().lookupType(env.dataType);
  return toJsonReady(dataType, dataType.toObject(dataType.decode(env.data), TO_OBJECT));
}

function toJsonReady(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = obj[field.name];
    const fieldType = field.resolvedType;
    if (fieldType instanceof protobuf.Type && value) {
      const convert = (v: Record<string, unknown>) =>
        fieldType.fullName === '.google.protobuf.Timestamp'
          ? fromTimestamp(v as { seconds: number; nanos: number })?.toISOString()
          : toJsonReady(fieldType, v);
      out[field.name] = Array.isArray(value)
        ? value.map((v) => convert(v as Record<string, unknown>))
        : convert(value as Record<string, unknown>);
    } else {
      out[field.name] = value;
    }
  }
  return out;
}
