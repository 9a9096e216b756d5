/**
 * Audit's one consumer: every event of the catalogue, whichever service
 * published it, is translated into an entry and recorded on its tenant's hash
 * chain, sealed with the chain key, inside the consumer's transaction (so a
 * redelivery appends nothing). Audit publishes no events of its own.
 */
import { traceIdOf, type ServiceRuntime } from '@hms/platform';
import { describeEventData, EVENTS, type Envelope, type EventDefinition } from '@hms/proto';
import { createAuditStore } from '../db/audit.repository.js';
import type { Keyring } from '../domain/keyring.js';
import { recordEvents } from '../domain/record-event.js';
import { parseSubject, patientOf } from '../domain/subject.js';
import type { AuditEntry } from '../domain/types.js';

export const AUDIT_CONSUMER_GROUP = 'hms.audit';

export function consumeEveryEvent(runtime: ServiceRuntime, newId: () => string, chainKeys: Keyring): void {
  const definitions: EventDefinition[] = Object.values(EVENTS);
  // A chunk's events of one tenant are appended under one lock of its chain head, in one insert.
  runtime.consumer(AUDIT_CONSUMER_GROUP).onBatch(definitions, async (envelopes, tx) => {
    await recordEvents(createAuditStore(runtime.database.within(tx), newId), chainKeys, envelopes.map(auditEntryOf));
  });
}

/** The trail's view of an event: who did what to which entity, when, and what the event said. */
export function auditEntryOf(envelope: Envelope): AuditEntry {
  const entity = parseSubject(envelope.subject);
  // Through JSON once, so what is hashed now is exactly what jsonb gives back when verifying.
  const data = JSON.parse(JSON.stringify(describeEventData(envelope))) as Record<string, unknown>;
  return {
    // Tenant and event ids arrive validated and lower-cased by the platform's consumer.
    tenantId: envelope.tenantId,
    eventId: envelope.id,
    eventType: envelope.type,
    source: envelope.source,
    ...entity,
    actorKind: envelope.actor.kind,
    actorId: envelope.actor.id,
    patientId: patientOf(entity, data),
    occurredAt: envelope.occurredAt,
    traceId: traceIdOf(envelope.traceparent),
    data,
  };
}
