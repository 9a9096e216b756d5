/**
 * The messaging pruner against the real PostgreSQL (a scratch schema), and the
 * retention it relies on read back from the real Kafka the stack bootstrapped.
 */
import { TOPICS } from '@hms/proto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGING_MIGRATIONS_DIR, migrateSchema } from '../db/migrate.js';
import { messagingSchemaOf } from '../db/sql.js';
import { newId } from '../ids.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { testEnv } from '../testing/env.js';
import { createKafka, deadLetterTopic, retryTopic } from './kafka.js';
import { createMessagingPruner } from './pruner.js';
import { describeRetention, redeliveryHorizonMs, RETENTION } from './retention.js';

const logger = createLogger({ service: 'test', level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent' });
const schema = `it_prune_${newId().replaceAll('-', '').slice(-12)}`;
const messaging = messagingSchemaOf(schema);
let pool: pg.Pool;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: testEnv().HMS_PG_ADMIN_URL, max: 5 });
  await pool.query(`CREATE SCHEMA ${messaging}`);
  await migrateSchema({
    connectionString: testEnv().HMS_PG_ADMIN_URL,
    schema: messaging,
    migrationsDir: MESSAGING_MIGRATIONS_DIR,
    logger,
  });
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${messaging} CASCADE`);
  await pool.end();
});

/** An outbox row created `createdDaysAgo` days ago, published `publishedDaysAgo` days ago (or never). */
async function outboxRow(label: string, createdDaysAgo: number, publishedDaysAgo: number | null, parked = false) {
  await pool.query(
    `INSERT INTO ${messaging}.outbox (id, topic, key, event_type, tenant_id, payload, created_at, published_at, attempts, parked_at)
     VALUES ($1, 't', $2, 'x.happened', $1, '\\x00', now() - make_interval(days => $3),
             CASE WHEN $4::int IS NULL THEN NULL ELSE now() - make_interval(days => $4::int) END,
             CASE WHEN $5 THEN 5 ELSE 0 END, CASE WHEN $5 THEN now() END)`,
    [newId(), label, createdDaysAgo, publishedDaysAgo, parked],
  );
}

async function processedEvent(daysAgo: number): Promise<string> {
  const id = newId();
  await pool.query(
    `INSERT INTO ${messaging}.processed_event (consumer, event_id, event_type, processed_at)
     VALUES ('g', $1, 'x.happened', now() - make_interval(days => $2))`,
    [id, daysAgo],
  );
  return id;
}

async function idempotencyKey(hoursAgo: number): Promise<string> {
  const key = `key-${newId()}`;
  await pool.query(
    `INSERT INTO ${messaging}.idempotency_key (tenant_id, operation, key, fingerprint, result, created_at)
     VALUES ($1, 'Op', $2, 'f', '{}', now() - make_interval(hours => $3))`,
    [newId(), key, hoursAgo],
  );
  return key;
}

const keys = async () =>
  (await pool.query<{ key: string }>(`SELECT key FROM ${messaging}.outbox ORDER BY key`)).rows.map((r) => r.key);

describe('messaging pruner', () => {
  const pruner = (chunkSize = 5_000) =>
    createMessagingPruner({
      pool,
      schema,
      logger,
      metrics: createMetrics('test', { defaultMetrics: false }),
      chunkSize,
    });

  it('deletes published outbox rows and processed-event records past their windows, and nothing else', async () => {
    await outboxRow('published-2d', 3, 2);
    await outboxRow('published-now', 0, 0);
    await outboxRow('unpublished-10d', 10, null);
    await outboxRow('parked-10d', 10, null, true);
    const old = await processedEvent(RETENTION.processedEventMs / 86_400_000 + 1);
    const recent = await processedEvent(RETENTION.processedEventMs / 86_400_000 - 1);
    const staleKey = await idempotencyKey(RETENTION.idempotencyKeyMs / 3_600_000 + 1);
    const freshKey = await idempotencyKey(1);

    expect(await pruner().pruneOnce()).toEqual({ outbox: 1, processedEvents: 1, idempotencyKeys: 1 });
    const leftKeys = await pool.query<{ key: string }>(`SELECT key FROM ${messaging}.idempotency_key`);
    expect(leftKeys.rows.map((r) => r.key)).toEqual([freshKey]);
    expect(leftKeys.rows.map((r) => r.key)).not.toContain(staleKey);
    // Never an unpublished row, however old: that would lose an event.
    expect(await keys()).toEqual(['parked-10d', 'published-now', 'unpublished-10d']);
    const left = await pool.query<{ event_id: string }>(`SELECT event_id::text FROM ${messaging}.processed_event`);
    expect(left.rows.map((r) => r.event_id)).toEqual([recent]);
    expect(left.rows.map((r) => r.event_id)).not.toContain(old);
  });

  it('deletes in chunks until nothing is left', async () => {
    for (let n = 0; n < 7; n += 1) await outboxRow(`old-${n}`, 5, 4);
    expect(await pruner(2).pruneOnce()).toEqual({ outbox: 7, processedEvents: 0, idempotencyKeys: 0 });
    expect((await keys()).filter((k) => k.startsWith('old-'))).toEqual([]);
  });

  it('lets one replica prune at a time', async () => {
    await outboxRow('while-locked', 5, 4);
    const other = await pool.connect();
    try {
      // What another replica's pruner holds while it runs.
      await other.query(`SELECT pg_advisory_lock(${0x5052}, hashtext($1))`, [messaging]);
      expect(await pruner().pruneOnce()).toBeUndefined();
      expect(await keys()).toContain('while-locked');
    } finally {
      await other.query(`SELECT pg_advisory_unlock(${0x5052}, hashtext($1))`, [messaging]);
      other.release();
    }
    expect(await pruner().pruneOnce()).toEqual({ outbox: 1, processedEvents: 0, idempotencyKeys: 0 });
  });
});

describe('retention of the bootstrapped topics', () => {
  it('lets no topic redeliver an event after its processed-event record is pruned', async () => {
    const kafka = createKafka({ clientId: 'it-retention', brokers: testEnv().HMS_KAFKA_BROKERS.split(','), logger });
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const group of ['hms.billing', 'hms.queue', 'hms.audit']) {
        const topics = await describeRetention(admin, [
          ...Object.values(TOPICS),
          deadLetterTopic(group),
          retryTopic(group),
        ]);
        const find = (t: string) => topics.find((x) => x.topic === t)!;
        for (const t of topics) {
          expect(t.retentionMs, t.topic).toBeGreaterThan(0);
          expect(t.segmentMs, t.topic).toBe(RETENTION.segmentMs);
        }
        expect(find(deadLetterTopic(group)).retentionMs).toBe(RETENTION.deadLetterTopicMs);
        const horizon = redeliveryHorizonMs({
          events: Object.values(TOPICS).map(find),
          deadLetter: find(deadLetterTopic(group)),
          retry: find(retryTopic(group)),
        });
        expect(horizon).toBeLessThan(RETENTION.processedEventMs);
      }
    } finally {
      await admin.disconnect();
    }
  });
});
