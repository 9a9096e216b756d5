/**
 * CloudEvents 1.0 in Kafka's binary content mode: the event's attributes as
 * `ce_*` headers beside the record, so consumers with standard CloudEvents
 * tooling route and filter without our envelope code. The record's value is
 * the protobuf EventEnvelope (its `content-type` says so), whose `data` is the
 * payload message the AsyncAPI document names for the `ce_type`.
 */
export const CE = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  time: 'ce_time',
  subject: 'ce_subject',
  dataschema: 'ce_dataschema',
  /** Extension attribute: the tenant the event belongs to. */
  tenant: 'ce_tenant',
} as const;

export const ENVELOPE_CONTENT_TYPE = 'application/x-protobuf; messageType=hms.events.v1.EventEnvelope';

/** Names before CloudEvents' Kafka binding was followed (ce-id, ...): still read from records written then. */
export const LEGACY_CE = { id: 'ce-id', type: 'ce-type', tenant: 'ce-tenant' } as const;

export interface CloudEventAttributes {
  id: string;
  type: string;
  source: string;
  time: Date;
  subject: string;
  tenantId: string;
  /** The payload's proto message, e.g. hms.appointments.v1.AppointmentBooked. */
  messageType: string;
}

export function cloudEventHeaders(a: CloudEventAttributes): Record<string, string> {
  return {
    'content-type': ENVELOPE_CONTENT_TYPE,
    [CE.specversion]: '1.0',
    [CE.id]: a.id,
    [CE.type]: a.type,
    [CE.source]: a.source,
    [CE.time]: a.time.toISOString(),
    [CE.subject]: a.subject,
    [CE.dataschema]: `urn:hms:proto:${a.messageType}`,
    [CE.tenant]: a.tenantId,
  };
}
