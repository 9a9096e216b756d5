/**
 * Audit's one consumer: every event of the catalogue, whichever service
 * published it, becomes a record on its tenant's hash chain, in the same
 * transaction as the consumer's processed-event record (so a redelivery
 * appends nothing). Audit publishes no events of its own.
 */
import { isUuid, PoisonEventError, traceIdOf, type EventConsumer, type ServiceRuntime } from '@hms/platform';
import { describeEventData, EVENTS, type Envelope, type EventDefinition } from '@hms/proto';
import { parseSubject, patientOf } from '../domain/subject.js';
import type { AuditEntry } from '../domain/types.js';
import { appendAuditEntry } from '../db/audit.repository.js';
import type { Db, Tx } from '../db/prisma.js';

export const AUDIT_CONSUMER_GROUP = 'hms.audit';

export function startAuditConsumer(runtime: ServiceRuntime, db: Db): EventConsumer<Tx> {
  const consumer = runtime.consumer<Tx>(AUDIT_CONSUMER_GROUP, (fn) => db.$transaction(fn));
  const definitions: EventDefinition[] = Object.values(EVENTS);
  for (const def of definitions) {
    consumer.on(def, async (_event, tx, envelope) => {
      await appendAuditEntry(tx, auditEntryOf(envelope));
    });
  }
  return consumer;
}

/** The trail's view of an event: who did what to which entity, when, and what the event said. */
export function auditEntryOf(envelope: Envelope): AuditEntry {
  // Stored in uuid columns: anything else could never be written, so it is not retried.
  if (!isUuid(envelope.tenantId)) throw new PoisonEventError(`tenant id ${envelope.tenantId} is not a UUID`);
  if (!isUuid(envelope.id)) throw new PoisonEventError(`event id ${envelope.id} is not a UUID`);
  const entity = parseSubject(envelope.subject);
  // Through JSON once, so what is hashed now is exactly what jsonb gives back when verifying.
  const data = JSON.parse(JSON.stringify(describeEventData(envelope))) as Record<string, unknown>;
  return {
    // Lower case, as PostgreSQL returns uuids: the hash is over what is stored.
    tenantId: envelope.tenantId.toLowerCase(),
    eventId: envelope.id.toLowerCase(),
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
