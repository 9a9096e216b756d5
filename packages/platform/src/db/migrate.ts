/**
 * Applies SQL migrations kept in Prisma's folder layout
 * (<dir>/<timestamp>_<name>/migration.sql), in name order, one transaction each,
 * under the advisory lock Prisma's own migrate uses, so two replicas starting
 * at once never race and, where Prisma's engine is available, `prisma migrate
 * deploy` sees the same history: each migration is recorded in the schema's
 * `_prisma_migrations` table with the SHA-256 of its file. A recorded migration
 * whose file has changed since stops the start.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { messagingSchemaOf, quoteIdent } from './sql.js';

/** Prisma migrate's advisory lock key for PostgreSQL. */
const MIGRATION_LOCK_KEY = 72707369;
/**
 * A migration starting with this line runs outside a transaction (CREATE INDEX CONCURRENTLY on a
 * large table). It holds one statement: PostgreSQL runs statements sent together as one implicit
 * transaction, where CONCURRENTLY is refused, so the file is sent alone (the extended protocol,
 * one statement per message) and a second statement is refused before anything runs.
 */
const NO_TRANSACTION_MARKER = '-- hms:no-transaction';

/** The platform's own migrations (outbox, processed events), applied to `<schema>_messaging`. */
export const MESSAGING_MIGRATIONS_DIR = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '../../migrations',
);

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(dir: string): Promise<Migration[]> {
  if (!existsSync(dir)) throw new MigrationError(`migrations folder ${dir} does not exist`);
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Applies the pending migrations of one folder to one schema; returns the names applied. */
export async function migrateSchema(options: {
  connectionString: string;
  schema: string;
  migrationsDir: string;
  logger: Logger;
}): Promise<string[]> {
  const migrations = await readMigrations(options.migrationsDir);
  const client = new pg.Client({ connectionString: options.connectionString, application_name: 'hms-migrate' });
  await client.connect();
  const schema = quoteIdent(options.schema);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`SET search_path TO ${schema}`);
    // Prisma's own definition of its history table.
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}."_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const { rows } = await client.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM ${schema}."_prisma_migrations"`,
    );
    const applied = new Map(rows.filter((r) => !r.rolled_back_at).map((r) => [r.migration_name, r]));
    const known = new Set(migrations.map((m) => m.name));
    for (const name of applied.keys()) {
      if (!known.has(name)) {
        throw new MigrationError(
          `schema ${options.schema} has migration ${name} applied, but ${options.migrationsDir} does not have it: is this an older build?`,
        );
      }
    }
    const done: string[] = [];
    for (const migration of migrations) {
      const record = applied.get(migration.name);
      if (record) {
        if (!record.finished_at) {
          throw new MigrationError(
            `migration ${migration.name} of schema ${options.schema} started earlier and did not finish; repair the schema and delete its row from _prisma_migrations`,
          );
        }
        if (record.checksum !== migration.checksum) {
          throw new MigrationError(
            `migration ${migration.name} of schema ${options.schema} was edited after it was applied (recorded checksum ${record.checksum}, file has ${migration.checksum}); add a new migration instead of changing an applied one`,
          );
        }
        continue;
      }
      await apply(client, schema, migration);
      options.logger.info({ schema: options.schema, migration: migration.name }, 'migration applied');
      done.push(migration.name);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

async function apply(client: pg.Client, schema: string, migration: Migration): Promise<void> {
  const id = randomUUID();
  const transactional = !migration.sql.startsWith(NO_TRANSACTION_MARKER);
  if (transactional) await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO ${schema}."_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
      [id, migration.checksum, migration.name],
    );
    if (transactional) await client.query(migration.sql);
    // A named statement goes by the extended protocol: one statement, outside any transaction block.
    else await client.query({ name: `hms-migrate-${id}`, text: migration.sql });
    await client.query(
      `UPDATE ${schema}."_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    if (transactional) await client.query('COMMIT');
  } catch (error) {
    if (transactional) await client.query('ROLLBACK').catch(() => undefined);
    const message = (error as Error).message;
    if (!transactional && /cannot insert multiple commands/.test(message)) {
      // Refused at parse: nothing ran, so nothing of it is recorded either.
      await client.query(`DELETE FROM ${schema}."_prisma_migrations" WHERE id = $1`, [id]);
      throw new MigrationError(
        `migration ${migration.name} runs outside a transaction (${NO_TRANSACTION_MARKER}) and holds more than one statement: put each statement in a migration of its own`,
        { cause: error },
      );
    }
    throw new MigrationError(`migration ${migration.name} failed: ${message}`, { cause: error });
  }
}

/** A service's whole database: the platform's messaging tables, then its own schema. */
export async function migrateService(options: {
  connectionString: string;
  schema: string;
  migrationsDir: string;
  logger: Logger;
}): Promise<string[]> {
  const messaging = await migrateSchema({
    ...options,
    schema: messagingSchemaOf(options.schema),
    migrationsDir: MESSAGING_MIGRATIONS_DIR,
  });
  const own = await migrateSchema(options);
  return [...messaging, ...own];
}
