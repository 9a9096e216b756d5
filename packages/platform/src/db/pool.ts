import pg from 'pg';
import { Gauge } from 'prom-client';
import type { Logger } from '../logger.js';
import type { Registry } from '../metrics.js';
import type { HealthCheck } from '../ops-server.js';

export interface PoolOptions {
  connectionString: string;
  max: number;
  applicationName: string;
  logger: Logger;
  registry?: Registry;
}

const OID = { INT8: 20, DATE: 1082 } as const;

/**
 * How values come back from the database, for every query on HMS pools:
 * - BIGINT (money in minor units, sequence numbers) as a number, checked to be
 *   a safe integer: a value past 2^53 would silently lose its last digits, so
 *   reading one fails loudly instead;
 * - DATE as the 'YYYY-MM-DD' it is, not a Date at some time zone's midnight.
 * Prisma's driver adapter sets its own parsers per query and is not affected.
 */
export const hmsTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format !== 'binary') {
      if (oid === OID.INT8) return parseSafeInteger;
      if (oid === OID.DATE) return (value: string) => value;
    }
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export class UnsafeIntegerError extends RangeError {
  override readonly name = 'UnsafeIntegerError';
}

/** A BIGINT's text as a number, refusing values a number cannot hold exactly. */
export function parseSafeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new UnsafeIntegerError(`database integer ${text} is outside the safe integer range (±2^53-1)`);
  }
  return value;
}

/**
 * A pg pool that fails fast when the database is away (instead of queueing
 * forever), logs errors of idle clients (unhandled, they would crash the
 * process) and exports its occupancy.
 */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    application_name: options.applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    types: hmsTypes,
  });
  pool.on('error', (error) => options.logger.warn({ err: error }, 'idle database connection failed'));
  if (options.registry) {
    new Gauge({
      name: 'hms_db_pool_connections',
      help: 'Database pool connections by state (total, idle, waiting requests)',
      labelNames: ['state'],
      registers: [options.registry],
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
    new Gauge({
      name: 'hms_db_pool_max_connections',
      help: 'Connections the pool may open (DATABASE_POOL_MAX): saturation = (total - idle) / max',
      registers: [options.registry],
      collect() {
        this.set(options.max);
      },
    });
  }
  return pool;
}

export function postgresCheck(pool: pg.Pool): HealthCheck {
  return {
    name: 'postgres',
    critical: true,
    check: async () => {
      await pool.query('SELECT 1');
    },
  };
}
