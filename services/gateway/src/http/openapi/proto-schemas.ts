/**
 * Response schemas of the scheduling routes, derived from their proto
 * messages by the same rules scheduling-json.ts maps them with (camelCase
 * fields, int64 as numbers, Timestamps as ISO-8601 UTC or null, enum values
 * as schedulingJson renders each name, unset proto3 optionals absent, unset
 * messages null). Those routes answer whole proto messages through one walk,
 * so their schemas come from one walk of the same definitions: a field added
 * to the proto is in the document too, and the e2e conformance check holds
 * both to what the gateway really sends.
 */
import { contractMessageType } from '@hms/proto';
import { z } from 'zod';
import { schedulingJson } from '../scheduling-json.js';

type MessageType = ReturnType<typeof contractMessageType>;
type Field = MessageType['fieldsArray'][number];

const PACKAGE = 'hms.appointments.v1';
const time = z.iso.datetime({ offset: true });

/** protobufjs scalar type -> its JSON as the gateway sends it (proto-loader's `longs: Number`). */
const SCALARS: Record<string, () => z.ZodType> = {
  string: () => z.string(),
  bool: () => z.boolean(),
  double: () => z.number(),
  float: () => z.number(),
  int32: () => z.int(),
  uint32: () => z.int().min(0),
  sint32: () => z.int(),
  fixed32: () => z.int().min(0),
  sfixed32: () => z.int(),
  int64: () => z.int(),
  uint64: () => z.int().min(0),
  sint64: () => z.int(),
  fixed64: () => z.int().min(0),
  sfixed64: () => z.int(),
};

const built = new Map<string, z.ZodType>();

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const isEnum = (t: unknown): t is { values: Record<string, number> } =>
  typeof t === 'object' && t !== null && 'values' in t && !('fieldsArray' in t);
/** A proto3 `optional` field: a synthetic one-field oneof named `_<field>`. */
const isProto3Optional = (f: Field) => f.partOf !== null && f.partOf.name.startsWith('_');

function fieldSchema(field: Field): z.ZodType {
  field.resolve();
  const resolved = field.resolvedType as unknown;
  let schema: z.ZodType;
  if (resolved && typeof resolved === 'object' && 'fieldsArray' in resolved) {
    // An unset message field arrives as null (proto-loader's `defaults`); inside a list it never is.
    const nested = messageSchema(resolved as MessageType);
    schema = field.repeated ? nested : nested.nullable();
  } else if (isEnum(resolved)) {
    const values = Object.keys(resolved.values).map((name) => String(schedulingJson(name)));
    schema = z.enum(values as [string, ...string[]]);
  } else {
    const scalar = SCALARS[field.type];
    if (!scalar) throw new Error(`no JSON schema for proto type ${field.type} (${field.fullName})`);
    schema = scalar();
  }
  if (field.repeated) schema = z.array(schema);
  if (field.comment) schema = schema.meta({ description: field.comment });
  return isProto3Optional(field) ? schema.optional() : schema;
}

function messageSchema(type: MessageType): z.ZodType {
  const name = type.fullName.replace(/^\./, '');
  if (name === 'google.protobuf.Timestamp') return time;
  // The appointment has a hand-made mapping and schema of its own (json.ts, schemas.ts).
  if (name === `${PACKAGE}.Appointment`) {
    throw new Error('hms.appointments.v1.Appointment is answered by appointmentJson: use AppointmentSchema');
  }
  const done = built.get(name);
  if (done) return done;
  const shape: Record<string, z.ZodType> = {};
  for (const field of type.fieldsArray) shape[camel(field.name)] = fieldSchema(field);
  const object = z.strictObject(shape);
  // Resources become components of the document; a call's request or response wrapper stays inline.
  const schema = /(Request|Response)$/.test(type.name)
    ? object
    : object.meta({ id: type.name, ...(type.comment ? { description: type.comment } : {}) });
  built.set(name, schema);
  return schema;
}

/** The schema of a proto message of the appointments package as a scheduling route answers it. */
export function protoSchema(message: string): z.ZodType {
  return messageSchema(contractMessageType(`${PACKAGE}.${message}`));
}
