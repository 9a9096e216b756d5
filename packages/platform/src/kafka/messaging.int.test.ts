/**
 * The outbox, its relay and the idempotent consumer against the real
 * PostgreSQL and Kafka of the test stack, in a scratch schema.
 */
import { EVENTS } from '@hms/proto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { newId } from '../ids.js';
import { MESSAGING_MIGRATIONS_DIR, migrateSchema } from '../db/migrate.js';
import { createDatabase, type Database, type Transaction } from '../db/database.js';
import { messagingSchemaOf } from '../db/sql.js';
import { eventually } from '../testing/eventually.js';
import { testEnv } from '../testing/env.js';
import { tapEvents, type EventTap } from '../testing/kafka.js';
import { closeTestPublisher, publishRaw, publishTestEvent } from '../testing/publish.js';
import { PoisonEventError, createEventConsumer } from './consumer.js';
import { createKafka, createProducer, deadLetterTopic, ensureTopics, type Admin, type Producer } from './kafka.js';
import { pendingEvent } from './events.js';
import { createOutboxWriter } from './outbox.js';
import { createOutboxRelay, type OutboxRelay } from './relay.js';

const logger = createLogger({ service: 'test', level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent' });
const schema = `it_msg_${newId().replaceAll('-', '').slice(-12)}`;
const tenantId = newId();
let pool: pg.Pool;
let db: Database;
let producer: Producer;
let admin: Admin;
let tap: EventTap;
const kafka = createKafka({ clientId: 'it-messaging', brokers: testEnv().HMS_KAFKA_BROKERS.split(','), logger });
const cleanups: (() => Promise<unknown>)[] = [];
let firstRelay: OutboxRelay | undefined;

function relay(options: { pollIntervalMs: number }): OutboxRelay {
  const r = createOutboxRelay({
    connectionString: testEnv().HMS_PG_ADMIN_URL,
    pool,
    schema,
    producer,
    logger,
    metrics: createMetrics('test', { defaultMetrics: false }),
    pollIntervalMs: options.pollIntervalMs,
  });
  r.start();
  cleanups.push(() => r.stop());
  return r;
}

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: testEnv().HMS_PG_ADMIN_URL, max: 10 });
  db = createDatabase({ pool, outbox: createOutboxWriter({ schema, source: 'it' }) });
  await pool.query(`CREATE SCHEMA ${schema}; CREATE SCHEMA ${messagingSchemaOf(schema)}`);
  await pool.query(`CREATE TABLE ${schema}.effects (event_id uuid PRIMARY KEY, note text)`);
  await migrateSchema({
    connectionString: testEnv().HMS_PG_ADMIN_URL,
    schema: messagingSchemaOf(schema),
    migrationsDir: MESSAGING_MIGRATIONS_DIR,
    logger,
  });
  producer = createProducer(kafka);
  await producer.connect();
  admin = kafka.admin();
  await admin.connect();
  tap = await tapEvents([EVENTS.billCreated.topic]);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await tap?.stop();
  await producer?.disconnect();
  await admin?.disconnect();
  await closeTestPublisher();
  await pool.query(
    `DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${messagingSchemaOf(schema)} CASCADE`,
  );
  await pool.end();
});

const writeBill = async (tx: Transaction, key: string, n: number) =>
  tx.emit(
    pendingEvent(EVENTS.billCreated, {
      key,
      tenantId,
      subject: `bill/${n}`,
      data: { billId: String(n), appointmentId: key, totalMinor: n, currency: 'INR' },
    }),
  );
const transaction = <T>(fn: (tx: Transaction) => Promise<T>) => db.transaction(tenantId, fn);

describe('outbox and relay', () => {
  it('publishes committed events in commit order per key, and never a rolled-back one', async () => {
    firstRelay = relay({ pollIntervalMs: 200 });
    const keys = [newId(), newId(), newId()];
    // Concurrent writers; per key the outbox's key lock orders them.
    await Promise.all(Array.from({ length: 30 }, (_, n) => transaction((tx) => writeBill(tx, keys[n % 3]!, n))));
    await transaction(async (tx) => {
      await writeBill(tx, keys[0]!, 999);
      throw new Error('roll back');
    }).catch(() => undefined);

    const mine = () => tap.received.filter((e) => e.envelope.tenantId === tenantId && e.envelope.source === 'it');
    await eventually(async () => (mine().length >= 30 ? true : undefined), { what: '30 published events' });
    const { rows } = await pool.query<{ id: string; key: string; seq: string; published_at: Date | null }>(
      `SELECT id, key, seq, published_at FROM ${messagingSchemaOf(schema)}.outbox ORDER BY seq`,
    );
    expect(rows).toHaveLength(30);
    expect(rows.every((r) => r.published_at)).toBe(true);
    for (const key of keys) {
      const committed = rows.filter((r) => r.key === key).map((r) => r.id);
      const received = mine()
        .filter((e) => e.key === key)
        .map((e) => e.envelope.id);
      expect(received).toEqual(committed);
      expect(
        new Set(
          mine()
            .filter((e) => e.key === key)
            .map((e) => e.partition),
        ).size,
      ).toBe(1);
    }
    expect(mine().some((e) => e.envelope.subject === 'bill/999')).toBe(false);
    const first = mine()[0]!;
    expect(first.headers.ce_type).toBe('bill.created');
    expect(first.headers.ce_tenant).toBe(tenantId);
    // CloudEvents binary mode: every required attribute and the optional ones we have.
    expect(first.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_id: first.envelope.id,
      ce_source: first.envelope.source,
      ce_subject: first.envelope.subject,
      ce_dataschema: 'urn:hms:proto:hms.billing.v1.BillCreated',
      'content-type': 'application/x-protobuf; messageType=hms.events.v1.EventEnvelope',
    });
    expect(Date.parse(first.headers.ce_time!)).toBe(first.envelope.occurredAt.getTime());
  });

  it('is woken by NOTIFY well before its polling interval', async () => {
    const started = Date.now();
    await transaction((tx) => writeBill(tx, newId(), 1_000));
    await tap.waitFor((e) => e.envelope.subject === 'bill/1000' && e.envelope.tenantId === tenantId, 5_000);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('lets exactly one relay lead, and another take over when it stops', async () => {
    await firstRelay?.stop();
    const a = relay({ pollIntervalMs: 100 });
    const b = relay({ pollIntervalMs: 100 });
    await eventually(async () => (a.isLeader() || b.isLeader() ? true : undefined), { what: 'a leader' });
    await new Promise((r) => setTimeout(r, 300));
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    await leader.stop();
    // The follower checks every 5 polling intervals.
    await eventually(async () => (follower.isLeader() ? true : undefined), {
      what: 'the follower to take over',
      timeoutMs: 5_000,
    });
    await transaction((tx) => writeBill(tx, newId(), 2_000));
    await tap.waitFor((e) => e.envelope.subject === 'bill/2000' && e.envelope.tenantId === tenantId, 10_000);
  });
});

describe('idempotent consumer', () => {
  const groupId = `it-consumer-${newId()}`;
  const attempts = new Map<string, number>();
  /** The plan cache mode each event's transaction ran with. */
  const planModes = new Map<string, string>();

  beforeAll(async () => {
    await ensureTopics(admin, [{ topic: deadLetterTopic(groupId), partitions: 1 }]);
    const consumer = createEventConsumer({
      kafka,
      producer,
      admin,
      groupId,
      schema,
      database: db,
      logger,
      metrics: createMetrics('test', { defaultMetrics: false }),
      maxAttempts: 3,
    }).on(EVENTS.billCreated, async (event, tx) => {
      if (event.tenantId !== tenantId) return;
      const n = (attempts.get(event.id) ?? 0) + 1;
      attempts.set(event.id, n);
      if (event.data.currency === 'ERR') throw new Error('this bill can never be applied');
      if (event.data.currency === 'BAD') throw new PoisonEventError('rejected outright');
      if (event.data.currency === 'TMP' && n < 3) throw Object.assign(new Error('database away'), { code: '57P01' });
      const [mode] = await tx.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode');
      planModes.set(event.id, mode!.plan_cache_mode);
      await tx.execute(`INSERT INTO ${schema}.effects (event_id, note) VALUES ($1::uuid, $2)`, [
        event.id,
        event.data.currency,
      ]);
    });
    await consumer.start();
    cleanups.push(() => consumer.stop());
  });

  const publish = (currency: string, id?: string) =>
    publishTestEvent(EVENTS.billCreated, {
      tenantId,
      key: tenantId,
      subject: 'bill/x',
      data: { billId: 'x', currency, totalMinor: 1 },
      ...(id ? { id } : {}),
    });
  const effect = (id: string) =>
    pool
      .query(`SELECT note FROM ${schema}.effects WHERE event_id = $1`, [id])
      .then((r) => r.rows[0]?.note as string | undefined);

  it('applies an event once however often it is delivered', async () => {
    const id = newId();
    await publish('INR', id);
    await publish('INR', id);
    await publish('INR', id);
    const later = await publish('INR');
    await eventually(() => effect(later), { what: 'the later event' });
    expect(await effect(id)).toBe('INR');
    expect(attempts.get(id)).toBe(1);
    const processed = await pool.query(
      `SELECT count(*)::int AS n FROM ${messagingSchemaOf(schema)}.processed_event WHERE event_id = $1`,
      [id],
    );
    expect(processed.rows[0].n).toBe(1);
    // Handlers run fixed statements: planned generically, whichever tenant's events came first.
    expect(planModes.get(id)).toBe('force_generic_plan');
  });

  it('retries passing faults until they pass, without dead-lettering', async () => {
    const id = await publish('TMP');
    await eventually(() => effect(id), { what: 'the event after two transient failures' });
    expect(attempts.get(id)).toBe(3);
    // The careful path (an event in a transaction of its own) plans the same way.
    expect(planModes.get(id)).toBe('force_generic_plan');
  });

  it('dead-letters permanent failures and undecodable messages with the reason, then goes on', async () => {
    const failing = await publish('ERR');
    const poison = await publish('BAD');
    await publishRaw(EVENTS.billCreated.topic, tenantId, Buffer.from('definitely not an envelope'));
    const after = await publish('INR');
    await eventually(() => effect(after), { what: 'the event after the failures' });
    expect(await effect(failing)).toBeUndefined();
    expect(attempts.get(failing)).toBe(3);
    expect(attempts.get(poison)).toBe(1);

    const letters: { reason: string; id: string }[] = [];
    const reader = kafka.consumer({ groupId: `it-dlq-${newId()}` });
    await reader.connect();
    await reader.subscribe({ topics: [deadLetterTopic(groupId)], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        letters.push({
          reason: String(message.headers?.['x-dlq-reason'] ?? ''),
          id: String(message.headers?.ce_id ?? ''),
        });
      },
    });
    try {
      await eventually(async () => (letters.length >= 3 ? letters : undefined), { what: 'three dead letters' });
    } finally {
      await reader.disconnect();
    }
    expect(letters.find((l) => l.id === failing)?.reason).toBe('this bill can never be applied');
    expect(letters.find((l) => l.id === poison)?.reason).toBe('rejected outright');
    expect(letters.some((l) => l.reason.startsWith('undecodable envelope'))).toBe(true);
  });
});
