/**
 * LISTEN on a PostgreSQL channel with one dedicated connection that comes
 * back by itself. NOTIFY is transactional (delivered only when the writing
 * transaction commits) and reaches every listening process, which makes it a
 * cheap "something committed" signal between replicas. It is not a log: a
 * notification sent while the connection was down is lost, so after every
 * reconnect `onReconnect` runs and listeners catch up from where the data
 * lives.
 */
import pg from 'pg';
import type { Logger } from '../logger.js';
import { backoffDelay } from '../transient.js';
import { hmsTypes } from './pool.js';

export interface PgListener {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Whether the LISTEN connection is up now. */
  readonly listening: boolean;
}

export function createPgListener(options: {
  connectionString: string;
  channel: string;
  applicationName: string;
  logger: Logger;
  onNotify(payload: string): void;
  /** After a reconnect: notifications may have been missed meanwhile. */
  onReconnect(): void;
}): PgListener {
  if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new Error(`bad channel name ${options.channel}`);
  const log = options.logger.child({ component: 'pg-listener', channel: options.channel });
  let client: pg.Client | undefined;
  let stopped = false;
  let attempt = 0;
  let retry: NodeJS.Timeout | undefined;
  let connectedOnce = false;

  async function connect(): Promise<void> {
    const c = new pg.Client({
      connectionString: options.connectionString,
      application_name: options.applicationName,
      types: hmsTypes,
      keepAlive: true,
    });
    c.on('notification', (message) => {
      if (message.channel === options.channel && message.payload) options.onNotify(message.payload);
    });
    c.on('error', (error) => log.warn({ err: error }, 'listen connection failed'));
    c.on('end', () => {
      if (client === c) client = undefined;
      if (!stopped) schedule();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${options.channel}`);
    } catch (error) {
      await c.end().catch(() => undefined);
      throw error;
    }
    client = c;
    attempt = 0;
    if (connectedOnce) options.onReconnect();
    connectedOnce = true;
    log.info('listening');
  }

  function schedule(): void {
    if (retry || stopped) return;
    attempt += 1;
    retry = setTimeout(
      () => {
        retry = undefined;
        connect().catch((error: unknown) => {
          log.warn({ err: error, attempt }, 'listen connection failed; retrying');
          schedule();
        });
      },
      backoffDelay(attempt, 200, 5_000),
    );
  }

  return {
    async start() {
      stopped = false;
      await connect().catch((error: unknown) => {
        log.warn({ err: error }, 'listen connection failed; retrying');
        // Changes made before the first connection are caught up by the listeners' own reads.
        connectedOnce = true;
        schedule();
      });
    },
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
    get listening() {
      return client !== undefined;
    },
  };
}
