/**
 * The service's reference data through the platform's read-through cache:
 * doctors with their fees and calendars (15 minutes), departments (1 hour) in
 * the process over Redis, invalidated by doctor.updated and department.updated
 * on every replica (the broadcast listener) and by the replica that made the
 * change as soon as it commits; tenants' settings in the process only, for a
 * short while (they change rarely and have no event).
 */
import { createReadThroughCache, type Logger, type ReadThroughCache, type Redis, type Registry } from '@hms/platform';
import { decodeEventData, EVENTS, type Envelope } from '@hms/proto';
import type { ReferenceData, SchedulingStore } from '../domain/scheduling-store.js';
import type { Department, DoctorRecord, SchedulingSettings } from '../domain/types.js';

export interface ReferenceDataOptions {
  store: SchedulingStore;
  redis: Redis | undefined;
  registry: Registry;
  logger: Logger;
  ttl: { doctorsMs: number; departmentsMs: number; settingsMs: number };
  /** A tenant's settings until it saves its own. */
  defaults: SchedulingSettings;
  /** Whether invalidations reach this process now (the broadcast listener is fetching). */
  trustLocal: () => boolean;
}

export interface CachedReferenceData extends ReferenceData {
  /** Applies a doctor.updated or department.updated event (any other is ignored). */
  onEvent(envelope: Envelope): Promise<void>;
  readonly caches: ReadThroughCache<object>[];
}

/** The event types that invalidate reference data. */
export const INVALIDATING_EVENTS = [EVENTS.doctorUpdated.type, EVENTS.departmentUpdated.type];

const keyOf = (tenantId: string, id: string) => `${tenantId}:${id}`;
const splitKey = (key: string) => key.split(':') as [string, string];

export function createReferenceData(options: ReferenceDataOptions): CachedReferenceData {
  const { store, redis, registry, logger, trustLocal } = options;
  const doctors = createReadThroughCache<DoctorRecord>({
    name: 'doctors',
    ttlMs: options.ttl.doctorsMs,
    redis,
    registry,
    logger,
    trustLocal,
    versionOf: (r) => r.doctor.version,
    load: (key) => {
      const [tenantId, id] = splitKey(key);
      return store.read(tenantId, (r) => r.doctorRecord(id));
    },
  });
  const departments = createReadThroughCache<Department>({
    name: 'departments',
    ttlMs: options.ttl.departmentsMs,
    redis,
    registry,
    logger,
    trustLocal,
    versionOf: (d) => d.version,
    load: (key) => {
      const [tenantId, id] = splitKey(key);
      return store.read(tenantId, (r) => r.department(id));
    },
  });
  const settings = createReadThroughCache<{ settings: SchedulingSettings }>({
    name: 'scheduling-settings',
    ttlMs: options.ttl.settingsMs,
    redis: undefined,
    registry,
    logger,
    versionOf: () => 0,
    load: async (tenantId) => ({ settings: (await store.read(tenantId, (r) => r.settings())) ?? options.defaults }),
  });

  return {
    caches: [doctors, departments, settings] as ReadThroughCache<object>[],
    doctor: (tenantId, id) => doctors.get(keyOf(tenantId, id)),
    department: (tenantId, id) => departments.get(keyOf(tenantId, id)),
    async settings(tenantId) {
      return (await settings.get(tenantId))!.settings;
    },
    async changed(kind, tenantId, id, version) {
      if (kind === 'doctor') await doctors.invalidate(keyOf(tenantId, id), version);
      else if (kind === 'department') await departments.invalidate(keyOf(tenantId, id), version);
      else await settings.invalidate(tenantId);
    },
    async onEvent(envelope) {
      if (envelope.type === EVENTS.doctorUpdated.type) {
        const data = decodeEventData(EVENTS.doctorUpdated, envelope);
        await doctors.invalidate(keyOf(envelope.tenantId.toLowerCase(), data.doctorId.toLowerCase()), data.version);
      } else if (envelope.type === EVENTS.departmentUpdated.type) {
        const data = decodeEventData(EVENTS.departmentUpdated, envelope);
        await departments.invalidate(
          keyOf(envelope.tenantId.toLowerCase(), data.departmentId.toLowerCase()),
          data.version,
        );
      }
    },
  };
}
