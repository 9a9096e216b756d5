/**
 * The outbox relay: publishes committed outbox rows to Kafka in `seq` order and
 * marks them published. One replica relays at a time (a session advisory lock
 * held on a dedicated connection), so order per key survives any number of
 * replicas. It wakes on NOTIFY from the outbox trigger and polls as a fallback.
 * A crash between send and mark re-sends a row on restart; consumers drop the
 * duplicate by event id. Kafka being away only delays rows; nothing is dropped.
 *
 * A row Kafka refuses for what it is (too large, a topic that does not exist)
 * must not hold up every row behind it: its attempts, last error and next try
 * are stored on the row with a growing backoff, and after `maxAttempts` it is
 * parked with its reason until an operator retries it (`scripts/hms outbox`).
 * Rows of the same key wait behind it, since their order matters; rows of
 * every other key keep flowing. Broker outages never count as attempts.
 */
import pg from 'pg';
import { Counter, Gauge } from 'prom-client';
import type { IHeaders, Producer } from 'kafkajs';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { messagingSchemaOf, quoteIdent } from '../db/sql.js';
import { backoffDelay, sleep } from '../transient.js';
import { isRecordRejected } from './kafka.js';

// Namespace (first key) of the relay leadership locks; second key: hash of the schema.
const RELAY_LOCK_NAMESPACE = 0x524c; // "RL"

export interface OutboxRelayOptions {
  connectionString: string;
  /** Pool for the relay's reads and updates (the service's own pool is fine). */
  pool: pg.Pool;
  schema: string;
  producer: Producer;
  logger: Logger;
  metrics: Metrics;
  pollIntervalMs: number;
  batchSize?: number;
  /** After a batch that was not full, wait this long before the next (batching under load). */
  lingerMs?: number;
  /** Refused attempts at publishing one row before it is parked (default 5). */
  maxAttempts?: number;
  /** Backoff between attempts at one row: doubles from this (default 1 s)... */
  retryBaseMs?: number;
  /** ...up to this (default 60 s). */
  retryCapMs?: number;
}

export interface OutboxRelay {
  start(): void;
  /** Finishes the batch in flight, releases leadership and closes its connection. */
  stop(): Promise<void>;
  /** True while this replica holds the relay leadership. */
  isLeader(): boolean;
}

interface OutboxRow {
  seq: string;
  id: string;
  topic: string;
  key: string;
  payload: Buffer;
  headers: Record<string, string>;
  attempts: number;
}

/**
 * The relay's poll (`$1`: the batch size): the next rows that may go, in order.
 * The held keys (a refused row parked or waiting for its retry) are collected
 * once and the candidates checked against that set. Written as a correlated
 * NOT EXISTS, the planner, trusting statistics that saw an empty backlog,
 * walked every unpublished row for each candidate: quadratic in the backlog
 * (0.25-0.45 ms a poll under a booking load, half a second with 10,000 rows
 * waiting after an outage; docs/performance.md).
 */
export function outboxBatchSql(table: string): string {
  return `WITH held AS MATERIALIZED (
            SELECT DISTINCT h.key FROM ${table} h
             WHERE h.published_at IS NULL AND h.attempts > 0
               AND (h.parked_at IS NOT NULL OR h.next_attempt_at > now()))
          SELECT o.seq, o.id, o.topic, o.key, o.payload, o.headers, o.attempts FROM ${table} o
           WHERE o.published_at IS NULL AND o.parked_at IS NULL
             AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= now())
             AND o.key NOT IN (SELECT key FROM held)
           ORDER BY o.seq LIMIT $1`;
}

export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const messagingSchema = messagingSchemaOf(options.schema);
  const table = `${quoteIdent(messagingSchema)}.outbox`;
  const channel = `${messagingSchema}_outbox`;
  const batchSize = options.batchSize ?? 500;
  const lingerMs = options.lingerMs ?? 5;
  const maxAttempts = options.maxAttempts ?? 5;
  const retryBaseMs = options.retryBaseMs ?? 1_000;
  const retryCapMs = options.retryCapMs ?? 60_000;
  const log = options.logger.child({ component: 'outbox-relay' });
  const controller = new AbortController();
  let leaderClient: pg.Client | undefined;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let producerConnected = false;

  const registers = [options.metrics.registry];
  const published = new Counter({
    name: 'hms_outbox_published_total',
    help: 'Outbox events published to Kafka, by topic',
    labelNames: ['topic'],
    registers,
  });
  const refused = new Counter({
    name: 'hms_outbox_publish_refusals_total',
    help: 'Attempts at publishing an outbox event that Kafka refused for the event itself (too large, unknown topic), by topic',
    labelNames: ['topic'],
    registers,
  });
  const parkedTotal = new Counter({
    name: 'hms_outbox_parked_total',
    help: 'Outbox events parked after their last allowed attempt, by topic',
    labelNames: ['topic'],
    registers,
  });
  const countGauge = (name: string, help: string, where: string) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const { rows } = await options.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} o WHERE ${where}`);
        this.set(Number(rows[0]?.n ?? 0));
      },
    });
  countGauge(
    'hms_outbox_backlog',
    'Outbox events committed but not yet published to Kafka (parked and waiting ones included)',
    'published_at IS NULL',
  );
  countGauge(
    'hms_outbox_parked_events',
    'Outbox events parked after failing every allowed attempt; they wait for `scripts/hms outbox retry`',
    'published_at IS NULL AND parked_at IS NOT NULL',
  );
  countGauge(
    'hms_outbox_blocked_events',
    'Outbox events held back because an earlier event of the same key is parked (order per key)',
    `published_at IS NULL AND parked_at IS NULL AND o.key IN (
       SELECT p.key FROM ${table} p WHERE p.published_at IS NULL AND p.attempts > 0 AND p.parked_at IS NOT NULL)`,
  );
  new Gauge({
    name: 'hms_outbox_oldest_unpublished_age_seconds',
    help: 'Age of the oldest outbox event not yet published, parked ones included (0 when none)',
    registers,
    async collect() {
      const { rows } = await options.pool.query<{ age: number | null }>(
        `SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM ${table} WHERE published_at IS NULL`,
      );
      this.set(rows[0]?.age ?? 0);
    },
  });

  async function becomeLeader(): Promise<boolean> {
    if (leaderClient) return true;
    const client = new pg.Client({ connectionString: options.connectionString, application_name: 'hms-outbox-relay' });
    client.on('error', (error) => {
      log.warn({ err: error }, 'relay connection lost; leadership released');
      if (leaderClient === client) leaderClient = undefined;
      wake?.();
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS locked',
        [RELAY_LOCK_NAMESPACE, messagingSchema],
      );
      if (!rows[0]?.locked) {
        await client.end();
        return false;
      }
      client.on('notification', () => wake?.());
      await client.query(`LISTEN ${quoteIdent(channel)}`);
      leaderClient = client;
      log.info('outbox relay is the leader');
      return true;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Publishes the next rows that may go: unpublished, not parked, not waiting
   * for a retry, and of a key with no earlier row parked or waiting. Returns
   * how many rows it took on (published or refused).
   */
  async function publishBatch(): Promise<number> {
    const { rows } = await options.pool.query<OutboxRow>({
      // Named: planned once per connection, not at every poll.
      name: `hms_relay_batch_${channel}`,
      text: outboxBatchSql(table),
      values: [batchSize],
    });
    if (rows.length === 0) return 0;
    if (!producerConnected) {
      await options.producer.connect();
      producerConnected = true;
    }
    try {
      await send(rows);
    } catch (error) {
      if (!isRecordRejected(error)) throw error;
      log.warn({ err: error, rows: rows.length }, 'Kafka refused a batch; publishing key by key to isolate the event');
      await publishKeyByKey(rows);
      return rows.length;
    }
    await markPublished(rows);
    return rows.length;
  }

  async function send(rows: OutboxRow[]): Promise<void> {
    const byTopic = new Map<string, { key: string; value: Buffer; headers: IHeaders }[]>();
    for (const row of rows) {
      const messages = byTopic.get(row.topic) ?? [];
      messages.push({ key: row.key, value: row.payload, headers: row.headers });
      byTopic.set(row.topic, messages);
    }
    await options.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  async function markPublished(rows: OutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    await options.pool.query(
      `UPDATE ${table} SET published_at = now(), next_attempt_at = NULL WHERE seq = ANY($1::bigint[])`,
      [rows.map((r) => r.seq)],
    );
    for (const row of rows) published.inc({ topic: row.topic });
  }

  /**
   * After a refused batch: each key's rows in one send; a key whose send is
   * refused goes row by row up to the row at fault, whose attempt is recorded,
   * and the rest of that key waits. A broker outage midway stops the pass
   * (what went out is marked) and the loop backs off as for any outage.
   */
  async function publishKeyByKey(rows: OutboxRow[]): Promise<void> {
    const byKey = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const keyRows = byKey.get(row.key) ?? [];
      keyRows.push(row);
      byKey.set(row.key, keyRows);
    }
    // A missing topic takes the client seconds of metadata retries to report; learn it once per pass.
    const missingTopics = new Map<string, unknown>();
    for (const keyRows of byKey.values()) {
      const first = keyRows[0]!;
      const knownMissing = missingTopics.get(first.topic);
      if (knownMissing) {
        await recordRefusal(first, knownMissing);
        continue;
      }
      try {
        await send(keyRows);
        await markPublished(keyRows);
        continue;
      } catch (error) {
        if (!isRecordRejected(error)) throw error;
        if (isUnknownTopic(error) && keyRows.every((r) => r.topic === first.topic)) {
          missingTopics.set(first.topic, error);
          await recordRefusal(first, error);
          continue;
        }
      }
      for (const row of keyRows) {
        try {
          await send([row]);
        } catch (error) {
          if (!isRecordRejected(error)) throw error;
          if (isUnknownTopic(error)) missingTopics.set(row.topic, error);
          await recordRefusal(row, error);
          break;
        }
        await markPublished([row]);
      }
    }
  }

  async function recordRefusal(row: OutboxRow, error: unknown): Promise<void> {
    const attempts = row.attempts + 1;
    const park = attempts >= maxAttempts;
    const reason = describeError(error);
    const retryInMs = backoffDelay(attempts, retryBaseMs, retryCapMs);
    await options.pool.query(
      `UPDATE ${table}
          SET attempts = $2, last_error = $3,
              next_attempt_at = CASE WHEN $4 THEN NULL ELSE now() + make_interval(secs => $5) END,
              parked_at = CASE WHEN $4 THEN now() END
        WHERE seq = $1`,
      [row.seq, attempts, reason, park, retryInMs / 1000],
    );
    refused.inc({ topic: row.topic });
    const fields = { eventId: row.id, topic: row.topic, key: row.key, attempts, reason };
    if (park) {
      parkedTotal.inc({ topic: row.topic });
      log.error(fields, 'outbox event parked: Kafka refused every attempt; later events of its key wait behind it');
    } else {
      log.warn({ ...fields, retryInMs }, 'Kafka refused an outbox event; will retry it');
    }
  }

  function waitForWork(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      wake = done;
      controller.signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        wake = undefined;
        controller.signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!controller.signal.aborted) {
      try {
        if (!(await becomeLeader())) {
          // Another replica relays; check again now and then in case it dies.
          await waitForWork(options.pollIntervalMs * 5);
          continue;
        }
        const taken = await publishBatch();
        failures = 0;
        if (taken === batchSize) continue;
        if (taken === 0) await waitForWork(options.pollIntervalMs);
        // Under load, let a few more commits land before the next batch: one send
        // and one update then carry many events instead of one each (the first
        // event after a quiet spell still goes out at once).
        else if (lingerMs > 0) await sleep(lingerMs, controller.signal);
      } catch (error) {
        failures += 1;
        const delay = backoffDelay(failures, 200, 5_000);
        log.warn({ err: error, failures, retryInMs: delay }, 'outbox relay could not publish; will retry');
        await sleep(delay, controller.signal);
      }
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      controller.abort();
      await loop;
      const client = leaderClient;
      leaderClient = undefined;
      if (client) {
        await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
        await client.end().catch(() => undefined);
      }
    },
    isLeader: () => leaderClient !== undefined,
  };
}

function isUnknownTopic(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const e = error as { type?: unknown; cause?: unknown; originalError?: unknown };
  return e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || isUnknownTopic(e.cause ?? e.originalError, depth + 1);
}

/** The reason stored on the row: the error and, for Kafka, its error type, e.g. "MESSAGE_TOO_LARGE: ...". */
function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 4; depth += 1) {
    const e = current as { type?: unknown; message?: unknown; cause?: unknown; originalError?: unknown };
    const text = `${typeof e.type === 'string' ? `${e.type}: ` : ''}${String(e.message ?? '')}`;
    if (text && !parts.includes(text)) parts.push(text);
    current = e.cause ?? e.originalError;
  }
  return (parts.join(' <- ') || String(error)).slice(0, 2_000);
}
