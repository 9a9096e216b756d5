/** Wires and starts the billing service. */
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit, startRuntime, runMain } from '@hms/platform';
import { loadContracts, type BillingServiceHandlers } from '@hms/proto';
import { configSchema } from './config.js';
import { createBillRepository } from './db/bill.repository.js';
import { createPrisma } from './db/prisma.js';
import { startAppointmentBookedConsumer } from './events/appointment-booked.consumer.js';
import { billingHandlers } from './grpc/billing.handlers.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));

export async function startBilling(env: Record<string, string | undefined>, options: { inProcess?: boolean } = {}) {
  const config = loadConfigOrExit(configSchema, env);
  const runtime = await startRuntime({
    name: 'billing',
    config,
    migrationsDir: MIGRATIONS_DIR,
    inProcess: options.inProcess ?? false,
  });
  const prisma = createPrisma(runtime.pool());
  runtime.lifecycle.onShutdown('prisma', () => prisma.$disconnect());
  const bills = createBillRepository(prisma);
  startAppointmentBookedConsumer(runtime, prisma, bills);
  runtime
    .grpcServer()
    .addService<BillingServiceHandlers>(loadContracts().hms.billing.v1.BillingService.service, billingHandlers(bills));
  const ports = await runtime.serve();
  return { runtime, prisma, ...ports };
}

runMain(import.meta.url, () => startBilling(process.env));
