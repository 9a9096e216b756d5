/**
 * Work a service repeats on an interval (partition upkeep, checkpoints,
 * verification), as a part the runtime starts and stops: runs never overlap,
 * a failed run is logged and tried again at the next, stop() cancels what is
 * pending and waits for the run in hand. With `exclusive`, a run happens on one
 * replica at a time: it holds a session advisory lock for its duration, and a
 * replica that finds the lock taken skips that run. If the holder dies, its
 * connection closes and the lock with it.
 */
import type pg from 'pg';
import type { Logger } from './logger.js';
import type { ManagedPart } from './service.js';

/** First key of the scheduled tasks' advisory locks; the second is a hash of the lock name. */
const TASK_LOCK_NAMESPACE = 0x5354; // "ST"

export interface ScheduledTaskOptions {
  name: string;
  intervalMs: number;
  logger: Logger;
  /** One run; `signal` aborts when the service stops (or the lock is lost), so a long run can end early. */
  run: (signal: AbortSignal) => Promise<void>;
  /**
   * 'await': the first run is part of start() and must succeed; 'soon': right
   * after start, in the background; 'later' (default): after one interval.
   */
  firstRun?: 'await' | 'soon' | 'later';
  exclusive?: { pool: pg.Pool; lockName: string };
}

export interface ScheduledTask extends ManagedPart {
  /** Runs now (waiting for a run in hand first); false when another replica held the lock. */
  runNow(): Promise<boolean>;
}

export function scheduledTask(options: ScheduledTaskOptions): ScheduledTask {
  const { name, intervalMs, logger, exclusive } = options;
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> = Promise.resolve(true);

  async function once(): Promise<boolean> {
    if (!exclusive) {
      await options.run(stopping.signal);
      return true;
    }
    const client = await exclusive.pool.connect();
    let broken: Error | undefined;
    // A checked-out client whose connection drops emits 'error'; unheard, it would end the process.
    // The run is told to stop too: with the lock gone, another replica may start.
    const lockLost = new AbortController();
    const lost = (error: Error) => {
      broken = error;
      lockLost.abort();
      logger.warn({ err: error, task: name }, `${name}: the connection holding its lock was lost; run stopped`);
    };
    client.on('error', lost);
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS locked',
        [TASK_LOCK_NAMESPACE, exclusive.lockName],
      );
      if (!rows[0]?.locked) return false;
      try {
        await options.run(AbortSignal.any([stopping.signal, lockLost.signal]));
      } finally {
        await client
          .query('SELECT pg_advisory_unlock($1::int, hashtext($2))', [TASK_LOCK_NAMESPACE, exclusive.lockName])
          .catch((error: Error) => {
            // The connection is gone, and the lock with it; the pool must not reuse it.
            broken = error;
          });
      }
      return true;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  function runSerially(): Promise<boolean> {
    running = running.then(once, once);
    return running;
  }

  function tick(): void {
    runSerially()
      .catch((error: unknown) => logger.error({ err: error, task: name }, `${name} failed; trying again next time`))
      .finally(() => {
        if (!stopping.signal.aborted) timer = setTimeout(tick, intervalMs);
      });
  }

  return {
    name,
    async start() {
      if (options.firstRun === 'await') await runSerially();
      timer = setTimeout(tick, options.firstRun === 'soon' ? 0 : intervalMs);
    },
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running.catch(() => undefined);
    },
    runNow: runSerially,
  };
}
