/** Wires and starts the audit service. */
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit, startRuntime, type ServiceRuntime, runMain } from '@hms/platform';
import { loadContracts, type AuditServiceHandlers } from '@hms/proto';
import { configSchema } from './config.js';
import { createAuditStore, maintainPartitions } from './db/audit.repository.js';
import { createPrisma, type Db } from './db/prisma.js';
import { startAuditConsumer } from './events/audit.consumer.js';
import { auditHandlers } from './grpc/audit.handlers.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));

export async function startAudit(env: Record<string, string | undefined>, options: { inProcess?: boolean } = {}) {
  const config = loadConfigOrExit(configSchema, env);
  const runtime = await startRuntime({
    name: 'audit',
    config,
    migrationsDir: MIGRATIONS_DIR,
    inProcess: options.inProcess ?? false,
  });
  const prisma = createPrisma(runtime.pool());
  runtime.lifecycle.onShutdown('prisma', () => prisma.$disconnect());
  // Before the first record is consumed, so that it lands in its month's partition.
  await maintainPartitionsLogged(runtime, prisma);
  schedulePartitionMaintenance(runtime, prisma, config.PARTITION_MAINTENANCE_INTERVAL_MS);
  startAuditConsumer(runtime, prisma);
  runtime
    .grpcServer()
    .addService<AuditServiceHandlers>(
      loadContracts().hms.audit.v1.AuditService.service,
      auditHandlers({ store: createAuditStore(prisma) }),
    );
  const ports = await runtime.serve();
  return { runtime, prisma, ...ports };
}

async function maintainPartitionsLogged(runtime: ServiceRuntime, db: Db): Promise<void> {
  const created = await maintainPartitions(db, new Date());
  if (created > 0) runtime.logger.info({ created }, 'audit_log partitions created');
}

/** Keeps next months' partitions created ahead; a failed run is logged and retried at the next. */
function schedulePartitionMaintenance(runtime: ServiceRuntime, db: Db, intervalMs: number): void {
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = maintainPartitionsLogged(runtime, db).catch((error: unknown) =>
      runtime.logger.error({ err: error }, 'audit_log partition maintenance failed'),
    );
  }, intervalMs);
  runtime.lifecycle.onShutdown('partition maintenance', async () => {
    clearInterval(timer);
    await running;
  });
}

runMain(import.meta.url, () => startAudit(process.env));
