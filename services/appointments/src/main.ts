/** Wires and starts the appointments service. */
import { createServiceRuntime, loadConfigOrExit, newId, runMain, serveTenantUsage } from '@hms/platform';
import { loadContracts, type AppointmentsServiceHandlers } from '@hms/proto';
import { configSchema } from './config.js';
import { createAppointmentStore } from './db/appointment.repository.js';
import { createDirectory } from './db/directory.repository.js';
import { appointmentsUsage } from './db/usage.repository.js';
import { appointmentsHandlers, appointmentsPermissions } from './grpc/appointments.handlers.js';
import { directoryHandlers } from './grpc/directory.handlers.js';

export async function startAppointments(
  env: Record<string, string | undefined>,
  options: { inProcess?: boolean } = {},
) {
  const config = loadConfigOrExit(configSchema, env);
  const runtime = createServiceRuntime({ name: 'appointments', config, inProcess: options.inProcess ?? false });
  runtime.grpc.addService<AppointmentsServiceHandlers>(
    loadContracts().hms.appointments.v1.AppointmentsService.service,
    {
      ...appointmentsHandlers({
        store: createAppointmentStore(runtime.database),
        now: () => new Date(),
        newId,
        policy: {
          maxDaysAhead: config.BOOKING_MAX_DAYS_AHEAD,
          checkInOpensMinutesBefore: config.CHECK_IN_OPENS_MINUTES_BEFORE,
        },
      }),
      ...directoryHandlers({ directory: createDirectory(runtime.database), newId }),
    },
    appointmentsPermissions,
  );
  serveTenantUsage(
    runtime.grpc,
    appointmentsUsage(runtime.database, () => new Date()),
  );
  const ports = await runtime.serve();
  return { runtime, ...ports };
}

runMain(import.meta.url, () => startAppointments(process.env));
