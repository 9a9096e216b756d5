/**
 * Plans as tests hold them to their shape: what one execution of a statement
 * read (EXPLAIN (ANALYZE, BUFFERS), shared buffers hit or read), and the
 * generic plan a service's named statement gets.
 */
import type pg from 'pg';

/** A pg pool or client (rows in `rows`), or the platform's Sql (rows returned). */
interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

interface PlanNode {
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
}

export async function buffersOf(db: Queryable, statement: string, values?: unknown[]): Promise<number> {
  const result = await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement}`, values);
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
    'QUERY PLAN': [{ Plan: PlanNode }];
  }[];
  const plan = rows[0]!['QUERY PLAN'][0].Plan;
  return (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
}

/**
 * The generic plan of `text` (EXPLAIN text), as a service's named statement is planned after
 * its first executions or under `genericPlans`: prepared on `client` (a runtime role's, so
 * row-level security applies) in a rolled-back transaction of `tenantId`, executed with
 * `literals` (SQL literals, one per parameter).
 */
export async function explainGeneric(
  client: pg.Client,
  tenantId: string,
  text: string,
  literals: string[],
  searchPath?: string,
): Promise<string> {
  await client.query('BEGIN');
  try {
    await client.query(
      `SELECT set_config('app.tenant_id', $1, true), set_config('plan_cache_mode', 'force_generic_plan', true)`,
      [tenantId],
    );
    if (searchPath) await client.query(`SELECT set_config('search_path', $1, true)`, [searchPath]);
    await client.query(`PREPARE generic_plan AS ${text}`);
    try {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN EXECUTE generic_plan(${literals.join(', ')})`,
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await client.query('DEALLOCATE generic_plan');
    }
  } finally {
    await client.query('ROLLBACK');
  }
}
