/** Wires and starts the appointments service. */
import {
  createCacheInvalidations,
  createRedis,
  createServiceRuntime,
  loadConfigOrExit,
  newId,
  redisCheck,
  runMain,
  serveTenantUsage,
} from '@hms/platform';
import {
  loadContracts,
  type AppointmentsServiceHandlers,
  type CalendarServiceHandlers,
  type ClinicalServiceHandlers,
  type DirectoryServiceHandlers,
  type PatientsServiceHandlers,
} from '@hms/proto';
import { createReferenceData, REFERENCE_CACHES, splitKey } from './cache/reference-data.js';
import { createGatewayCaches } from './cache/gateway-caches.js';
import { createRecentlyTaken } from './domain/recently-taken.js';
import { configSchema } from './config.js';
import { createClinicalStore } from './db/clinical.repository.js';
import { createSchedulingStore } from './db/scheduling.repository.js';
import type { SchedulingDeps } from './domain/book-appointment.js';
import { assertValidSettings } from './domain/settings.js';
import { consumeForDashboard, DASHBOARD_CONSUMER_GROUP } from './events/dashboard.consumer.js';
import { consumeDirectoryChanges } from './events/directory.consumer.js';
import { consumeQueueEvents } from './events/queue.consumer.js';
import { appointmentsUsage } from './db/usage.repository.js';
import { appointmentsHandlers, appointmentsPermissions } from './grpc/appointments.handlers.js';
import { calendarHandlers, calendarPermissions } from './grpc/calendar.handlers.js';
import { clinicalHandlers, clinicalPermissions } from './grpc/clinical.handlers.js';
import { directoryHandlers, directoryPermissions } from './grpc/directory.handlers.js';
import { patientsHandlers, patientsPermissions } from './grpc/patients.handlers.js';
import { schedulingJobs } from './jobs/scheduling-jobs.js';

export async function startAppointments(
  env: Record<string, string | undefined>,
  options: { inProcess?: boolean; now?: () => Date } = {},
) {
  const config = loadConfigOrExit(configSchema, env);
  const runtime = createServiceRuntime({ name: 'appointments', config, inProcess: options.inProcess ?? false });
  const { logger } = runtime;
  const now = options.now ?? (() => new Date());
  const defaults = {
    holdMinutes: config.DEFAULT_HOLD_MINUTES,
    cancellationWindowMinutes: config.DEFAULT_CANCELLATION_WINDOW_MINUTES,
    noShowGraceMinutes: config.DEFAULT_NO_SHOW_GRACE_MINUTES,
    reminderOffsetsMinutes: config.DEFAULT_REMINDER_OFFSETS_MINUTES,
    mrnFormat: config.DEFAULT_MRN_FORMAT,
    phoneRegion: config.DEFAULT_PHONE_REGION,
  };
  // Refused here rather than on the first registration.
  assertValidSettings(defaults);

  const redis = createRedis(config.REDIS_URL, logger);
  runtime.addCheck(redisCheck(redis));
  runtime.manage({
    name: 'redis',
    stop: () =>
      redis.quit().then(
        () => undefined,
        () => redis.disconnect(),
      ),
  });

  // The gateways keep doctors and their slot windows; they hear of every committed change to them.
  const gateways = createGatewayCaches({ redis, logger, registry: runtime.metrics.registry });
  const invalidations = createCacheInvalidations(redis, logger);
  runtime.manage({
    name: 'cache invalidations',
    stop: async () => {
      gateways.close();
      await invalidations.close();
    },
  });
  const store = createSchedulingStore(runtime.database, { onSlotsChanged: gateways.slotsChanged });
  const reference = createReferenceData({
    store,
    redis,
    registry: runtime.metrics.registry,
    logger,
    ttl: {
      doctorsMs: config.CACHE_DOCTORS_TTL_MS,
      departmentsMs: config.CACHE_DEPARTMENTS_TTL_MS,
      settingsMs: config.CACHE_SETTINGS_TTL_MS,
    },
    defaults,
    invalidations,
    onDoctorChanged: gateways.doctorChanged,
  });
  // A gateway may have read a window from a replica whose copy of the calendar was still the old
  // one (this one, before it heard of the change): now that this replica reads the new one, it
  // tells them again.
  invalidations.listen(REFERENCE_CACHES.doctors, {
    onKey(key) {
      const [tenantId, doctorId] = splitKey(key);
      void gateways.slotsChanged(tenantId, [doctorId]);
    },
    onReset: () => undefined,
  });

  const deps: SchedulingDeps = {
    store,
    reference,
    now,
    newId,
    recentlyTaken: createRecentlyTaken({ now }),
    policy: {
      maxDaysAhead: config.BOOKING_MAX_DAYS_AHEAD,
      checkInOpensMinutesBefore: config.CHECK_IN_OPENS_MINUTES_BEFORE,
    },
  };
  const v1 = loadContracts().hms.appointments.v1;
  runtime.grpc.addService<AppointmentsServiceHandlers>(
    v1.AppointmentsService.service,
    appointmentsHandlers(deps),
    appointmentsPermissions,
  );
  runtime.grpc.addService<CalendarServiceHandlers>(
    v1.CalendarService.service,
    calendarHandlers(deps),
    calendarPermissions,
  );
  runtime.grpc.addService<DirectoryServiceHandlers>(
    v1.DirectoryService.service,
    directoryHandlers(deps),
    directoryPermissions,
  );
  runtime.grpc.addService<PatientsServiceHandlers>(
    v1.PatientsService.service,
    patientsHandlers(deps),
    patientsPermissions,
  );
  serveTenantUsage(runtime.grpc, appointmentsUsage(runtime.database, now));
  runtime.grpc.addService<ClinicalServiceHandlers>(
    v1.ClinicalService.service,
    clinicalHandlers({ store: createClinicalStore(runtime.database), now, newId }),
    clinicalPermissions,
  );

  const ownEvents = runtime.consumer(DASHBOARD_CONSUMER_GROUP);
  consumeForDashboard(runtime, ownEvents, now);
  consumeDirectoryChanges(ownEvents, reference);
  consumeQueueEvents(runtime, deps);
  const jobs = schedulingJobs(
    runtime,
    { ...deps, defaultGraceMinutes: config.DEFAULT_NO_SHOW_GRACE_MINUTES },
    { pollingIntervalSeconds: config.JOBS_POLLING_INTERVAL_SECONDS },
  );
  runtime.manage(jobs);

  const ports = await runtime.serve();
  return { runtime, jobs, reference, invalidations, redis, ...ports };
}

runMain(import.meta.url, () => startAppointments(process.env));
