/** Wires and starts the queue service. */
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit, startRuntime, runMain } from '@hms/platform';
import { loadContracts, type QueueServiceHandlers } from '@hms/proto';
import { configSchema } from './config.js';
import { createPrisma } from './db/prisma.js';
import { createQueueStore } from './db/queue.repository.js';
import { startAppointmentCheckedInConsumer } from './events/appointment-checked-in.consumer.js';
import { queueHandlers } from './grpc/queue.handlers.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));

export async function startQueue(env: Record<string, string | undefined>, options: { inProcess?: boolean } = {}) {
  const config = loadConfigOrExit(configSchema, env);
  const runtime = await startRuntime({
    name: 'queue',
    config,
    migrationsDir: MIGRATIONS_DIR,
    inProcess: options.inProcess ?? false,
  });
  const prisma = createPrisma(runtime.pool());
  runtime.lifecycle.onShutdown('prisma', () => prisma.$disconnect());
  startAppointmentCheckedInConsumer(runtime, prisma);
  runtime
    .grpcServer()
    .addService<QueueServiceHandlers>(
      loadContracts().hms.queue.v1.QueueService.service,
      queueHandlers({ store: createQueueStore(prisma), now: () => new Date() }),
    );
  const ports = await runtime.serve();
  return { runtime, prisma, ...ports };
}

runMain(import.meta.url, () => startQueue(process.env));
