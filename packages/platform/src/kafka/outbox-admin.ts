/**
 * The operator's side of outbox rows Kafka refused (`scripts/hms outbox`):
 * list the parked rows and those waiting for their next attempt, with why and
 * how many rows of their key wait behind them, and, once the cause is fixed
 * (the topic created, the broker's size limit raised), put them back in line.
 */
import type pg from 'pg';
import { messagingSchemaOf, quoteIdent } from '../db/sql.js';

export interface RefusedOutboxEvent {
  /** The event id. */
  id: string;
  topic: string;
  key: string;
  eventType: string;
  tenantId: string;
  /** `parked`: waits for an operator; `retrying`: waits for its next attempt. */
  state: 'parked' | 'retrying';
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  parkedAt: Date | null;
  nextAttemptAt: Date | null;
  /** Later unpublished rows of the same key, held back to keep their order. */
  waitingBehind: number;
}

/** The rows of a service's outbox that Kafka refused and that are not yet published, oldest first. */
export async function listRefusedOutboxEvents(pool: pg.Pool, schema: string): Promise<RefusedOutboxEvent[]> {
  const table = `${quoteIdent(messagingSchemaOf(schema))}.outbox`;
  const { rows } = await pool.query<RefusedOutboxEvent>(
    `SELECT o.id::text AS id, o.topic, o.key, o.event_type AS "eventType", o.tenant_id::text AS "tenantId",
            CASE WHEN o.parked_at IS NULL THEN 'retrying' ELSE 'parked' END AS state,
            o.attempts, o.last_error AS "lastError", o.created_at AS "createdAt", o.parked_at AS "parkedAt",
            o.next_attempt_at AS "nextAttemptAt",
            (SELECT count(*)::int FROM ${table} b
              WHERE b.key = o.key AND b.seq > o.seq AND b.published_at IS NULL) AS "waitingBehind"
       FROM ${table} o
      WHERE o.published_at IS NULL AND o.attempts > 0
      ORDER BY o.seq`,
  );
  return rows;
}

/**
 * Puts refused rows back in line: attempts cleared, no wait, not parked (the
 * last error stays for the record). Only `eventId` when given, else every
 * refused row. Wakes the relay. Returns the ids put back.
 */
export async function retryRefusedOutboxEvents(pool: pg.Pool, schema: string, eventId?: string): Promise<string[]> {
  const messagingSchema = messagingSchemaOf(schema);
  const table = `${quoteIdent(messagingSchema)}.outbox`;
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE ${table} SET attempts = 0, next_attempt_at = NULL, parked_at = NULL
      WHERE published_at IS NULL AND attempts > 0 AND ($1::uuid IS NULL OR id = $1::uuid)
      RETURNING id::text AS id`,
    [eventId ?? null],
  );
  await pool.query('SELECT pg_notify($1, $2)', [`${messagingSchema}_outbox`, '']);
  return rows.map((r) => r.id);
}
