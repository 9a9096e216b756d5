/**
 * The AsyncAPI 3.0 document of HMS's events, generated from the event
 * catalogue (events.ts: topics, types, payload messages) and the payload
 * messages in proto: one channel per topic, one message per event type with
 * its CloudEvents binary-mode headers and a JSON Schema of its payload in the
 * proto3 JSON mapping (for consumers outside TypeScript). The record's value
 * is the protobuf EventEnvelope (hms/events/v1/envelope.proto) whose `data`
 * is that payload.
 */
import type protobuf from 'protobufjs';
import { protoRoot } from './envelope.js';
import { EVENTS, TOPICS } from './events.js';

type JsonSchema = Record<string, unknown>;

/** proto3 JSON mapping of scalar types (64-bit integers are strings there). */
const SCALARS: Record<string, JsonSchema> = {
  string: { type: 'string' },
  bool: { type: 'boolean' },
  bytes: { type: 'string', contentEncoding: 'base64' },
  double: { type: 'number' },
  float: { type: 'number' },
  int32: { type: 'integer', format: 'int32' },
  uint32: { type: 'integer', format: 'uint32', minimum: 0 },
  sint32: { type: 'integer', format: 'int32' },
  fixed32: { type: 'integer', format: 'uint32', minimum: 0 },
  sfixed32: { type: 'integer', format: 'int32' },
  int64: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
  uint64: { type: 'string', format: 'uint64', pattern: '^[0-9]+$' },
  sint64: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
  fixed64: { type: 'string', format: 'uint64', pattern: '^[0-9]+$' },
  sfixed64: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
};

const schemaName = (fullName: string) => fullName.replace(/^\./, '');

/** JSON Schemas of a message and every message it uses, keyed by full proto name. */
function messageSchemas(type: protobuf.Type, out: Record<string, JsonSchema>): void {
  const name = schemaName(type.fullName);
  if (out[name]) return;
  if (name === 'google.protobuf.Timestamp') {
    out[name] = { type: 'string', format: 'date-time', description: 'RFC 3339, UTC' };
    return;
  }
  out[name] = {}; // placeholder against cycles
  const properties: Record<string, JsonSchema> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    let schema: JsonSchema;
    if (field.resolvedType && 'fieldsArray' in field.resolvedType) {
      const nested = field.resolvedType as protobuf.Type;
      messageSchemas(nested, out);
      schema = { $ref: `#/components/schemas/${schemaName(nested.fullName)}` };
    } else if (field.resolvedType) {
      schema = { type: 'string', enum: Object.keys((field.resolvedType as protobuf.Enum).values) };
    } else {
      schema = { ...(SCALARS[field.type] ?? {}) };
    }
    if (field.repeated) schema = { type: 'array', items: schema };
    if (field.comment) schema = { ...schema, description: field.comment };
    properties[field.name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = schema;
  }
  out[name] = {
    type: 'object',
    title: name,
    ...(type.comment ? { description: type.comment } : {}),
    properties,
    additionalProperties: false,
  };
}

const CE_HEADERS = (type: string): JsonSchema => ({
  type: 'object',
  description: 'CloudEvents 1.0 attributes in Kafka binary content mode',
  required: ['ce_specversion', 'ce_id', 'ce_type', 'ce_source', 'ce_time', 'ce_subject', 'content-type'],
  properties: {
    ce_specversion: { const: '1.0' },
    ce_id: { type: 'string', format: 'uuid', description: 'The event id (UUIDv7, time-ordered); also the envelope id' },
    ce_type: { const: type },
    ce_source: { type: 'string', description: 'The producing service, e.g. appointments' },
    ce_time: { type: 'string', format: 'date-time', description: 'When it happened, UTC' },
    ce_subject: { type: 'string', description: '<kind>/<id> of the entity it is about, e.g. appointment/<uuid>' },
    ce_dataschema: { type: 'string', description: 'urn:hms:proto:<payload message>' },
    ce_tenant: { type: 'string', format: 'uuid', description: 'Extension: the tenant it belongs to' },
    'content-type': { const: 'application/x-protobuf; messageType=hms.events.v1.EventEnvelope' },
    traceparent: { type: 'string', description: 'W3C trace context of the change' },
  },
});

export function buildAsyncApiDocument(options: { version: string; kafka?: string }) {
  const root = protoRoot();
  const schemas: Record<string, JsonSchema> = {};
  messageSchemas(root.lookupType('hms.events.v1.EventEnvelope'), schemas);
  const messages: Record<string, unknown> = {};
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const [service, topic] of Object.entries(TOPICS)) {
    const defs = Object.values(EVENTS).filter((d) => d.topic === topic);
    const refs: Record<string, { $ref: string }> = {};
    for (const def of defs) {
      const type = root.lookupType(def.messageType);
      messageSchemas(type, schemas);
      const id = def.type.replaceAll('.', '_');
      messages[id] = {
        name: def.type,
        title: def.type,
        summary: type.comment ?? def.type,
        contentType: 'application/x-protobuf',
        headers: CE_HEADERS(def.type),
        payload: { $ref: `#/components/schemas/${def.messageType}` },
        correlationId: { location: '$message.header#/ce_id' },
        bindings: { kafka: { key: { type: 'string', description: 'What must stay in order shares a key' } } },
        'x-proto-message': def.messageType,
        'x-schema-version': def.version,
      };
      refs[id] = { $ref: `#/components/messages/${id}` };
    }
    channels[topic] = {
      address: topic,
      title: `Events of ${service}`,
      description: `Everything the ${service} service announces (version 1). Route on the ce_type header.`,
      messages: refs,
    };
    operations[`consume_${service}`] = {
      action: 'receive',
      title: `Consume ${topic}`,
      channel: { $ref: `#/channels/${topic}` },
      messages: Object.keys(refs).map((id) => ({ $ref: `#/channels/${topic}/messages/${id}` })),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'HMS events',
      version: options.version,
      description:
        'Kafka topics HMS publishes, one per producing service and version. Every record carries CloudEvents ' +
        'binary-mode headers (ce_id, ce_type, ce_source, ce_time, ce_subject, content-type); its value is a ' +
        'protobuf hms.events.v1.EventEnvelope whose data is the payload message named for the type ' +
        '(the .proto files are published with @hms/proto). Payload schemas below are the proto3 JSON mapping.',
    },
    defaultContentType: 'application/x-protobuf',
    ...(options.kafka
      ? { servers: { kafka: { host: options.kafka, protocol: 'kafka', description: 'This deployment’s broker' } } }
      : {}),
    channels,
    operations,
    components: { messages, schemas },
  };
}
