/** Wires and starts the billing service. */
import { createServiceRuntime, loadConfigOrExit, newId, runMain, scheduledTask } from '@hms/platform';
import { loadContracts, type BillingServiceHandlers } from '@hms/proto';
import { configSchema } from './config.js';
import { createBillStore } from './db/bill.repository.js';
import { markOverdueBills } from './domain/mark-overdue.js';
import { consumeAppointmentEvents } from './events/appointment-events.consumer.js';
import { billingHandlers, billingPermissions } from './grpc/billing.handlers.js';

export async function startBilling(env: Record<string, string | undefined>, options: { inProcess?: boolean } = {}) {
  const config = loadConfigOrExit(configSchema, env);
  const runtime = createServiceRuntime({ name: 'billing', config, inProcess: options.inProcess ?? false });
  const clock = { newId, now: () => new Date() };
  const deps = { store: createBillStore(runtime.database), ...clock };
  consumeAppointmentEvents(runtime, clock);
  runtime.grpc.addService<BillingServiceHandlers>(
    loadContracts().hms.billing.v1.BillingService.service,
    billingHandlers(deps),
    billingPermissions,
  );
  // One replica at a time (a session advisory lock); a marked bill is no longer a candidate, so a run is safe to repeat.
  const overdue = scheduledTask({
    name: 'overdue bills',
    intervalMs: config.OVERDUE_SWEEP_INTERVAL_MS,
    logger: runtime.logger,
    firstRun: 'soon',
    exclusive: { pool: runtime.pool, lockName: 'billing:overdue-bills' },
    run: async (signal) => {
      const marked = await markOverdueBills(deps, clock.now(), { signal });
      if (marked > 0) runtime.logger.info({ marked }, 'bills marked overdue');
    },
  });
  runtime.manage(overdue);
  const ports = await runtime.serve();
  return { runtime, overdue, ...ports };
}

runMain(import.meta.url, () => startBilling(process.env));
