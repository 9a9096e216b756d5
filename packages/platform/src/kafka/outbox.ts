/**
 * Writing events: inside the caller's transaction, next to the change they
 * announce. Nothing here talks to Kafka; the relay does, after commit.
 */
import { EVENTS, encodeEnvelope, type EventDefinition, type EventPayload } from '@hms/proto';
import { currentContext } from '../context.js';
import { messagingSchemaOf, quoteIdent, type SqlTx } from '../db/sql.js';
import { newId } from '../ids.js';
import { currentTraceparent } from '../tracing.js';

// Namespace (first key) of the per-event-key transaction locks.
const OUTBOX_KEY_LOCK_NAMESPACE = 0x4f42; // "OB"

export interface OutboxEvent<D extends EventDefinition> {
  /** Kafka key: what must stay in order shares it (e.g. tenant:doctor:day). */
  key: string;
  tenantId: string;
  /** "<kind>/<id>" of the entity the event is about. */
  subject: string;
  data: EventPayload<D>;
}

export interface Outbox {
  /** Adds an event to the caller's transaction; returns the event id. */
  write<D extends EventDefinition>(tx: SqlTx, def: D, event: OutboxEvent<D>): Promise<string>;
}

export function createOutbox(options: { schema: string; source: string }): Outbox {
  const table = `${quoteIdent(messagingSchemaOf(options.schema))}.outbox`;
  const known = new Set(Object.values(EVENTS).map((d) => d.type));
  return {
    async write(tx, def, event) {
      if (!known.has(def.type)) throw new Error(`event type ${def.type} is not in the catalogue`);
      const ctx = currentContext();
      const id = newId();
      const traceparent = currentTraceparent();
      const payload = encodeEnvelope(def, {
        id,
        source: options.source,
        occurredAt: new Date(),
        tenantId: event.tenantId,
        subject: event.subject,
        actor: ctx?.userId ? { kind: 'user', id: ctx.userId } : { kind: 'service', id: options.source },
        traceparent,
        data: event.data,
      });
      const headers: Record<string, string> = {
        'content-type': 'application/x-protobuf; messageType=hms.events.v1.EventEnvelope',
        'ce-id': id,
        'ce-type': def.type,
        'ce-source': options.source,
        'ce-tenant': event.tenantId,
      };
      if (traceparent) headers.traceparent = traceparent;
      // Writers of one key queue behind each other, so `seq` follows commit
      // order per key and the relay can never publish a later event first.
      await tx.$queryRawUnsafe(
        'SELECT pg_advisory_xact_lock($1::int, hashtext($2))::text AS locked',
        OUTBOX_KEY_LOCK_NAMESPACE,
        event.key,
      );
      await tx.$executeRawUnsafe(
        `INSERT INTO ${table} (id, topic, key, event_type, tenant_id, payload, headers) VALUES ($1::uuid, $2, $3, $4, $5::uuid, $6, $7::jsonb)`,
        id,
        def.topic,
        event.key,
        def.type,
        event.tenantId,
        payload,
        JSON.stringify(headers),
      );
      return id;
    },
  };
}
