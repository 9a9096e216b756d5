/**
 * The write path against the real PostgreSQL of the test stack, in a scratch
 * schema: one transaction per change with its events, tenant scoping, the
 * caller's deadline, read-only reads, joined transactions, and how values and
 * constraint violations come back.
 */
import { EVENTS } from '@hms/proto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithContext } from '../context.js';
import { DeadlineExceededError } from '../errors.js';
import { newId } from '../ids.js';
import { pendingEvent } from '../kafka/events.js';
import { createOutboxWriter } from '../kafka/outbox.js';
import { createLogger } from '../logger.js';
import { testEnv } from '../testing/env.js';
import { violatedConstraint } from './constraint-errors.js';
import { createDatabase, type Database, type Transaction } from './database.js';
import { MESSAGING_MIGRATIONS_DIR, migrateSchema } from './migrate.js';
import { hmsTypes, UnsafeIntegerError } from './pool.js';
import { messagingSchemaOf } from './sql.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const schema = `it_db_${newId().replaceAll('-', '').slice(-12)}`;
const tenantId = newId();
let pool: pg.Pool;
let db: Database;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: testEnv().HMS_PG_ADMIN_URL, max: 4, types: hmsTypes });
  await pool.query(`CREATE SCHEMA ${schema}; CREATE SCHEMA ${messagingSchemaOf(schema)}`);
  await pool.query(
    `CREATE TABLE ${schema}.notes (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, body text NOT NULL UNIQUE,
       amount bigint NOT NULL DEFAULT 0, day date)`,
  );
  await migrateSchema({
    connectionString: testEnv().HMS_PG_ADMIN_URL,
    schema: messagingSchemaOf(schema),
    migrationsDir: MESSAGING_MIGRATIONS_DIR,
    logger,
  });
  db = createDatabase({ pool, outbox: createOutboxWriter({ schema, source: 'it' }) });
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA ${schema} CASCADE; DROP SCHEMA ${messagingSchemaOf(schema)} CASCADE`);
  await pool.end();
});

const note = (tx: Transaction, body: string, amount = 0) =>
  tx.execute(`INSERT INTO ${schema}.notes (id, tenant_id, body, amount) VALUES ($1, $2, $3, $4)`, [
    newId(),
    tenantId,
    body,
    amount,
  ]);
const noted = async (body: string) =>
  (await pool.query(`SELECT 1 FROM ${schema}.notes WHERE body = $1`, [body])).rowCount === 1;
const outboxRows = async (subject: string) =>
  Number(
    (
      await pool.query(
        `SELECT count(*) AS n FROM ${messagingSchemaOf(schema)}.outbox WHERE position(convert_to($1, 'UTF8') IN payload) > 0`,
        [subject],
      )
    ).rows[0].n,
  );
const event = (subject: string) =>
  pendingEvent(EVENTS.billCreated, {
    key: tenantId,
    tenantId,
    subject,
    data: { billId: subject, currency: 'INR', totalMinor: 1 },
  });
const inContext = <T>(deadline: Date | undefined, fn: () => Promise<T>) =>
  runWithContext({ requestId: newId(), tenantId, deadline }, fn);

describe('Database.transaction', () => {
  it('commits the change with its events, or neither', async () => {
    const kept = `kept-${newId()}`;
    await db.transaction(tenantId, async (tx) => {
      await note(tx, kept);
      tx.emit(event(kept));
    });
    expect(await noted(kept)).toBe(true);
    expect(await outboxRows(kept)).toBe(1);

    const dropped = `dropped-${newId()}`;
    await expect(
      db.transaction(tenantId, async (tx) => {
        await note(tx, dropped);
        tx.emit(event(dropped));
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await noted(dropped)).toBe(false);
    expect(await outboxRows(dropped)).toBe(0);
  });

  it('scopes the transaction to its tenant, and only that transaction', async () => {
    const inside = await db.transaction(tenantId, async (tx) => {
      const [row] = await tx.query<{ t: string }>(`SELECT current_setting('app.tenant_id') AS t`);
      return row!.t;
    });
    expect(inside).toBe(tenantId);
    // The pool hands the same connections out again: the setting must not outlive its transaction.
    const after = await Promise.all(
      Array.from({ length: 4 }, () =>
        pool.query<{ t: string | null }>(`SELECT current_setting('app.tenant_id', true) AS t`),
      ),
    );
    expect(after.map((r) => r.rows[0]!.t || '')).toEqual(['', '', '', '']);
    await expect(db.transaction('not-a-uuid', async () => 1)).rejects.toThrow(/is not a UUID/);
  });

  it('does not start once the caller has stopped waiting', async () => {
    const body = `late-${newId()}`;
    await expect(
      inContext(new Date(Date.now() - 1), () => db.transaction(tenantId, (tx) => note(tx, body))),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(await noted(body)).toBe(false);
  });

  it('does not commit once the deadline has passed while it ran', async () => {
    const body = `slow-${newId()}`;
    const error = await inContext(new Date(Date.now() + 300), () =>
      db.transaction(tenantId, async (tx) => {
        await note(tx, body);
        tx.emit(event(body));
        await new Promise((resolve) => setTimeout(resolve, 450));
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(await noted(body)).toBe(false);
    expect(await outboxRows(body)).toBe(0);
  });

  it('bounds every statement by the time the caller has left', async () => {
    const started = Date.now();
    const error = await inContext(new Date(Date.now() + 400), () =>
      db.transaction(tenantId, (tx) => tx.query('SELECT pg_sleep(3)')),
    ).catch((e: unknown) => e);
    // Cut by statement_timeout (the time left), and reported as the deadline it was.
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('survives its connection being cut mid-transaction (PostgreSQL restarted): the change fails, the process goes on', async () => {
    const body = `cut-${newId()}`;
    let pid = 0;
    const change = db.transaction(tenantId, async (tx) => {
      await note(tx, body);
      pid = Number((await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid);
      await tx.query('SELECT pg_sleep(10)');
    });
    const failed = change.then(
      () => undefined,
      (error: unknown) => error,
    );
    while (pid === 0) await new Promise((r) => setTimeout(r, 20));
    // What a fast shutdown does to every connection: the server ends it. Unheard, the checked-out
    // client's 'error' event would be an uncaught exception, failing this run.
    await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    expect(await failed).toBeInstanceOf(Error);
    expect(await noted(body)).toBe(false);
    // The pool hands out working connections afterwards.
    await db.transaction(tenantId, (tx) => note(tx, `${body}-after`));
    expect(await noted(`${body}-after`)).toBe(true);
  });

  it('runs a joined Database inside the open transaction', async () => {
    const body = `joined-${newId()}`;
    await expect(
      db.transaction(tenantId, async (tx) => {
        await db.within(tx).transaction(tenantId, (inner) => note(inner, body));
        expect(
          await db
            .within(tx)
            .read(tenantId, (sql) => sql.query(`SELECT 1 FROM ${schema}.notes WHERE body = $1`, [body])),
        ).toHaveLength(1);
        throw new Error('roll the outer one back');
      }),
    ).rejects.toThrow('roll the outer one back');
    expect(await noted(body)).toBe(false);
    await expect(db.transaction(tenantId, (tx) => db.within(tx).transaction(newId(), async () => 1))).rejects.toThrow(
      /inside a transaction of/,
    );
  });
});

describe('Database.read', () => {
  it('is read-only', async () => {
    const error = (await db
      .read(tenantId, (sql) =>
        sql.execute(`INSERT INTO ${schema}.notes (id, tenant_id, body) VALUES ($1, $2, 'x')`, [newId(), tenantId]),
      )
      .catch((e: unknown) => e)) as { code?: string };
    expect(error.code).toBe('25006'); // read_only_sql_transaction
  });

  it('reads BIGINT as a safe number or fails loudly, and DATE as the day it is', async () => {
    const [row] = await db.read(tenantId, (sql) =>
      sql.query<{ big: number; day: string }>(`SELECT 9007199254740991::bigint AS big, '2030-01-07'::date AS day`),
    );
    expect(row).toEqual({ big: 9007199254740991, day: '2030-01-07' });
    await expect(
      db.read(tenantId, (sql) => sql.query('SELECT 9007199254740993::bigint AS big')),
    ).rejects.toBeInstanceOf(UnsafeIntegerError);
  });
});

describe('violatedConstraint', () => {
  it('names the constraint a write broke, from the error fields', async () => {
    const body = `unique-${newId()}`;
    await db.transaction(tenantId, (tx) => note(tx, body));
    const error = await db.transaction(tenantId, (tx) => note(tx, body)).catch((e: unknown) => e);
    expect(violatedConstraint(error, 'unique')).toBe('notes_body_key');
    expect(violatedConstraint(error, 'exclusion')).toBeUndefined();
    expect(
      violatedConstraint(new Error('duplicate key value violates unique constraint "notes_body_key"'), 'unique'),
    ).toBeUndefined();
  });
});
