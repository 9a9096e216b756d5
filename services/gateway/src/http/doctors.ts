/**
 * Doctors as the appointments service knows them, for the queue desk's routes
 * (a doctor's clinic time zone decides "today"; whether they practise decides
 * a transfer) and every stream connect, which would otherwise ask again.
 *
 * Kept in the platform's read-through cache (the process over Redis, shared by
 * the replicas), keyed by tenant and doctor (`GATEWAY_DOCTORS_CACHE`). The
 * appointments service drops a doctor from it, in Redis and in every replica
 * through the cache invalidation channel, with the doctor's new version, once
 * a change commits and again when its own consumer reads the doctor.updated;
 * the gateways read no topic for it. While this process's subscription to the
 * channel is down, its copies are not trusted past a second.
 */
import {
  createReadThroughCache,
  currentTenantId,
  type CacheInvalidations,
  type Logger,
  type Redis,
  type Registry,
} from '@hms/platform';
import { GATEWAY_DOCTORS_CACHE, type Doctor__Output as Doctor } from '@hms/proto';
import type { Backends } from './backends.js';
import { HttpProblem } from './problem.js';

export interface DoctorDirectory {
  /** The doctor of the current tenant; a 404 problem (from the backend) when there is none. */
  find(doctorId: string): Promise<Doctor>;
  /** The same, and a 422 problem naming `field` when the doctor does not practise. */
  active(doctorId: string, field: string): Promise<Doctor>;
  /**
   * This process changed the doctor (the backend answered `doctor`): its copies, here and in
   * Redis, are dropped at once, so the caller reads its own change before doctor.updated arrives.
   */
  changed(doctor: Doctor): Promise<void>;
}

export interface DoctorDirectoryOptions {
  backends: Pick<Backends, 'directory'>;
  /** The shared tier; without it each process keeps its own copies. */
  redis?: Redis | undefined;
  /** How appointments' invalidations reach this process; without them copies live their TTL. */
  invalidations?: CacheInvalidations | undefined;
  registry: Registry;
  logger: Logger;
  ttlMs: number;
}

export function createDoctorDirectory(options: DoctorDirectoryOptions): DoctorDirectory {
  const cache = createReadThroughCache<Doctor>({
    name: GATEWAY_DOCTORS_CACHE.name,
    ttlMs: options.ttlMs,
    maxEntries: 20_000,
    redis: options.redis,
    invalidations: options.invalidations,
    registry: options.registry,
    logger: options.logger,
    degradedTtlMs: 1_000,
    versionOf: (doctor) => doctor.version,
    // Called in the asking request's context: the key's tenant is the caller's, so the backend answers for it.
    load: async (key) => {
      const doctorId = key.slice(key.indexOf(':') + 1);
      return (await options.backends.directory.call.getDoctor({ id: doctorId })).doctor ?? undefined;
    },
  });
  /** The cache key of a doctor of the asking request's tenant. */
  const keyInRequest = (doctorId: string) =>
    GATEWAY_DOCTORS_CACHE.key(currentTenantId('the doctor directory'), doctorId);
  const find = async (doctorId: string) => {
    const doctor = await cache.get(keyInRequest(doctorId));
    if (!doctor) throw new HttpProblem(404, 'not-found', `doctor ${doctorId} not found`);
    return doctor;
  };
  return {
    find,
    async active(doctorId, field) {
      const doctor = await find(doctorId);
      if (!doctor.active) {
        throw new HttpProblem(422, 'doctor-inactive', 'that doctor is not practising', [
          { field, message: 'is a doctor who is not practising' },
        ]);
      }
      return doctor;
    },
    async changed(doctor) {
      await cache.invalidate(keyInRequest(doctor.id), doctor.version);
    },
  };
}
