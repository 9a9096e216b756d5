/** Wires and starts the queue service. */
import { createServiceRuntime, isoDateOf, loadConfigOrExit, newId, poolSql, runMain } from '@hms/platform';
import { loadContracts, type QueueServiceHandlers } from '@hms/proto';
import { configSchema } from './config.js';
import { createQueueStore, pruneChangeLogs } from './db/queue.repository.js';
import { consumeAppointmentCancelled } from './events/appointment-cancelled.consumer.js';
import { consumeAppointmentCheckedIn, QUEUE_CONSUMER_GROUP } from './events/appointment-checked-in.consumer.js';
import { queueHandlers, queuePermissions } from './grpc/queue.handlers.js';
import { createChangeFeed } from './live/change-feed.js';

const HOUR_MS = 3_600_000;

export async function startQueue(env: Record<string, string | undefined>, options: { inProcess?: boolean } = {}) {
  const config = loadConfigOrExit(configSchema, env);
  const runtime = createServiceRuntime({ name: 'queue', config, inProcess: options.inProcess ?? false });
  const storeOptions = { changeLogSize: config.QUEUE_CHANGE_LOG_SIZE };
  const consumer = runtime.consumer(QUEUE_CONSUMER_GROUP);
  consumeAppointmentCheckedIn(runtime, consumer, newId, storeOptions);
  consumeAppointmentCancelled(runtime, consumer, storeOptions);
  const feed = createChangeFeed({
    connectionString: config.DATABASE_URL,
    logger: runtime.logger,
    metrics: runtime.metrics,
  });
  runtime.manage({ name: 'change feed', start: () => feed.start(), stop: () => feed.stop() });
  // Change logs of past days serve no live stream: pruned hourly.
  let pruner: NodeJS.Timeout | undefined;
  runtime.manage({
    name: 'change log pruner',
    start() {
      pruner = setInterval(() => {
        const before = isoDateOf(new Date(Date.now() - config.QUEUE_CHANGE_LOG_RETENTION_DAYS * 24 * HOUR_MS));
        pruneChangeLogs(poolSql(runtime.pool), before).catch((error: unknown) =>
          runtime.logger.warn({ err: error }, 'pruning queue change logs failed; next hour again'),
        );
      }, HOUR_MS);
      pruner.unref();
    },
    stop: () => clearInterval(pruner),
  });
  runtime.grpc.addService<QueueServiceHandlers>(
    loadContracts().hms.queue.v1.QueueService.service,
    queueHandlers({ store: createQueueStore(runtime.database, storeOptions), now: () => new Date(), newId, feed }),
    queuePermissions,
  );
  const ports = await runtime.serve();
  return { runtime, feed, ...ports };
}

runMain(import.meta.url, () => startQueue(process.env));
