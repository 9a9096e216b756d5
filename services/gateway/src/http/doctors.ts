/**
 * Doctors as the appointments service knows them, for the queue desk's routes
 * (a doctor's clinic time zone decides "today"; whether they practise decides
 * a transfer) and every stream connect, which would otherwise ask again.
 *
 * Kept in the platform's read-through cache (the process over Redis, shared by
 * the replicas), keyed by tenant and doctor. Every replica hears doctor.updated
 * (a broadcast listener, see main.ts) and drops its copy and Redis's, with the
 * event's version, so an older copy is never served again; while the listener
 * is not fetching, process copies are not trusted past a second.
 */
import {
  createReadThroughCache,
  currentTenantId,
  type CacheInvalidations,
  type Logger,
  type Redis,
  type Registry,
} from '@hms/platform';
import { decodeEventData, EVENTS, type Envelope } from '@hms/proto';
import type { Doctor__Output as Doctor } from '@hms/proto';
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
  /** Applies a doctor.updated event (any other is ignored): the doctor is read anew from then on. */
  onEvent(envelope: Envelope): Promise<void>;
}

/** The event types the directory listens for. */
export const DOCTOR_DIRECTORY_EVENTS = [EVENTS.doctorUpdated.type];

export interface DoctorDirectoryOptions {
  backends: Pick<Backends, 'directory'>;
  /** The shared tier; without it each process keeps its own copies. */
  redis?: Redis | undefined;
  invalidations?: CacheInvalidations | undefined;
  registry: Registry;
  logger: Logger;
  ttlMs: number;
  /** Whether doctor.updated reaches this process now (the broadcast listener is fetching). */
  trustLocal?: () => boolean;
}

const keyOf = (tenantId: string, doctorId: string) => `${tenantId}:${doctorId.toLowerCase()}`;

export function createDoctorDirectory(options: DoctorDirectoryOptions): DoctorDirectory {
  const cache = createReadThroughCache<Doctor>({
    name: 'gateway-doctors',
    ttlMs: options.ttlMs,
    maxEntries: 20_000,
    redis: options.redis,
    invalidations: options.invalidations,
    registry: options.registry,
    logger: options.logger,
    ...(options.trustLocal ? { trustLocal: options.trustLocal } : {}),
    degradedTtlMs: 1_000,
    versionOf: (doctor) => doctor.version,
    // Called in the asking request's context: the key's tenant is the caller's, so the backend answers for it.
    load: async (key) => {
      const doctorId = key.slice(key.indexOf(':') + 1);
      return (await options.backends.directory.call.getDoctor({ id: doctorId })).doctor ?? undefined;
    },
  });
  /** The cache key of a doctor of the asking request's tenant. */
  const keyInRequest = (doctorId: string) => keyOf(currentTenantId('the doctor directory'), doctorId);
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
    async onEvent(envelope) {
      if (envelope.type !== EVENTS.doctorUpdated.type) return;
      const data = decodeEventData(EVENTS.doctorUpdated, envelope);
      await cache.invalidate(keyOf(envelope.tenantId.toLowerCase(), data.doctorId), data.version);
    },
  };
}
