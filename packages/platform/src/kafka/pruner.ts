/**
 * Prunes the messaging tables of one service on a schedule: outbox rows some
 * time after they were published, processed-event records once no topic the
 * service reads can hand the event over again (windows in retention.ts). Any
 * number of replicas may run it: a session advisory lock lets one prune at a
 * time, and deletes go in small chunks so no long lock is ever held.
 */
import type pg from 'pg';
import { Counter } from 'prom-client';
import { messagingSchemaOf, quoteIdent } from '../db/sql.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { sleep } from '../transient.js';
import { RETENTION } from './retention.js';

// Namespace (first key) of the pruning locks; second key: hash of the messaging schema.
const PRUNE_LOCK_NAMESPACE = 0x5052; // "PR"

export interface MessagingPrunerOptions {
  pool: pg.Pool;
  /** The service schema; its tables live in `<schema>_messaging`. */
  schema: string;
  logger: Logger;
  metrics: Metrics;
  /** Between two runs (default 10 minutes; the first run comes one interval after start). */
  intervalMs?: number;
  publishedOutboxRetentionMs?: number;
  processedEventRetentionMs?: number;
  /** Rows deleted per statement. */
  chunkSize?: number;
}

export interface PruneResult {
  outbox: number;
  processedEvents: number;
  idempotencyKeys: number;
}

export interface MessagingPruner {
  start(): void;
  stop(): Promise<void>;
  /** One run now; undefined when another replica holds the pruning lock. */
  pruneOnce(): Promise<PruneResult | undefined>;
}

export function createMessagingPruner(options: MessagingPrunerOptions): MessagingPruner {
  const messagingSchema = messagingSchemaOf(options.schema);
  const schema = quoteIdent(messagingSchema);
  const intervalMs = options.intervalMs ?? 10 * 60_000;
  const outboxRetentionMs = options.publishedOutboxRetentionMs ?? RETENTION.publishedOutboxMs;
  const processedRetentionMs = options.processedEventRetentionMs ?? RETENTION.processedEventMs;
  const chunkSize = options.chunkSize ?? 5_000;
  const log = options.logger.child({ component: 'messaging-pruner' });
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;

  const pruned = new Counter({
    name: 'hms_messaging_pruned_rows_total',
    help: 'Rows deleted by the messaging pruner: published outbox rows, expired processed-event records and idempotency keys',
    labelNames: ['table'],
    registers: [options.metrics.registry],
  });

  async function deleteInChunks(client: pg.PoolClient, sql: string, params: unknown[]): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await client.query(sql, params);
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < chunkSize || stopping.signal.aborted) return total;
    }
  }

  async function pruneOnce(): Promise<PruneResult | undefined> {
    const client = await options.pool.connect();
    // A client whose run failed is dropped rather than pooled, so it can never keep the lock.
    let failed = false;
    // Its connection dropping (PostgreSQL restarted) emits 'error', which unheard would end the
    // process; the query in flight fails by itself.
    const lost = () => {
      failed = true;
    };
    client.on('error', lost);
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS locked',
        [PRUNE_LOCK_NAMESPACE, messagingSchema],
      );
      if (!rows[0]?.locked) return undefined;
      try {
        const outbox = await deleteInChunks(
          client,
          `DELETE FROM ${schema}.outbox WHERE seq IN (
             SELECT seq FROM ${schema}.outbox
              WHERE published_at < now() - make_interval(secs => $1) LIMIT $2)`,
          [outboxRetentionMs / 1000, chunkSize],
        );
        const processedEvents = await deleteInChunks(
          client,
          `DELETE FROM ${schema}.processed_event WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM ${schema}.processed_event
              WHERE processed_at < now() - make_interval(secs => $1) LIMIT $2))`,
          [processedRetentionMs / 1000, chunkSize],
        );
        const idempotencyKeys = await deleteInChunks(
          client,
          `DELETE FROM ${schema}.idempotency_key WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM ${schema}.idempotency_key
              WHERE created_at < now() - make_interval(secs => $1) LIMIT $2))`,
          [RETENTION.idempotencyKeyMs / 1000, chunkSize],
        );
        pruned.inc({ table: 'outbox' }, outbox);
        pruned.inc({ table: 'processed_event' }, processedEvents);
        pruned.inc({ table: 'idempotency_key' }, idempotencyKeys);
        if (outbox + processedEvents + idempotencyKeys > 0) {
          log.info({ outbox, processedEvents, idempotencyKeys }, 'pruned messaging tables');
        }
        return { outbox, processedEvents, idempotencyKeys };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1::int, hashtext($2))', [PRUNE_LOCK_NAMESPACE, messagingSchema]);
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      client.off('error', lost);
      client.release(failed);
    }
  }

  async function run(): Promise<void> {
    while (!stopping.signal.aborted) {
      await sleep(intervalMs, stopping.signal);
      if (stopping.signal.aborted) return;
      await pruneOnce().catch((error: unknown) => log.warn({ err: error }, 'pruning failed; will try again'));
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      stopping.abort();
      await loop;
    },
    pruneOnce,
  };
}
