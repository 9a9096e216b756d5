/** Wires and starts the appointments service. */
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit, startRuntime, runMain } from '@hms/platform';
import { loadContracts, type AppointmentsServiceHandlers } from '@hms/proto';
import { configSchema } from './config.js';
import { createAppointmentStore } from './db/appointment.repository.js';
import { createPrisma } from './db/prisma.js';
import { appointmentsHandlers } from './grpc/appointments.handlers.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));

export async function startAppointments(
  env: Record<string, string | undefined>,
  options: { inProcess?: boolean } = {},
) {
  const config = loadConfigOrExit(configSchema, env);
  const runtime = await startRuntime({
    name: 'appointments',
    config,
    migrationsDir: MIGRATIONS_DIR,
    inProcess: options.inProcess ?? false,
  });
  const prisma = createPrisma(runtime.pool());
  runtime.lifecycle.onShutdown('prisma', () => prisma.$disconnect());
  const store = createAppointmentStore(prisma, runtime.outbox());
  runtime.grpcServer().addService<AppointmentsServiceHandlers>(
    loadContracts().hms.appointments.v1.AppointmentsService.service,
    appointmentsHandlers({
      store,
      now: () => new Date(),
      policy: {
        maxDaysAhead: config.BOOKING_MAX_DAYS_AHEAD,
        checkInOpensMinutesBefore: config.CHECK_IN_OPENS_MINUTES_BEFORE,
      },
    }),
  );
  const ports = await runtime.serve();
  return { runtime, prisma, ...ports };
}

runMain(import.meta.url, () => startAppointments(process.env));
