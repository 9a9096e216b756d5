/**
 * The one write path of every service: SQL on the service's pg pool, one
 * transaction per change, scoped to a tenant, with the change's events written
 * to the outbox in the same transaction just before it commits.
 *
 * - `transaction(tenantId, fn)`: BEGIN, `app.tenant_id` set for row-level
 *   security (every tenant table's policy compares its tenant_id with it; with
 *   no tenant, such a table shows no rows and takes none), fn, the outbox rows
 *   of what fn emitted, COMMIT. Refuses to start,
 *   and refuses to commit, once the caller's deadline (from the request
 *   context) has passed, and bounds every statement by the time left, so a
 *   change never commits after the caller has given up.
 * - `read(tenantId, fn)`: the same scoping in a read-only transaction.
 *   `read(ALL_TENANTS, fn)` is the one way across tenants, for platform jobs,
 *   read-only, and only on tables whose policy allows it (`app.all_tenants`).
 *   `read(tenantId, fn, { genericPlans: true })` plans its prepared statements
 *   generically (see PlanOptions); so does `transaction(tenantId, fn, { genericPlans: true })`.
 * - `within(tx)`: a Database whose transactions run inside `tx` (an event
 *   consumer's transaction, which also holds its processed-event record).
 *
 * Prisma owns the schema (schema.prisma, migrations, the drift check); the
 * runtime paths use SQL here because a Prisma model query costs several times
 * the CPU of the same SQL (docs/performance.md).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { Histogram } from 'prom-client';
import { currentContext } from '../context.js';
import { DeadlineExceededError } from '../errors.js';
import { normalizeUuid } from '../ids.js';
import { secondsSince, type Registry } from '../metrics.js';
import type { PendingEvent } from '../kafka/events.js';
import type { OutboxWriter, RaisedEvent } from '../kafka/outbox.js';
import type { Sql } from './sql.js';

export type { Sql } from './sql.js';

export interface Transaction extends Sql {
  /** The tenant the transaction is scoped to (null: platform bookkeeping across tenants). */
  readonly tenantId: string | null;
  /** Adds events to the transaction: written to the outbox just before it commits, or not at all. */
  emit(...events: PendingEvent[]): void;
}

/**
 * The scope of a platform job that reads across tenants (the audit trail's
 * verification and anchoring list every chain): read-only, and it sees only
 * tables whose row-level security policy names `app.all_tenants`.
 */
export const ALL_TENANTS = Symbol('all tenants');

export interface PlanOptions {
  /**
   * Plan the transaction's prepared statements generically (`plan_cache_mode =
   * force_generic_plan` for the transaction). For a tenant no ANALYZE has seen
   * yet (onboarded since the last one, beside a large tenant) PostgreSQL
   * estimates one row, plans each execution for it, and any index that starts
   * with tenant_id then looks as good as the right one: a join walked every
   * row of the tenant per outer row. A generic plan weighs the tenant at the
   * table's average, so the selective indexes win. Only for statements whose
   * text names just the conditions given: a catch-all `($n IS NULL OR ...)`
   * needs a plan made for its values. A Database bound to a transaction
   * (`within`) reads and writes in that transaction, with its settings.
   *
   * For a write path of fixed statements too: PostgreSQL plans a connection's first five
   * executions of a named statement for their values, and after that whenever those plans
   * looked cheaper than the generic one, as plans made for a new tenant's values do
   * (measured on the bench stack: such a plan found a booking's patient by walking the
   * tenant's 2,000 patients, and checked its slot through every claim of the tenant).
   */
  genericPlans?: boolean;
}

/** The option every caller of fixed statements passes: plan them generically. */
export const GENERIC_PLANS: PlanOptions = Object.freeze({ genericPlans: true });

export interface Database {
  transaction<T>(tenantId: string | null, fn: (tx: Transaction) => Promise<T>, options?: PlanOptions): Promise<T>;
  read<T>(
    tenantId: string | null | typeof ALL_TENANTS,
    fn: (sql: Sql) => Promise<T>,
    options?: PlanOptions,
  ): Promise<T>;
  /** A Database whose transactions and reads run inside `tx` (no nested transaction). */
  within(tx: Transaction): Database;
}

export interface DatabaseOptions {
  pool: pg.Pool;
  outbox: OutboxWriter;
  /** Upper bound of any statement when the caller set no deadline. */
  statementTimeoutMs?: number;
  /** Where the statement and pool-wait histograms go (none: not measured). */
  registry?: Registry;
}

interface DatabaseMetrics {
  statement: Histogram;
  acquire: Histogram;
}

/**
 * hms_db_statement_duration_seconds: every statement of the write path as the
 * service waits for it (network and locks included); its buckets above 0.1 s
 * count the slow ones, which PostgreSQL also logs (log_min_duration_statement).
 * hms_db_pool_acquire_seconds: how long a transaction waited for a connection
 * (a saturated pool shows here before anywhere else).
 */
function databaseMetrics(registry: Registry): DatabaseMetrics {
  const existing = registry.getSingleMetric('hms_db_statement_duration_seconds') as Histogram | undefined;
  if (existing) {
    return { statement: existing, acquire: registry.getSingleMetric('hms_db_pool_acquire_seconds') as Histogram };
  }
  const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  return {
    statement: new Histogram({
      name: 'hms_db_statement_duration_seconds',
      help: 'SQL statements of the write path (BEGIN and COMMIT included), as long as the service waited for each',
      buckets,
      registers: [registry],
    }),
    acquire: new Histogram({
      name: 'hms_db_pool_acquire_seconds',
      help: 'Time a transaction waited for a pool connection',
      buckets,
      registers: [registry],
    }),
  };
}

/** SQLSTATE of a statement cancelled, e.g. by statement_timeout. */
const QUERY_CANCELED = '57014';

/** Headroom kept before a deadline: a commit started with less than this left is not started. */
const COMMIT_MARGIN_MS = 5;

export function createDatabase(options: DatabaseOptions): Database {
  const { pool, outbox } = options;
  const defaultTimeoutMs = options.statementTimeoutMs ?? 30_000;
  const metrics = options.registry ? databaseMetrics(options.registry) : undefined;
  const statementTime = metrics?.statement;

  async function run<T>(
    tenantId: string | null | typeof ALL_TENANTS,
    readOnly: boolean,
    fn: (tx: Transaction) => Promise<T>,
    genericPlans = false,
  ): Promise<T> {
    const allTenants = tenantId === ALL_TENANTS;
    if (allTenants && !readOnly) throw new Error('only a read may span all tenants');
    const tenant = allTenants ? null : tenantScope(tenantId);
    const deadline = currentContext()?.deadline;
    const timeoutMs = timeLeft(deadline, 'start');
    const waiting = process.hrtime.bigint();
    const client = await pool.connect();
    metrics?.acquire.observe(secondsSince(waiting));
    let broken: Error | undefined;
    // A checked-out client whose connection drops (PostgreSQL restarted) emits 'error': unheard,
    // it would end the process. The statement in flight fails by itself; the client is not pooled again.
    const lost = (error: Error) => {
      broken = error;
    };
    client.on('error', lost);
    try {
      // One round trip: simple protocol, values validated above (a UUID, an integer).
      await executeCount(
        client,
        `BEGIN${readOnly ? ' READ ONLY' : ''}; SET LOCAL statement_timeout = ${Math.min(timeoutMs ?? defaultTimeoutMs, defaultTimeoutMs)}` +
          (tenant ? `; SET LOCAL app.tenant_id = '${tenant}'` : '') +
          (allTenants ? `; SET LOCAL app.all_tenants = 'on'` : '') +
          (genericPlans ? '; SET LOCAL plan_cache_mode = force_generic_plan' : ''),
        undefined,
        statementTime,
      );
      const pending: RaisedEvent[] = [];
      const tx: Transaction = {
        tenantId: tenant,
        query: (text, values) => queryRows(client, text, values, statementTime),
        execute: (text, values) => executeCount(client, text, values, statementTime),
        emit: (...events) => {
          if (readOnly) throw new Error('a read-only transaction cannot emit events');
          // Stamped now: by commit time the trace and actor may be another event's (a consumer's chunk).
          for (const event of events) pending.push(outbox.raise(event));
        },
      };
      const result = await fn(tx);
      if (pending.length > 0) await outbox.write(tx, pending);
      timeLeft(deadline, 'commit');
      await executeCount(client, 'COMMIT', undefined, statementTime);
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is gone; the pool must not hand it out again.
        broken = rollbackError as Error;
      }
      // A statement cut by the timeout the deadline set: the caller's deadline, not a fault.
      if (deadline && (error as { code?: unknown }).code === QUERY_CANCELED && deadline.getTime() - Date.now() < 50) {
        throw new DeadlineExceededError('the caller stopped waiting while the change ran; nothing was saved');
      }
      throw error;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  const database: Database = {
    transaction: (tenantId, fn, options) => run(tenantId, false, fn, options?.genericPlans),
    read: (tenantId, fn, options) => run(tenantId, true, fn, options?.genericPlans),
    within: (tx) => joined(tx),
  };
  return database;
}

/** A Database bound to an open transaction: its "transactions" are that transaction. */
function joined(tx: Transaction): Database {
  const same = (tenantId: string | null) => {
    const tenant = tenantScope(tenantId);
    if (tenant !== tx.tenantId) {
      throw new Error(`a change for tenant ${tenant ?? '(none)'} inside a transaction of ${tx.tenantId ?? '(none)'}`);
    }
  };
  const self: Database = {
    transaction: async (tenantId, fn) => {
      same(tenantId);
      return fn(tx);
    },
    read: async (tenantId, fn) => {
      if (tenantId === ALL_TENANTS) throw new Error('a read across tenants cannot join a transaction');
      same(tenantId);
      return fn(tx);
    },
    within: (inner) => joined(inner),
  };
  return self;
}

function tenantScope(tenantId: string | null): string | null {
  if (tenantId === null) return null;
  const tenant = normalizeUuid(tenantId);
  if (!tenant) throw new TypeError(`tenant id ${JSON.stringify(tenantId)} is not a UUID`);
  return tenant;
}

/** Milliseconds left before the deadline (undefined: none); throws when too little is left to `what`. */
function timeLeft(deadline: Date | undefined, what: 'start' | 'commit'): number | undefined {
  if (!deadline) return undefined;
  const left = deadline.getTime() - Date.now();
  if (left <= COMMIT_MARGIN_MS) {
    throw new DeadlineExceededError(
      what === 'start'
        ? 'the caller stopped waiting before the change could start'
        : 'the caller stopped waiting before the change could commit; nothing was saved',
    );
  }
  return Math.ceil(left);
}

/**
 * Every statement of the write path is a named prepared statement: parsed and
 * planned once per connection, then only bound and executed (the texts are
 * the repositories' constants, so the set of names stays small). A text
 * without values goes by the simple protocol instead: it may hold several
 * commands (the transaction's BEGIN and its settings), and its text varies.
 */
const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 2_000;
function statement(text: string, values: readonly unknown[] | undefined): pg.QueryConfig {
  if (values === undefined) return { text };
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `hms_${createHash('sha1').update(text).digest('base64url')}`;
    statementNames.set(text, name);
  }
  return { text, values: values as unknown[] | undefined, ...(name ? { name } : {}) };
}

async function queryRows<R extends object>(
  client: pg.PoolClient | pg.Pool,
  text: string,
  values?: readonly unknown[],
  timed?: Histogram,
): Promise<R[]> {
  const started = timed ? process.hrtime.bigint() : 0n;
  try {
    return (await client.query<R>(statement(text, values))).rows;
  } finally {
    timed?.observe(secondsSince(started));
  }
}

async function executeCount(
  client: pg.PoolClient | pg.Pool,
  text: string,
  values?: readonly unknown[],
  timed?: Histogram,
): Promise<number> {
  const started = timed ? process.hrtime.bigint() : 0n;
  try {
    return (await client.query(statement(text, values))).rowCount ?? 0;
  } finally {
    timed?.observe(secondsSince(started));
  }
}

/** Statements outside any tenant scope, straight on the pool (platform bookkeeping, health checks). */
export function poolSql(pool: pg.Pool): Sql {
  return {
    query: (text, values) => queryRows(pool, text, values),
    execute: (text, values) => executeCount(pool, text, values),
  };
}
