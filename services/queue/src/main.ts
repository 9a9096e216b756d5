/** Wires and starts the queue service. */
import { createServiceRuntime, loadConfigOrExit, newId, runMain } from '@hms/platform';
import { loadContracts, type QueueServiceHandlers } from '@hms/proto';
import { configSchema } from './config.js';
import { createQueueStore } from './db/queue.repository.js';
import { consumeAppointmentCheckedIn } from './events/appointment-checked-in.consumer.js';
import { queueHandlers, queuePermissions } from './grpc/queue.handlers.js';

export async function startQueue(env: Record<string, string | undefined>, options: { inProcess?: boolean } = {}) {
  const config = loadConfigOrExit(configSchema, env);
  const runtime = createServiceRuntime({ name: 'queue', config, inProcess: options.inProcess ?? false });
  consumeAppointmentCheckedIn(runtime, newId);
  runtime.grpc.addService<QueueServiceHandlers>(
    loadContracts().hms.queue.v1.QueueService.service,
    queueHandlers({ store: createQueueStore(runtime.database), now: () => new Date() }),
    queuePermissions,
  );
  const ports = await runtime.serve();
  return { runtime, ...ports };
}

runMain(import.meta.url, () => startQueue(process.env));
