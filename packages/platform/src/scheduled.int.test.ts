/** Scheduled tasks that must run on one replica at a time, against the real PostgreSQL. */
import { afterAll, describe, expect, it } from 'vitest';
import { createPool } from './db/pool.js';
import { createLogger } from './logger.js';
import { scheduledTask } from './scheduled.js';
import { serviceDatabaseUrl } from './testing/env.js';
import { newId } from './ids.js';

const logger = createLogger({ service: 'test', level: 'silent' });
// Two pools: two replicas of a service.
const pools = [0, 1].map(() =>
  createPool({ connectionString: serviceDatabaseUrl('audit'), max: 3, applicationName: 'scheduled-test', logger }),
);

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
});

describe('an exclusive scheduled task', () => {
  it('runs on one replica at a time: the other skips while the lock is held, and runs once it is free', async () => {
    const lockName = `test-${newId()}`;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const ran: string[] = [];
    const [a, b] = pools.map((pool, i) =>
      scheduledTask({
        name: `replica ${i}`,
        intervalMs: 3_600_000,
        logger,
        exclusive: { pool, lockName },
        async run() {
          ran.push(`replica ${i}`);
          if (i === 0) {
            started();
            await held;
          }
        },
      }),
    );
    const first = a!.runNow();
    await running;
    expect(await b!.runNow()).toBe(false);
    release();
    expect(await first).toBe(true);
    expect(await b!.runNow()).toBe(true);
    expect(ran).toEqual(['replica 0', 'replica 1']);
  });

  it('stops the run when its lock connection is lost, and another replica takes over', async () => {
    const lockName = `test-${newId()}`;
    let stoppedEarly = false;
    let backend = 0;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const holder = scheduledTask({
      name: 'holder',
      intervalMs: 3_600_000,
      logger,
      exclusive: { pool: pools[0]!, lockName },
      async run(signal) {
        const { rows } = await pools[0]!.query<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = hashtext($1)::oid`,
          [lockName],
        );
        backend = rows[0]!.pid;
        started();
        // Told to stop once the lock is gone, as a long run checks between steps.
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        stoppedEarly = true;
      },
    });
    const other = scheduledTask({
      name: 'other',
      intervalMs: 3_600_000,
      logger,
      exclusive: { pool: pools[1]!, lockName },
      run: async () => undefined,
    });
    const first = holder.runNow();
    await running;
    expect(await other.runNow()).toBe(false);
    await pools[1]!.query('SELECT pg_terminate_backend($1)', [backend]).catch(() => undefined);
    expect(await first).toBe(true);
    expect(stoppedEarly).toBe(true);
    expect(await other.runNow()).toBe(true);
  });
});
