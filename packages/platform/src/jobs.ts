/**
 * Recurring jobs that must run once per period however many replicas run
 * (sweeps, reminders), on pg-boss: its cron schedule is kept in the service's
 * database, one replica turns each tick into a job, and exactly one worker of
 * any replica takes that job. Jobs survive restarts (they are rows), a run
 * that fails is recorded and the next tick runs again.
 *
 * pg-boss's schema (`<service>_jobs`) and the service's queues are created by
 * a migration as the schema's owner, like every other table (docs/migrations.md):
 * the running service only reads and writes rows, so it starts pg-boss with
 * `migrate: false` and refuses to start on a schema of another pg-boss version.
 * pg-boss runs its SQL on the service's own pool.
 */
import PgBoss from 'pg-boss';
import type pg from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from './logger.js';
import type { ManagedPart } from './service.js';
import { sleep } from './transient.js';

export interface RecurringJob {
  /** The pg-boss queue (created by a migration); one schedule per queue. */
  queue: string;
  /** Cron expression in UTC, minute resolution (e.g. "* * * * *"). */
  cron: string;
  /** One run; `signal` aborts when the service stops. */
  run: (signal: AbortSignal) => Promise<void>;
}

export interface JobRunnerOptions {
  pool: pg.Pool;
  /** pg-boss's schema, e.g. appointments_jobs. */
  schema: string;
  jobs: RecurringJob[];
  logger: Logger;
  registry: Registry;
  /** How often an idle worker looks for a job (pg-boss polls; default 2 s). */
  pollingIntervalSeconds?: number;
}

export interface JobRunner extends ManagedPart {
  /**
   * Queues a run of `queue` now and waits until a worker of any replica has
   * finished it; rejects when it failed or did not finish within `timeoutMs`.
   */
  runNow(queue: string, timeoutMs?: number): Promise<void>;
}

/** The pg-boss schema of a service: `<schema>_jobs`. */
export function jobsSchemaOf(schema: string): string {
  return `${schema}_jobs`;
}

const jobMetricsByRegistry = new WeakMap<Registry, { runs: Counter<'job' | 'outcome'>; lastSuccess: Gauge<'job'> }>();

function jobMetrics(registry: Registry) {
  let metrics = jobMetricsByRegistry.get(registry);
  if (!metrics) {
    metrics = {
      runs: new Counter({
        name: 'hms_job_runs_total',
        help: 'Runs of a recurring job taken by this process, by job and outcome (succeeded, failed)',
        labelNames: ['job', 'outcome'],
        registers: [registry],
      }),
      lastSuccess: new Gauge({
        name: 'hms_job_last_success_timestamp_seconds',
        help: 'When a run of the recurring job last succeeded in this process (Unix seconds)',
        labelNames: ['job'],
        registers: [registry],
      }),
    };
    jobMetricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { pool, schema, jobs, logger } = options;
  const log = logger.child({ component: 'jobs' });
  const metrics = jobMetrics(options.registry);
  const stopping = new AbortController();
  const boss = new PgBoss({
    schema,
    db: { executeSql: (text: string, values: unknown[]) => pool.query(text, values) },
    migrate: false,
    supervise: true,
    schedule: true,
    // A tick that finds the previous run still going waits for the next one.
    retryLimit: 0,
    expireInSeconds: 15 * 60,
  });
  boss.on('error', (error: unknown) => log.warn({ err: error }, 'pg-boss reported an error'));

  async function runJob(job: RecurringJob): Promise<void> {
    const started = Date.now();
    try {
      await job.run(stopping.signal);
      metrics.runs.inc({ job: job.queue, outcome: 'succeeded' });
      metrics.lastSuccess.set({ job: job.queue }, Date.now() / 1000);
      log.debug({ job: job.queue, ms: Date.now() - started }, 'job run finished');
    } catch (error) {
      metrics.runs.inc({ job: job.queue, outcome: 'failed' });
      log.error({ err: error, job: job.queue }, 'job run failed; the next tick runs it again');
      throw error;
    }
  }

  return {
    name: 'recurring jobs',
    async start() {
      await boss.start();
      for (const job of jobs) {
        await boss.schedule(job.queue, job.cron, {}, { tz: 'UTC' });
        await boss.work(
          job.queue,
          { batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
          async () => runJob(job),
        );
      }
      log.info({ jobs: jobs.map((j) => `${j.queue} (${j.cron})`) }, 'recurring jobs scheduled');
    },
    async stop() {
      stopping.abort();
      await boss.stop({ graceful: true, wait: true, close: false, timeout: 10_000 });
    },
    async runNow(queue, timeoutMs = 30_000) {
      if (!jobs.some((j) => j.queue === queue)) throw new Error(`no recurring job on queue ${queue}`);
      const id = await boss.send(queue, {});
      if (!id) throw new Error(`pg-boss did not queue a run of ${queue}`);
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const job = await boss.getJobById(queue, id, { includeArchive: true });
        if (job?.state === 'completed') return;
        if (job?.state === 'failed' || job?.state === 'cancelled') {
          throw new Error(`run ${id} of ${queue} ended ${job.state}`);
        }
        await sleep(100);
      }
      throw new Error(`run ${id} of ${queue} did not finish within ${timeoutMs} ms`);
    },
  };
}
