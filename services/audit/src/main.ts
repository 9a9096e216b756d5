/** Wires and starts the audit service. */
import { createServiceRuntime, loadConfigOrExit, newId, poolSql, runMain, type ServiceRuntime } from '@hms/platform';
import { loadContracts, type AuditServiceHandlers } from '@hms/proto';
import { configSchema } from './config.js';
import { createAuditStore, maintainPartitions } from './db/audit.repository.js';
import { consumeEveryEvent } from './events/audit.consumer.js';
import { auditHandlers } from './grpc/audit.handlers.js';

export async function startAudit(env: Record<string, string | undefined>, options: { inProcess?: boolean } = {}) {
  const config = loadConfigOrExit(configSchema, env);
  // Audit publishes nothing: no outbox relay.
  const runtime = createServiceRuntime({ name: 'audit', config, relay: false, inProcess: options.inProcess ?? false });
  runtime.manage(partitionMaintenance(runtime, config.PARTITION_MAINTENANCE_INTERVAL_MS));
  consumeEveryEvent(runtime, newId);
  runtime.grpc.addService<AuditServiceHandlers>(
    loadContracts().hms.audit.v1.AuditService.service,
    auditHandlers({ store: createAuditStore(runtime.database, newId) }),
  );
  const ports = await runtime.serve();
  return { runtime, ...ports };
}

/**
 * Keeps audit_log's monthly partitions created ahead: once at start, before the
 * first record is consumed (so that it lands in its month's partition), then on
 * an interval; a failed run is logged and retried at the next.
 */
function partitionMaintenance(runtime: ServiceRuntime, intervalMs: number) {
  const sql = poolSql(runtime.pool);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const maintain = async () => {
    const created = await maintainPartitions(sql, new Date());
    if (created > 0) runtime.logger.info({ created }, 'audit_log partitions created');
  };
  return {
    name: 'partition maintenance',
    async start() {
      await maintain();
      timer = setInterval(() => {
        running = maintain().catch((error: unknown) =>
          runtime.logger.error({ err: error }, 'audit_log partition maintenance failed'),
        );
      }, intervalMs);
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

runMain(import.meta.url, () => startAudit(process.env));
