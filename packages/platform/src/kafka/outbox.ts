/**
 * Writing events: inside the caller's transaction, next to the change they
 * announce, just before it commits. Nothing here talks to Kafka; the relay
 * does, after commit.
 */
import { EVENTS, encodeEnvelope } from '@hms/proto';
import { currentContext } from '../context.js';
import { messagingSchemaOf, quoteIdent, type Sql } from '../db/sql.js';
import { newId } from '../ids.js';
import { currentTraceparent } from '../tracing.js';
import type { PendingEvent } from './events.js';
import { cloudEventHeaders } from './cloud-events.js';

// Namespace (first key) of the per-event-key transaction locks.
const OUTBOX_KEY_LOCK_NAMESPACE = 0x4f42; // "OB"

/** A pending event with who raised it and in which trace, as known when it was raised. */
export interface RaisedEvent extends PendingEvent {
  traceparent?: string;
}

export interface OutboxWriter {
  /**
   * Adds the events to the transaction `tx`, in order; returns their event ids.
   * An event's trace and actor are the ones it was raised in (RaisedEvent), else
   * the current ones.
   */
  write(tx: Sql, events: readonly RaisedEvent[]): Promise<string[]>;
  /** The event with the current trace and actor, for writing later in the transaction. */
  raise(event: PendingEvent): RaisedEvent;
}

export function createOutboxWriter(options: { schema: string; source: string }): OutboxWriter {
  const table = `${quoteIdent(messagingSchemaOf(options.schema))}.outbox`;
  const known = new Set(Object.values(EVENTS).map((d) => d.type));
  const currentActor = () => {
    const ctx = currentContext();
    return ctx?.userId ? { kind: 'user', id: ctx.userId } : { kind: 'service', id: options.source };
  };
  return {
    raise(event) {
      return { ...event, traceparent: event.traceparent || currentTraceparent(), actor: event.actor ?? currentActor() };
    },
    async write(tx, events) {
      if (events.length === 0) return [];
      const occurredAt = new Date();
      const rows = events.map((event) => {
        const traceparent = event.traceparent || currentTraceparent();
        const actor = event.actor ?? currentActor();
        if (!known.has(event.def.type)) throw new Error(`event type ${event.def.type} is not in the catalogue`);
        const id = newId();
        const payload = encodeEnvelope(event.def, {
          id,
          source: options.source,
          occurredAt,
          tenantId: event.tenantId,
          subject: event.subject,
          actor,
          traceparent,
          data: event.data,
        });
        const headers = cloudEventHeaders({
          id,
          type: event.def.type,
          source: options.source,
          time: occurredAt,
          subject: event.subject,
          tenantId: event.tenantId,
          messageType: event.def.messageType,
        });
        if (traceparent) headers.traceparent = traceparent;
        return { id, event, payload, headers: JSON.stringify(headers) };
      });
      // Writers of one key queue behind each other until commit, so `seq`
      // follows commit order per key and the relay can never publish a later
      // event first. Keys are locked in sorted order (no deadlock between two
      // transactions that share several keys), before the rows are inserted,
      // in the same statement: one round trip for the whole outbox write.
      const keys = [...new Set(events.map((e) => e.key))].sort();
      await tx.execute(
        `WITH locked AS MATERIALIZED (
           SELECT count(pg_advisory_xact_lock($1::int, hashtext(k))) AS n
           FROM (SELECT k FROM unnest($2::text[]) AS k ORDER BY k) AS keys)
         INSERT INTO ${table} (id, topic, key, event_type, tenant_id, payload, headers)
         SELECT e.id, e.topic, e.key, e.event_type, e.tenant_id, e.payload, e.headers
         FROM locked, unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::bytea[], $9::jsonb[])
           AS e(id, topic, key, event_type, tenant_id, payload, headers)
         WHERE locked.n = $10`,
        [
          OUTBOX_KEY_LOCK_NAMESPACE,
          keys,
          rows.map((r) => r.id),
          rows.map((r) => r.event.def.topic),
          rows.map((r) => r.event.key),
          rows.map((r) => r.event.def.type),
          rows.map((r) => r.event.tenantId),
          rows.map((r) => r.payload),
          rows.map((r) => r.headers),
          keys.length,
        ],
      );
      return rows.map((r) => r.id);
    },
  };
}
