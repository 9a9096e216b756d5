import type pg from 'pg';
import type { SqlTx, TransactionRunner } from '../db/sql.js';

/** A TransactionRunner over a plain pg pool, for platform tests that have no Prisma client. */
export function pgTransactions(pool: pg.Pool): TransactionRunner<SqlTx> {
  return async (fn) => {
    const client = await pool.connect();
    const tx: SqlTx = {
      $executeRawUnsafe: async (query, ...values) => (await client.query(query, values)).rowCount ?? 0,
      $queryRawUnsafe: async <T>(query: string, ...values: unknown[]) => (await client.query(query, values)).rows as T,
    };
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
}
