/**
 * What one execution of a statement read, for tests that hold a plan to its
 * shape: EXPLAIN (ANALYZE, BUFFERS) of `statement`, shared buffers hit or read.
 */
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
