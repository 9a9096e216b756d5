/**
 * The outbox relay: publishes committed outbox rows to Kafka in `seq` order and
 * marks them published. One replica relays at a time (a session advisory lock
 * held on a dedicated connection), so order per key survives any number of
 * replicas. It wakes on NOTIFY from the outbox trigger and polls as a fallback.
 * A crash between send and mark re-sends a row on restart; consumers drop the
 * duplicate by event id. Kafka being away only delays rows; nothing is dropped.
 */
import pg from 'pg';
import { Counter, Gauge } from 'prom-client';
import type { IHeaders, Producer } from 'kafkajs';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { messagingSchemaOf, quoteIdent } from '../db/sql.js';
import { backoffDelay, sleep } from '../transient.js';

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
  /** Published rows older than this are deleted. */
  retentionMs?: number;
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
}

export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const messagingSchema = messagingSchemaOf(options.schema);
  const table = `${quoteIdent(messagingSchema)}.outbox`;
  const channel = `${messagingSchema}_outbox`;
  const batchSize = options.batchSize ?? 500;
  const retentionMs = options.retentionMs ?? 24 * 3600_000;
  const log = options.logger.child({ component: 'outbox-relay' });
  const controller = new AbortController();
  let leaderClient: pg.Client | undefined;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let producerConnected = false;
  let lastPrune = 0;

  const registers = [options.metrics.registry];
  const published = new Counter({
    name: 'hms_outbox_published_total',
    help: 'Outbox events published to Kafka, by topic',
    labelNames: ['topic'],
    registers,
  });
  new Gauge({
    name: 'hms_outbox_backlog',
    help: 'Outbox events committed but not yet published to Kafka',
    registers,
    async collect() {
      const { rows } = await options.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${table} WHERE published_at IS NULL`,
      );
      this.set(Number(rows[0]?.n ?? 0));
    },
  });
  new Gauge({
    name: 'hms_outbox_oldest_unpublished_age_seconds',
    help: 'Age of the oldest outbox event not yet published (0 when none)',
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

  async function publishBatch(): Promise<number> {
    const { rows } = await options.pool.query<OutboxRow>(
      `SELECT seq, id, topic, key, payload, headers FROM ${table} WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
      [batchSize],
    );
    if (rows.length === 0) return 0;
    if (!producerConnected) {
      await options.producer.connect();
      producerConnected = true;
    }
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
    await options.pool.query(`UPDATE ${table} SET published_at = now() WHERE seq = ANY($1::bigint[])`, [
      rows.map((r) => r.seq),
    ]);
    for (const [topic, messages] of byTopic) published.inc({ topic }, messages.length);
    return rows.length;
  }

  async function prune(): Promise<void> {
    if (Date.now() - lastPrune < 60_000) return;
    lastPrune = Date.now();
    const { rowCount } = await options.pool.query(
      `DELETE FROM ${table} WHERE published_at < now() - make_interval(secs => $1)`,
      [retentionMs / 1000],
    );
    if (rowCount) log.debug({ deleted: rowCount }, 'pruned published outbox rows');
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
        const sent = await publishBatch();
        failures = 0;
        if (sent === batchSize) continue;
        await prune();
        if (sent === 0) await waitForWork(options.pollIntervalMs);
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
