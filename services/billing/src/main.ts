/** Wires and starts the billing service. */
import { createServiceRuntime, loadConfigOrExit, newId, runMain } from '@hms/platform';
import { loadContracts, type BillingServiceHandlers } from '@hms/proto';
import { configSchema } from './config.js';
import { createBillStore } from './db/bill.repository.js';
import { consumeAppointmentBooked } from './events/appointment-booked.consumer.js';
import { billingHandlers, billingPermissions } from './grpc/billing.handlers.js';

export async function startBilling(env: Record<string, string | undefined>, options: { inProcess?: boolean } = {}) {
  const config = loadConfigOrExit(configSchema, env);
  const runtime = createServiceRuntime({ name: 'billing', config, inProcess: options.inProcess ?? false });
  consumeAppointmentBooked(runtime, { newId, now: () => new Date() });
  runtime.grpc.addService<BillingServiceHandlers>(
    loadContracts().hms.billing.v1.BillingService.service,
    billingHandlers(createBillStore(runtime.database)),
    billingPermissions,
  );
  const ports = await runtime.serve();
  return { runtime, ...ports };
}

runMain(import.meta.url, () => startBilling(process.env));
