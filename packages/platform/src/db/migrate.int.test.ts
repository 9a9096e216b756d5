import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../testing/env.js';
import { createLogger } from '../logger.js';
import { newId } from '../ids.js';
import { MigrationError, migrateSchema } from './migrate.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const schema = `it_migrate_${newId().replaceAll('-', '').slice(-12)}`;
let admin: pg.Client;
let dir: string;

async function addMigration(name: string, sql: string) {
  await mkdir(path.join(dir, name), { recursive: true });
  await writeFile(path.join(dir, name, 'migration.sql'), sql);
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: testEnv().HMS_PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  dir = await mkdtemp(path.join(tmpdir(), 'hms-migrations-'));
  await addMigration('20260101000000_first', `CREATE TABLE ${schema}.things (id int PRIMARY KEY);`);
  await addMigration('20260102000000_second', `ALTER TABLE ${schema}.things ADD COLUMN name text;`);
});

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

const run = () => migrateSchema({ connectionString: testEnv().HMS_PG_ADMIN_URL, schema, migrationsDir: dir, logger });

describe('migrations', () => {
  it('applies pending migrations once, in order, even when two replicas start together', async () => {
    const [a, b] = await Promise.all([run(), run()]);
    expect([...a, ...b].sort()).toEqual(['20260101000000_first', '20260102000000_second']);
    const { rows } = await admin.query(
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM ${schema}._prisma_migrations ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(['20260101000000_first', '20260102000000_second']);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum) && r.finished_at && r.applied_steps_count === 1)).toBe(
      true,
    );
    expect(await run()).toEqual([]);
  });

  it('rolls back a failing migration and records nothing of it', async () => {
    await addMigration('20260103000000_broken', `ALTER TABLE ${schema}.things ADD COLUMN half text; SELECT 1/0;`);
    await expect(run()).rejects.toThrow(/20260103000000_broken failed: division by zero/);
    const columns = await admin.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'things'`,
      [schema],
    );
    expect(columns.rows.map((r) => r.column_name)).not.toContain('half');
    const recorded = await admin.query(
      `SELECT 1 FROM ${schema}._prisma_migrations WHERE migration_name = '20260103000000_broken'`,
    );
    expect(recorded.rowCount).toBe(0);
    await addMigration('20260103000000_broken', `ALTER TABLE ${schema}.things ADD COLUMN half text;`);
    expect(await run()).toEqual(['20260103000000_broken']);
  });

  it('builds an index concurrently in a no-transaction migration, and refuses one of two statements before either runs', async () => {
    await addMigration(
      '20260104000000_things_name_index',
      `-- hms:no-transaction\n-- A large table's index, built without blocking writes.\nCREATE INDEX CONCURRENTLY IF NOT EXISTS things_name_idx ON ${schema}.things (name);\n`,
    );
    expect(await run()).toEqual(['20260104000000_things_name_index']);
    const { rows } = await admin.query<{ valid: boolean }>(
      `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'things_name_idx'`,
      [schema],
    );
    expect(rows).toEqual([{ valid: true }]);
    // Two statements sent together would be one implicit transaction, where CONCURRENTLY is refused.
    await addMigration(
      '20260105000000_two_statements',
      `-- hms:no-transaction\nALTER TABLE ${schema}.things ADD COLUMN code text;\nCREATE INDEX CONCURRENTLY things_code_idx ON ${schema}.things (code);\n`,
    );
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/20260105000000_two_statements .*more than one statement/);
    const columns = await admin.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'things'`,
      [schema],
    );
    expect(columns.rows.map((r) => r.column_name)).not.toContain('code');
    const recorded = await admin.query(
      `SELECT 1 FROM ${schema}._prisma_migrations WHERE migration_name = '20260105000000_two_statements'`,
    );
    expect(recorded.rowCount).toBe(0);
    await addMigration(
      '20260105000000_two_statements',
      `-- hms:no-transaction\nCREATE INDEX CONCURRENTLY things_id_name_idx ON ${schema}.things (id, name);\n`,
    );
    expect(await run()).toEqual(['20260105000000_two_statements']);
  });

  it('stops when an applied migration was edited', async () => {
    await addMigration('20260101000000_first', `CREATE TABLE ${schema}.things (id bigint PRIMARY KEY);`);
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/20260101000000_first .* was edited after it was applied/);
  });
});
