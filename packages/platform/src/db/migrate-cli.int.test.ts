/**
 * The migration command the Helm chart's hook Job runs: as a process, against the
 * test stack's PostgreSQL, with a throwaway schema.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import { testEnv } from '../testing/env.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('./migrate-cli.ts', import.meta.url));
const schema = `it_migcli_${newId().replaceAll('-', '').slice(-12)}`;
let admin: pg.Client;
let dir: string;

function migrate(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', DATABASE_URL: testEnv().HMS_PG_ADMIN_URL, ...env },
  });
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: testEnv().HMS_PG_ADMIN_URL });
  await admin.connect();
  // As scripts/bootstrap.ts prepares them: the service schema and its messaging schema.
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE SCHEMA ${schema}_messaging`);
  dir = await mkdtemp(path.join(tmpdir(), 'hms-migrate-cli-'));
  await mkdir(path.join(dir, '20260101000000_init'), { recursive: true });
  await writeFile(path.join(dir, '20260101000000_init', 'migration.sql'), `CREATE TABLE ${schema}.t (id int);`);
});

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.query(`DROP SCHEMA IF EXISTS ${schema}_messaging CASCADE`);
  await admin.end();
});

describe('migrate-cli', () => {
  it('applies the messaging and the service migrations once, then nothing', async () => {
    const first = await migrate([`--schema=${schema}`, `--migrations=${dir}`]);
    expect(first.stdout).toMatch(/"applied":\[.*"20260101000000_init"\]/);
    const tables = await admin.query(
      `SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ($1, $2)`,
      [schema, `${schema}_messaging`],
    );
    const names = tables.rows.map((r) => `${r.table_schema}.${r.table_name}`);
    expect(names).toContain(`${schema}.t`);
    expect(names).toContain(`${schema}_messaging.outbox`);

    const second = await migrate([`--schema=${schema}`, `--migrations=${dir}`]);
    expect(second.stdout).toMatch(/"applied":\[\]/);
  });

  it('refuses a bad schema name with the configuration exit code and names the option', async () => {
    const failed = await migrate(['--schema=Bad-Name', `--migrations=${dir}`]).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 78 });
    expect((failed as { stderr: string }).stderr).toMatch(/schema: must be a lower-case SQL identifier/);
  });

  it('fails (exit 1) when the migrations folder does not exist', async () => {
    const failed = await migrate([`--schema=${schema}`, `--migrations=${dir}/missing`]).catch(
      (error: unknown) => error,
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/does not exist/);
  });
});
