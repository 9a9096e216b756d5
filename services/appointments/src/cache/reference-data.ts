/**
 * The service's reference data through the platform's read-through cache:
 * doctors with their fees and calendars (15 minutes), departments (1 hour) in
 * the process over Redis. The replica that makes a change drops it as soon as
 * it commits, in Redis and in every replica (the platform's cache invalidation
 * channel), and the service's own consumer does the same again when it reads
 * the change's doctor.updated or department.updated (should the first telling
 * have been lost). Tenants' settings in the process only, for a short while
 * (they change rarely and have no event).
 */
import {
  createReadThroughCache,
  type CacheInvalidations,
  type Logger,
  type ReadThroughCache,
  type Redis,
  type Registry,
} from '@hms/platform';
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
  /** How every replica hears of a change (and this one of theirs). */
  invalidations: CacheInvalidations | undefined;
  /** After a doctor's change committed, also: tells those who keep doctors elsewhere (the gateways). */
  onDoctorChanged?: (tenantId: string, doctorId: string, version: number | undefined) => Promise<void>;
}

export interface CachedReferenceData extends ReferenceData {
  /** Applies a doctor.updated or department.updated event (any other is ignored), as a change committed. */
  onEvent(envelope: Envelope): Promise<void>;
  readonly caches: ReadThroughCache<object>[];
}

const keyOf = (tenantId: string, id: string) => `${tenantId}:${id}`;
/** A key of the doctors' or departments' cache: its tenant and id. */
export const splitKey = (key: string) => key.split(':') as [string, string];

/** The caches' names (unique on the invalidation channel, which every service shares). */
export const REFERENCE_CACHES = { doctors: 'doctors', departments: 'departments' } as const;

export function createReferenceData(options: ReferenceDataOptions): CachedReferenceData {
  const { store, redis, registry, logger, invalidations } = options;
  const doctors = createReadThroughCache<DoctorRecord>({
    name: REFERENCE_CACHES.doctors,
    ttlMs: options.ttl.doctorsMs,
    redis,
    registry,
    logger,
    invalidations,
    versionOf: (r) => r.doctor.version,
    load: (key) => {
      const [tenantId, id] = splitKey(key);
      return store.read(tenantId, (r) => r.doctorRecord(id));
    },
  });
  const departments = createReadThroughCache<Department>({
    name: REFERENCE_CACHES.departments,
    ttlMs: options.ttl.departmentsMs,
    redis,
    registry,
    logger,
    invalidations,
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

  const changed: ReferenceData['changed'] = async (kind, tenantId, id, version) => {
    if (kind === 'doctor') {
      await doctors.invalidate(keyOf(tenantId, id), version);
      await options.onDoctorChanged?.(tenantId, id, version);
    } else if (kind === 'department') await departments.invalidate(keyOf(tenantId, id), version);
    else await settings.invalidate(tenantId);
  };

  return {
    caches: [doctors, departments, settings] as ReadThroughCache<object>[],
    doctor: (tenantId, id) => doctors.get(keyOf(tenantId, id)),
    department: (tenantId, id) => departments.get(keyOf(tenantId, id)),
    async settings(tenantId) {
      return (await settings.get(tenantId))!.settings;
    },
    changed,
    async onEvent(envelope) {
      const tenantId = envelope.tenantId.toLowerCase();
      if (envelope.type === EVENTS.doctorUpdated.type) {
        const data = decodeEventData(EVENTS.doctorUpdated, envelope);
        await changed('doctor', tenantId, data.doctorId.toLowerCase(), data.version);
      } else if (envelope.type === EVENTS.departmentUpdated.type) {
        const data = decodeEventData(EVENTS.departmentUpdated, envelope);
        await changed('department', tenantId, data.departmentId.toLowerCase(), data.version);
      }
    },
  };
}
