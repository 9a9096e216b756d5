/**
 * Dead letters against the real Kafka and PostgreSQL: what is transient is
 * never dead-lettered however often it fails; what is dead-lettered can be
 * listed with everything an operator needs, replayed after a fix to the group
 * that failed it and to no other, idempotently, or skipped; and the group
 * reports how many letters await a decision.
 */
import { PrismaClientKnownRequestError } from '@prisma/client-runtime-utils';
import { EVENTS } from '@hms/proto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGING_MIGRATIONS_DIR, migrateSchema } from '../db/migrate.js';
import { createDatabase } from '../db/database.js';
import { createOutboxWriter } from './outbox.js';
import { messagingSchemaOf } from '../db/sql.js';
import { newId } from '../ids.js';
import { createLogger } from '../logger.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { testEnv } from '../testing/env.js';
import { eventually } from '../testing/eventually.js';
import { closeTestPublisher, publishTestEvent } from '../testing/publish.js';
import { createEventConsumer, type EventConsumer } from './consumer.js';
import { listDeadLetters, replayDeadLetters, skipDeadLetters, summariseDeadLetterTopics } from './dead-letters.js';
import { createKafka, createProducer, deadLetterTopic, retryTopic, type Admin, type Producer } from './kafka.js';

const logger = createLogger({ service: 'test', level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent' });
const suffix = newId().replaceAll('-', '').slice(-12);
const schema = `it_dlq_${suffix}`;
const tenantId = newId();
const group = `it-dlq-${suffix}`;
const otherGroup = `it-dlq-other-${suffix}`;
const dlq = deadLetterTopic(group);
const kafka = createKafka({ clientId: 'it-dead-letters', brokers: testEnv().HMS_KAFKA_BROKERS.split(','), logger });
let pool: pg.Pool;
let tinyPool: pg.Pool;
let producer: Producer;
let admin: Admin;
let metrics: Metrics;
const consumers: EventConsumer[] = [];

/** Handler calls per event id, per group. */
const calls = { [group]: new Map<string, number>(), [otherGroup]: new Map<string, number>() };
/** Which failures are "fixed" (the operator's code or data fix). */
const fixed = new Set<string>();

function startConsumer(groupId: string): EventConsumer {
  const consumer = createEventConsumer({
    kafka,
    producer,
    admin,
    groupId,
    schema,
    database: createDatabase({ pool, outbox: createOutboxWriter({ schema, source: 'it' }) }),
    logger,
    metrics: groupId === group ? metrics : createMetrics('test', { defaultMetrics: false }),
    maxAttempts: 2,
    lagIntervalMs: 300,
  }).on(EVENTS.billCreated, async (event, tx) => {
    if (event.tenantId !== tenantId) return;
    const n = (calls[groupId]!.get(event.id) ?? 0) + 1;
    calls[groupId]!.set(event.id, n);
    const marker = event.data.currency;
    if (groupId === group) {
      if (marker === 'P2028' && n <= 4) {
        // What Prisma throws when a transaction cannot start within maxWait, or expires, under load.
        throw new PrismaClientKnownRequestError(
          'Transaction API error: Unable to start a transaction in the given time.',
          {
            code: 'P2028',
            clientVersion: '7.10.0',
            meta: {},
          },
        );
      }
      if (marker === 'POOL') {
        // A real pg-pool connect timeout while the test holds the pool's only connection.
        const client = await tinyPool.connect();
        client.release();
      }
      if (marker.startsWith('FIX') && !fixed.has(marker)) throw new Error(`cannot apply ${marker} yet`);
    }
    await tx.execute(`INSERT INTO ${schema}.effects (grp, event_id, note) VALUES ($1, $2::uuid, $3)`, [
      groupId,
      event.id,
      marker,
    ]);
  });
  consumers.push(consumer);
  return consumer;
}

const publish = (marker: string, id?: string) =>
  publishTestEvent(EVENTS.billCreated, {
    tenantId,
    key: `${tenantId}:${marker}`,
    subject: `bill/${marker}`,
    data: { billId: marker, currency: marker, totalMinor: 1 },
    ...(id ? { id } : {}),
  });
const effects = async (id: string, groupId = group) =>
  (
    await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${schema}.effects WHERE grp = $1 AND event_id = $2`,
      [groupId, id],
    )
  ).rows[0]!.n;

/** A sample of the group's metrics: a gauge by name, or a histogram's `<name>_count`. */
async function metricValue(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const json = await metrics.registry.getMetricsAsJSON();
  const family = json.find((m) => m.name === name || `${m.name}_count` === name);
  const values = (family?.values ?? []) as { value: number; labels: Record<string, unknown>; metricName?: string }[];
  const hit = values.find(
    (v) =>
      (v.metricName ?? family?.name) === name && Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l),
  );
  return hit?.value;
}

/** The longest stall the group reports on the shared topic's partitions. */
async function stalledSeconds(): Promise<number> {
  const json = await metrics.registry.getMetricsAsJSON();
  const values = json.find((m) => m.name === 'hms_kafka_consumer_stalled_seconds')?.values ?? [];
  return Math.max(
    0,
    ...values
      .filter((v) => v.labels.group === group && v.labels.topic === EVENTS.billCreated.topic)
      .map((v) => v.value),
  );
}

/** The letters of this test's tenant (the topic also holds other suites' undecodable records, skipped). */
const ours = async () => (await listDeadLetters(kafka, admin, dlq)).filter((l) => l.tenantId === tenantId);

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: testEnv().HMS_PG_ADMIN_URL, max: 10 });
  tinyPool = new pg.Pool({ connectionString: testEnv().HMS_PG_ADMIN_URL, max: 1, connectionTimeoutMillis: 200 });
  await pool.query(`CREATE SCHEMA ${schema}; CREATE SCHEMA ${messagingSchemaOf(schema)}`);
  await pool.query(`CREATE TABLE ${schema}.effects (grp text, event_id uuid, note text, PRIMARY KEY (grp, event_id))`);
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
  metrics = createMetrics('test', { defaultMetrics: false });
  // The consumers create their own dead-letter and retry topics.
  await startConsumer(group).start();
  await startConsumer(otherGroup).start();
  // Both groups read the shared topic from its beginning, where other suites left
  // records that no consumer can decode: once caught up, those letters are not this test's.
  await eventually(() => caughtUp(group), { what: 'the group to catch up with the topic', timeoutMs: 60_000 });
  await skipDeadLetters(admin, dlq);
});

async function caughtUp(groupId: string): Promise<true | undefined> {
  const topic = EVENTS.billCreated.topic;
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const behind = ends.some(
    (e) =>
      Number(committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? -1) < Number(e.high) &&
      Number(e.high) > 0,
  );
  return behind ? undefined : true;
}

afterAll(async () => {
  for (const consumer of consumers) await consumer.stop().catch(() => undefined);
  await closeTestPublisher();
  await producer?.disconnect();
  await admin
    ?.deleteTopics({ topics: [dlq, retryTopic(group), deadLetterTopic(otherGroup), retryTopic(otherGroup)] })
    .catch(() => undefined);
  await admin?.disconnect();
  await tinyPool.end();
  await pool.query(
    `DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${messagingSchemaOf(schema)} CASCADE`,
  );
  await pool.end();
});

describe('transient failures', () => {
  it("retries Prisma's transaction timeout (P2028) past the attempt limit, and never dead-letters it", async () => {
    const id = await publish('P2028');
    await eventually(async () => ((await effects(id)) === 1 ? true : undefined), {
      what: 'the event after four P2028 failures',
      timeoutMs: 30_000,
    });
    expect(calls[group]!.get(id)).toBe(5);
  });

  it("retries pg-pool's connect timeout past the attempt limit, and never dead-letters it", async () => {
    // Its one connection, held. Opening it may itself outlast the pool's short wait on a loaded machine.
    const held = await eventually(() => tinyPool.connect().catch(() => undefined), {
      what: "the small pool's one connection",
    });
    let id: string;
    try {
      id = await publish('POOL');
      await eventually(async () => ((calls[group]!.get(id) ?? 0) >= 3 ? true : undefined), {
        what: 'three attempts that timed out waiting for a connection',
      });
      // Meanwhile the group's offset stands still with an event waiting, and the group says so.
      await eventually(async () => ((await stalledSeconds()) > 0 ? true : undefined), {
        what: 'the partition reported stalled',
      });
    } finally {
      held.release();
    }
    await eventually(async () => ((await effects(id)) === 1 ? true : undefined), {
      what: 'the event once the pool frees up',
    });
    const letters = await listDeadLetters(kafka, admin, dlq);
    expect(letters.filter((l) => l.eventId === id)).toEqual([]);
    await eventually(async () => ((await stalledSeconds()) === 0 ? true : undefined), {
      what: 'the stall cleared once the group moved on',
    });
  });
});

describe('dead letters', () => {
  let failed: string;

  it('lists a dead letter with its id, type, tenant, reason, attempts, origin and time', async () => {
    failed = await publish('FIX1');
    const letters = await eventually(
      async () => {
        const all = await ours();
        return all.some((l) => l.eventId === failed) ? all : undefined;
      },
      { what: 'the dead letter', timeoutMs: 30_000 },
    );
    // The transient failures above left nothing here.
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      eventId: failed,
      eventType: 'bill.created',
      tenantId,
      reason: 'cannot apply FIX1 yet',
      attempts: 2,
      consumerGroup: group,
      originalTopic: EVENTS.billCreated.topic,
      replays: 0,
      handled: false,
    });
    expect(letters[0]!.originalOffset).toMatch(/^\d+$/);
    expect(Date.parse(letters[0]!.failedAt!)).toBeGreaterThan(Date.now() - 60_000);
    await eventually(
      async () => ((await metricValue('hms_kafka_dead_letters_pending', { group })) === 1 ? true : undefined),
      { what: 'one pending dead letter reported' },
    );
    const summary = await summariseDeadLetterTopics(admin);
    // The total counts the other suites' skipped records too.
    expect(summary.find((s) => s.topic === dlq)).toMatchObject({ topic: dlq, pending: 1 });
  });

  it('replays it after the fix to the group that failed it only, once however often replay runs', async () => {
    fixed.add('FIX1');
    expect(calls[otherGroup]!.get(failed)).toBe(1);
    expect(await replayDeadLetters(kafka, admin, producer, dlq)).toEqual({
      replayed: 1,
      retryTopic: retryTopic(group),
    });
    await eventually(async () => ((await effects(failed)) === 1 ? true : undefined), {
      what: 'the replayed event applied',
    });
    expect(await replayDeadLetters(kafka, admin, producer, dlq)).toEqual({
      replayed: 0,
      retryTopic: retryTopic(group),
    });
    await eventually(
      async () => ((await metricValue('hms_kafka_dead_letters_pending', { group })) === 0 ? true : undefined),
      { what: 'no pending dead letter reported' },
    );
    expect(calls[group]!.get(failed)).toBe(3);
    expect(await effects(failed)).toBe(1);
    // The other group applied the event once, from its domain topic, and never saw the replay.
    expect(calls[otherGroup]!.get(failed)).toBe(1);
    expect(await effects(failed, otherGroup)).toBe(1);
    expect((await ours()).map((l) => l.handled)).toEqual([true]);
  });

  it('changes nothing when a replayed event had been applied meanwhile', async () => {
    const id = await publish('FIX2');
    await eventually(async () => ((await ours()).some((l) => l.eventId === id) ? true : undefined), {
      what: 'the second dead letter',
      timeoutMs: 30_000,
    });
    // Fixed and redelivered by other means (the producer sent the same event again).
    fixed.add('FIX2');
    await publish('FIX2', id);
    await eventually(async () => ((await effects(id)) === 1 ? true : undefined), {
      what: 'the redelivered event applied',
    });
    const handlerCalls = calls[group]!.get(id);
    const duplicates = () =>
      metricValue('hms_kafka_consumer_handling_seconds_count', { topic: retryTopic(group), outcome: 'duplicate' });
    const before = (await duplicates()) ?? 0;

    expect((await replayDeadLetters(kafka, admin, producer, dlq)).replayed).toBe(1);
    await eventually(async () => (((await duplicates()) ?? 0) > before ? true : undefined), {
      what: 'the replayed copy recognised as a duplicate',
    });
    expect(calls[group]!.get(id)).toBe(handlerCalls);
    expect(await effects(id)).toBe(1);
  });

  it('sends a replayed letter that fails again back to the dead-letter topic, still pointing at its origin', async () => {
    const id = await publish('FIX3');
    await eventually(async () => ((await ours()).some((l) => l.eventId === id) ? true : undefined), {
      what: 'the third dead letter',
      timeoutMs: 30_000,
    });
    const [first] = (await ours()).filter((l) => l.eventId === id);
    expect((await replayDeadLetters(kafka, admin, producer, dlq)).replayed).toBe(1);
    const again = await eventually(
      async () => {
        const copies = (await ours()).filter((l) => l.eventId === id);
        return copies.length === 2 ? copies[1] : undefined;
      },
      { what: 'the replayed letter dead-lettered again', timeoutMs: 30_000 },
    );
    expect(again).toMatchObject({
      replays: 1,
      handled: false,
      originalTopic: first!.originalTopic,
      originalPartition: first!.originalPartition,
      originalOffset: first!.originalOffset,
    });
    expect(await effects(id)).toBe(0);
  });

  it('skips what must never be applied: handled, not re-delivered', async () => {
    const callsBefore = calls[group]!.get((await ours()).at(-1)!.eventId!);
    expect(await skipDeadLetters(admin, dlq)).toEqual({ skipped: 1 });
    expect(await skipDeadLetters(admin, dlq)).toEqual({ skipped: 0 });
    const letters = await ours();
    expect(letters.every((l) => l.handled)).toBe(true);
    expect(await replayDeadLetters(kafka, admin, producer, dlq)).toMatchObject({ replayed: 0 });
    expect(calls[group]!.get(letters.at(-1)!.eventId!)).toBe(callsBefore);
    await eventually(
      async () => ((await metricValue('hms_kafka_dead_letters_pending', { group })) === 0 ? true : undefined),
      { what: 'no pending dead letter after the skip' },
    );
  });
});
