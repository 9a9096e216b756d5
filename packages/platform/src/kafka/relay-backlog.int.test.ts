/**
 * The relay's poll against the real PostgreSQL of the test stack, with a
 * backlog the statistics have not seen (rows that piled up while Kafka was
 * away, written after the last ANALYZE): one poll reads the backlog once,
 * not once per candidate row, and still holds back every row of a key
 * whose earlier row is parked or waiting for a retry.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGING_MIGRATIONS_DIR, migrateSchema } from '../db/migrate.js';
import { messagingSchemaOf } from '../db/sql.js';
import { newId } from '../ids.js';
import { createLogger } from '../logger.js';
import { testEnv } from '../testing/env.js';
import { buffersOf } from '../testing/plans.js';
import { outboxBatchSql } from './relay.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const schema = `it_backlog_${newId().replaceAll('-', '').slice(-12)}`;
const messaging = messagingSchemaOf(schema);
const table = `${messaging}.outbox`;
const BACKLOG = 5_000;
const BATCH = 500;
let admin: pg.Pool;

/** Inserts rows seq `from`..`to`, keyed over 50 keys (`k0`..`k49`), published or not. */
async function insertRows(from: number, to: number, published: boolean): Promise<void> {
  await admin.query(
    `INSERT INTO ${table} (seq, id, topic, key, event_type, tenant_id, payload, published_at)
       SELECT n, gen_random_uuid(), 'it.backlog', 'k' || (n % 50), 'it.happened', gen_random_uuid(), '\\x00',
              CASE WHEN $3 THEN now() END
       FROM generate_series($1::bigint, $2::bigint) n`,
    [from, to, published],
  );
}

beforeAll(async () => {
  admin = new pg.Pool({ connectionString: testEnv().HMS_PG_ADMIN_URL, max: 2 });
  await admin.query(`CREATE SCHEMA ${schema}; CREATE SCHEMA ${messaging}`);
  await migrateSchema({
    connectionString: testEnv().HMS_PG_ADMIN_URL,
    schema: messaging,
    migrationsDir: MESSAGING_MIGRATIONS_DIR,
    logger,
  });
  // Only the ANALYZE below feeds the statistics: they see 20,000 published rows and no backlog.
  await admin.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
  await insertRows(1, 20_000, true);
  await admin.query(`ANALYZE ${table}`);
  await insertRows(20_001, 20_000 + BACKLOG, false);
});

afterAll(async () => {
  await admin?.query(`DROP SCHEMA IF EXISTS ${messaging} CASCADE; DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.end();
});

describe("the relay's poll over a backlog the statistics have not seen", () => {
  it('reads the backlog once, where the correlated form read it once per candidate', async () => {
    const poll = await buffersOf(admin, outboxBatchSql(table), [BATCH]);
    // The statement as it was: the held keys checked per candidate row.
    const correlated = await buffersOf(
      admin,
      `SELECT o.seq FROM ${table} o
        WHERE o.published_at IS NULL AND o.parked_at IS NULL
          AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= now())
          AND NOT EXISTS (SELECT 1 FROM ${table} h
             WHERE h.key = o.key AND h.published_at IS NULL AND h.attempts > 0
               AND (h.parked_at IS NOT NULL OR h.next_attempt_at > now()))
        ORDER BY o.seq LIMIT $1`,
      [BATCH],
    );
    // 5,000 waiting rows sit in about 100 pages; a poll reads them about once.
    expect(poll).toBeLessThan(1_000);
    // The reason for the form: the correlated one reads orders of magnitude more.
    expect(correlated).toBeGreaterThan(20 * poll);
  });

  it('takes the oldest rows in order and holds back every row of a key with a parked or retrying row', async () => {
    // k1's oldest waiting row is parked, k2's waits for a retry: their later rows must wait too.
    await admin.query(
      `UPDATE ${table} SET attempts = 5, parked_at = now(), last_error = 'refused'
        WHERE seq = (SELECT min(seq) FROM ${table} WHERE key = 'k1' AND published_at IS NULL)`,
    );
    await admin.query(
      `UPDATE ${table} SET attempts = 1, next_attempt_at = now() + interval '1 minute'
        WHERE seq = (SELECT min(seq) FROM ${table} WHERE key = 'k2' AND published_at IS NULL)`,
    );
    const { rows } = await admin.query<{ seq: string; key: string }>(outboxBatchSql(table), [BATCH]);
    expect(rows).toHaveLength(BATCH);
    const keys = new Set(rows.map((r) => r.key));
    expect(keys.has('k1')).toBe(false);
    expect(keys.has('k2')).toBe(false);
    expect(keys.size).toBe(48);
    const seqs = rows.map((r) => Number(r.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // The first rows of the backlog, skipping only the held keys' rows.
    const expected = [];
    for (let n = 20_001; expected.length < BATCH; n += 1) if (n % 50 !== 1 && n % 50 !== 2) expected.push(n);
    expect(seqs).toEqual(expected);
  });
});
