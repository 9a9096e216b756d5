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
