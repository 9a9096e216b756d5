/** Wires and starts the audit service. */
import {
  createServiceRuntime,
  loadConfigOrExit,
  newId,
  poolSql,
  runMain,
  scheduledTask,
  serveTenantUsage,
  type ServiceRuntime,
} from '@hms/platform';
import { loadContracts, type AuditServiceHandlers } from '@hms/proto';
import { configSchema, trailKeys } from './config.js';
import { createAuditStore, maintainPartitions } from './db/audit.repository.js';
import { auditUsage } from './db/usage.repository.js';
import { consumeEveryEvent } from './events/audit.consumer.js';
import { auditHandlers, auditPermissions } from './grpc/audit.handlers.js';
import { trailJobs } from './jobs/trail-jobs.js';

export async function startAudit(env: Record<string, string | undefined>, options: { inProcess?: boolean } = {}) {
  const config = loadConfigOrExit(configSchema, env);
  const keys = trailKeys(config);
  // Audit publishes nothing: no outbox relay.
  const runtime = createServiceRuntime({ name: 'audit', config, relay: false, inProcess: options.inProcess ?? false });
  const store = createAuditStore(runtime.database, newId);
  runtime.manage(partitionMaintenance(runtime, config.PARTITION_MAINTENANCE_INTERVAL_MS));
  const jobs = trailJobs(runtime, {
    store,
    keys,
    anchorDatabaseUrl: config.ANCHOR_DATABASE_URL,
    anchorIntervalMs: config.AUDIT_ANCHOR_INTERVAL_MS,
    verifyIntervalMs: config.AUDIT_VERIFY_INTERVAL_MS,
    newId,
  });
  for (const part of jobs.parts) runtime.manage(part);
  consumeEveryEvent(runtime, newId, keys.chain);
  runtime.grpc.addService<AuditServiceHandlers>(
    loadContracts().hms.audit.v1.AuditService.service,
    auditHandlers({ store, keys, maxVerifyRecords: config.AUDIT_VERIFY_MAX_RECORDS }),
    auditPermissions,
  );
  serveTenantUsage(runtime.grpc, auditUsage(runtime.database));
  const ports = await runtime.serve();
  return { runtime, jobs, ...ports };
}

/**
 * Keeps audit_log's monthly partitions created ahead: once at start, before the
 * first record is consumed (so that it lands in its month's partition), then on
 * an interval; a failed run is logged and retried at the next.
 */
function partitionMaintenance(runtime: ServiceRuntime, intervalMs: number) {
  const sql = poolSql(runtime.pool);
  return scheduledTask({
    name: 'partition maintenance',
    intervalMs,
    logger: runtime.logger,
    firstRun: 'await',
    async run() {
      const created = await maintainPartitions(sql, new Date());
      if (created > 0) runtime.logger.info({ created }, 'audit_log partitions created');
    },
  });
}

runMain(import.meta.url, () => startAudit(process.env));
