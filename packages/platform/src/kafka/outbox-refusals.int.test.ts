/**
 * Outbox rows the real Kafka refuses (a message larger than the broker takes,
 * a topic that does not exist) beside good rows of other keys: the bad rows
 * are retried a bounded number of times, then parked with their reason; rows
 * of other keys keep flowing; rows of the bad rows' own keys wait behind them,
 * in order, visibly; and an operator's retry after the fix lets them all out.
 */
import { EVENTS } from '@hms/proto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGING_MIGRATIONS_DIR, migrateSchema } from '../db/migrate.js';
import { createDatabase } from '../db/database.js';
import { messagingSchemaOf } from '../db/sql.js';
import { newId } from '../ids.js';
import { createLogger } from '../logger.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { testEnv } from '../testing/env.js';
import { eventually } from '../testing/eventually.js';
import { tapEvents, type EventTap } from '../testing/kafka.js';
import { createKafka, createProducer, ensureTopics, type Admin, type Producer } from './kafka.js';
import { pendingEvent } from './events.js';
import { createOutboxWriter } from './outbox.js';
import { listRefusedOutboxEvents, retryRefusedOutboxEvents } from './outbox-admin.js';
import { createOutboxRelay, type OutboxRelay } from './relay.js';

const logger = createLogger({ service: 'test', level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent' });
const suffix = newId().replaceAll('-', '').slice(-12);
const schema = `it_refuse_${suffix}`;
const table = `${messagingSchemaOf(schema)}.outbox`;
const tenantId = newId();
// Every row is written for these test topics (the outbox takes its topic from the catalogue; the test re-points it).
const goodTopic = `it.refusals.good.${suffix}`;
const bigTopic = `it.refusals.big.${suffix}`;
const missingTopic = `it.refusals.missing.${suffix}`;
const kafka = createKafka({ clientId: 'it-refusals', brokers: testEnv().HMS_KAFKA_BROKERS.split(','), logger });
let pool: pg.Pool;
let producer: Producer;
let admin: Admin;
let relay: OutboxRelay;
let metrics: Metrics;
let tap: EventTap;

const outbox = createOutboxWriter({ schema, source: 'it' });

/** Writes one event of `key` through the outbox and points it at `topic`; returns its id. */
async function write(key: string, label: string, topic = goodTopic, payloadBytes?: number): Promise<string> {
  const db = createDatabase({ pool, outbox });
  return db.transaction(tenantId, async (tx) => {
    const [id] = await outbox.write(tx, [
      pendingEvent(EVENTS.billCreated, {
        key,
        tenantId,
        subject: `bill/${label}`,
        data: { billId: label, appointmentId: key, totalMinor: 1, currency: 'INR' },
      }),
    ]);
    await tx.execute(`UPDATE ${table} SET topic = $2 WHERE id = $1::uuid`, [id, topic]);
    if (payloadBytes) {
      const [row] = await tx.query<{ payload: Buffer }>(`SELECT payload FROM ${table} WHERE id = $1::uuid`, [id]);
      await tx.execute(`UPDATE ${table} SET payload = $2 WHERE id = $1::uuid`, [
        id,
        withUnknownField(row!.payload, payloadBytes),
      ]);
    }
    return id!;
  });
}

/**
 * The envelope with an extra field no reader knows (number 1000, bytes): still
 * the same event to every decoder, but as large as the test needs.
 */
function withUnknownField(payload: Buffer, bytes: number): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
    out.push(n);
    return Buffer.from(out);
  };
  return Buffer.concat([payload, varint((1000 << 3) | 2), varint(bytes), Buffer.alloc(bytes)]);
}

const subjects = (topic: string, key: string) =>
  tap.received.filter((e) => e.topic === topic && e.key === key).map((e) => e.envelope.subject);

async function metric(name: string): Promise<number> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return Number(line?.split(' ').pop() ?? NaN);
}

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: testEnv().HMS_PG_ADMIN_URL, max: 5 });
  await pool.query(`CREATE SCHEMA ${schema}; CREATE SCHEMA ${messagingSchemaOf(schema)}`);
  await migrateSchema({
    connectionString: testEnv().HMS_PG_ADMIN_URL,
    schema: messagingSchemaOf(schema),
    migrationsDir: MESSAGING_MIGRATIONS_DIR,
    logger,
  });
  admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    { topic: goodTopic, partitions: 3 },
    { topic: bigTopic, partitions: 1 },
  ]);
  producer = createProducer(kafka);
  await producer.connect();
  tap = await tapEvents([goodTopic, bigTopic]);
  metrics = createMetrics('test', { defaultMetrics: false });
});

afterAll(async () => {
  await relay?.stop();
  await tap?.stop();
  await producer?.disconnect();
  await admin?.deleteTopics({ topics: [goodTopic, bigTopic, missingTopic] }).catch(() => undefined);
  await admin?.disconnect();
  await pool.query(
    `DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${messagingSchemaOf(schema)} CASCADE`,
  );
  await pool.end();
});

describe('outbox rows Kafka refuses', () => {
  const [a, b, c] = [`a-${suffix}`, `b-${suffix}`, `c-${suffix}`];
  const ids: Record<string, string> = {};

  it('are parked with their reason after bounded attempts, while other keys flow and their own key waits', async () => {
    // Interleaved in commit order: key b's second event is too large, key c's first goes to a missing topic.
    ids.a1 = await write(a, 'a1');
    ids.b1 = await write(b, 'b1', bigTopic);
    ids.c1 = await write(c, 'c1', missingTopic);
    ids.b2 = await write(b, 'b2', bigTopic, 1_200_000);
    ids.a2 = await write(a, 'a2');
    ids.c2 = await write(c, 'c2');
    ids.b3 = await write(b, 'b3', bigTopic);
    ids.a3 = await write(a, 'a3');

    relay = createOutboxRelay({
      connectionString: testEnv().HMS_PG_ADMIN_URL,
      pool,
      schema,
      producer,
      logger,
      metrics,
      pollIntervalMs: 100,
      maxAttempts: 2,
      retryBaseMs: 100,
      retryCapMs: 300,
    });
    relay.start();

    const refused = await eventually(
      async () => {
        const rows = await listRefusedOutboxEvents(pool, schema);
        return rows.length === 2 && rows.every((r) => r.state === 'parked') ? rows : undefined;
      },
      { what: 'the two refused rows parked', timeoutMs: 60_000, intervalMs: 250 },
    );
    const byId = new Map(refused.map((r) => [r.id, r]));
    expect(byId.get(ids.b2!)).toMatchObject({ key: b, attempts: 2, waitingBehind: 1, eventType: 'bill.created' });
    expect(byId.get(ids.b2!)?.lastError).toMatch(/^MESSAGE_TOO_LARGE/);
    expect(byId.get(ids.c1!)).toMatchObject({ key: c, topic: missingTopic, attempts: 2, waitingBehind: 1 });
    expect(byId.get(ids.c1!)?.lastError).toMatch(/UNKNOWN_TOPIC_OR_PARTITION/);

    // Key a never waited for anything; b's event before the bad one went out.
    await eventually(async () => (subjects(goodTopic, a).length === 3 ? true : undefined), { what: 'key a' });
    expect(subjects(goodTopic, a)).toEqual(['bill/a1', 'bill/a2', 'bill/a3']);
    expect(subjects(bigTopic, b)).toEqual(['bill/b1']);
    // b3 and c2 wait behind their parked rows, and the metrics say so.
    expect(subjects(bigTopic, b)).not.toContain('bill/b3');
    expect(subjects(goodTopic, c)).toEqual([]);
    expect(await metric('hms_outbox_parked_events')).toBe(2);
    expect(await metric('hms_outbox_blocked_events')).toBe(2);
    expect(await metric('hms_outbox_backlog')).toBe(4);
    const { rows } = await pool.query<{ id: string; published_at: Date | null; attempts: number }>(
      `SELECT id::text, published_at, attempts FROM ${table} WHERE id = ANY($1::uuid[])`,
      [[ids.b3, ids.c2]],
    );
    expect(rows.every((r) => r.published_at === null && r.attempts === 0)).toBe(true);
  });

  it('keeps publishing new events of other keys while rows stay parked', async () => {
    const started = Date.now();
    await write(a, 'a4');
    await tap.waitFor((e) => e.key === a && e.envelope.subject === 'bill/a4', 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(subjects(goodTopic, a)).toEqual(['bill/a1', 'bill/a2', 'bill/a3', 'bill/a4']);
    expect((await listRefusedOutboxEvents(pool, schema)).map((r) => r.state)).toEqual(['parked', 'parked']);
  });

  it('lets a parked row and the rows behind it out, in order, when an operator retries it after the fix', async () => {
    // The fixes: the missing topic is created; the broker accepts larger messages on the big topic.
    await ensureTopics(admin, [{ topic: missingTopic, partitions: 1 }]);
    const missingTap = await tapEvents([missingTopic]);
    try {
      expect(await retryRefusedOutboxEvents(pool, schema, ids.c1)).toEqual([ids.c1]);
      await missingTap.waitFor((e) => e.envelope.id === ids.c1, 20_000);
      await tap.waitFor((e) => e.envelope.id === ids.c2, 20_000);
    } finally {
      await missingTap.stop();
    }
    await ensureTopics(admin, [{ topic: bigTopic, partitions: 1, configs: { 'max.message.bytes': '4194304' } }]);
    expect(await retryRefusedOutboxEvents(pool, schema)).toEqual([ids.b2]);
    await eventually(async () => (subjects(bigTopic, b).length === 3 ? true : undefined), {
      what: 'key b after the retry',
      timeoutMs: 20_000,
    });
    expect(subjects(bigTopic, b)).toEqual(['bill/b1', 'bill/b2', 'bill/b3']);
    // c2 went out after c1 was published: the relay never let it jump the queue.
    const { rows } = await pool.query<{ id: string; published_at: Date }>(
      `SELECT id::text, published_at FROM ${table} WHERE id = ANY($1::uuid[]) ORDER BY seq`,
      [[ids.c1, ids.c2]],
    );
    expect(rows[0]!.published_at.getTime()).toBeLessThanOrEqual(rows[1]!.published_at.getTime());
    expect(await listRefusedOutboxEvents(pool, schema)).toEqual([]);
    expect(await metric('hms_outbox_parked_events')).toBe(0);
    expect(await metric('hms_outbox_blocked_events')).toBe(0);
    expect(await metric('hms_outbox_backlog')).toBe(0);
  });
});
