/**
 * The audit search's statement, planned generically as the store runs it,
 * against the real PostgreSQL of the test stack: a tenant the statistics have
 * not seen yet (onboarded since the last ANALYZE, beside a large tenant) is
 * searched by entity through the entity index, not by walking its records.
 * A copy of the trail's table in a scratch schema, autovacuum off, so only the
 * ANALYZE below feeds the statistics.
 */
import { newId } from '@hms/platform';
import { buffersOf, testEnv } from '@hms/platform/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchStatement } from './db/audit.repository.js';

const schema = `it_audit_plans_${newId().replaceAll('-', '').slice(-12)}`;
const big = newId();
const fresh = newId();
const entity = newId();
const HASH = 'a'.repeat(64);
let admin: pg.Pool;

/** `count` records of `tenant`, one in `every` of them about `entityOf`, a second apart. */
async function load(tenant: string, count: number, entityOf: string, every: number): Promise<void> {
  await admin.query(
    `INSERT INTO ${schema}.audit_log (id, tenant_id, seq, event_id, event_type, source, entity_type, entity_id,
       actor_kind, actor_id, occurred_at, data, prev_hash, hash, key_id)
     SELECT gen_random_uuid(), $1::uuid, n, gen_random_uuid(), 'appointment.booked', 'appointments', 'appointment',
       CASE WHEN n % $4::int = 0 THEN $3 ELSE gen_random_uuid()::text END, 'user', 'u-' || (n % 20),
       now() - make_interval(secs => $2::int - n), '{}', $5, $5, 'k1'
     FROM generate_series(1, $2::int) n`,
    [tenant, count, entityOf, every, HASH],
  );
}

beforeAll(async () => {
  admin = new pg.Pool({ connectionString: testEnv().HMS_PG_ADMIN_URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.audit_log (LIKE audit.audit_log INCLUDING DEFAULTS INCLUDING INDEXES)
      WITH (autovacuum_enabled = false)`);
  await load(big, 60_000, newId(), 1_000);
  await admin.query(`ANALYZE ${schema}.audit_log`);
  // The new tenant: 20,000 records, 20 of them about the entity, oldest first.
  await load(fresh, 20_000, entity, 1_000);
});

afterAll(async () => {
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.end();
});

/** Buffers one execution of the search read (a prepared statement, planned generically or for its values). */
async function buffersOfSearch(planCacheMode: 'force_generic_plan' | 'force_custom_plan'): Promise<number> {
  const { text, values } = searchStatement({ tenantId: fresh, entityId: entity }, { size: 50 });
  const client = await admin.connect();
  try {
    await client.query(`SET search_path TO ${schema}; SET plan_cache_mode = ${planCacheMode}`);
    const name = `s_${planCacheMode}`;
    // The parameters' types are inferred from the statement, as when the store prepares it.
    await client.query(`PREPARE ${name} AS ${text}`);
    const literals = values.map((v) => (typeof v === 'number' ? String(v) : `'${String(v)}'`));
    const blocks = await buffersOf(client, `EXECUTE ${name}(${literals.join(', ')})`);
    await client.query(`DEALLOCATE ${name}; RESET plan_cache_mode; RESET search_path`);
    return blocks;
  } finally {
    client.release();
  }
}

describe('the audit search of a tenant the statistics have not seen', () => {
  it("reads an entity's records through the entity index when planned generically, as the store reads", async () => {
    const generic = await buffersOfSearch('force_generic_plan');
    // 20 records of the entity among the tenant's 20,000: a few index pages and their heap pages.
    expect(generic).toBeLessThan(100);
    // Planned for its values, the tenant weighed at one row: the reason the store plans generically.
    const custom = await buffersOfSearch('force_custom_plan');
    expect(custom).toBeGreaterThan(5 * generic);
  });
});
