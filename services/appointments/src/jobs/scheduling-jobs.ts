/**
 * The service's recurring jobs on pg-boss (queues made by the migration
 * 20261126000200_jobs): no-shows and reminders every minute, the tidy-up of
 * expired holds every quarter hour. Each runs once per tick across replicas.
 */
import { createJobRunner, jobsSchemaOf, poolSql, type JobRunner, type ServiceRuntime } from '@hms/platform';
import { createSweepStore } from '../db/scheduling.repository.js';
import type { SchedulingDeps } from '../domain/book-appointment.js';
import { cleanUpHolds, sendDueReminders, sweepNoShows } from '../domain/sweeps.js';

export const JOB_QUEUES = {
  noShows: 'no-show-sweep',
  reminders: 'reminders-due',
  holds: 'slot-hold-cleanup',
} as const;

export function schedulingJobs(
  runtime: ServiceRuntime,
  deps: SchedulingDeps & { defaultGraceMinutes: number },
  options: { pollingIntervalSeconds: number },
): JobRunner {
  const sweeps = createSweepStore(poolSql(runtime.pool));
  return createJobRunner({
    pool: runtime.pool,
    schema: jobsSchemaOf('appointments'),
    logger: runtime.logger,
    registry: runtime.metrics.registry,
    pollingIntervalSeconds: options.pollingIntervalSeconds,
    jobs: [
      {
        queue: JOB_QUEUES.noShows,
        cron: '* * * * *',
        run: async (signal) => {
          const marked = await sweepNoShows({ ...deps, sweeps }, signal);
          if (marked > 0) runtime.logger.info({ marked }, 'no-shows marked');
        },
      },
      {
        queue: JOB_QUEUES.reminders,
        cron: '* * * * *',
        run: async (signal) => {
          const sent = await sendDueReminders({ ...deps, sweeps }, signal);
          if (sent > 0) runtime.logger.info({ sent }, 'reminders due');
        },
      },
      {
        queue: JOB_QUEUES.holds,
        cron: '*/15 * * * *',
        run: async () => {
          await cleanUpHolds({ ...deps, sweeps });
        },
      },
    ],
  });
}
