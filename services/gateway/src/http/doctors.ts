/**
 * Doctors as the appointments service knows them, cached briefly per tenant:
 * the queue desk's routes need a doctor's clinic time zone (which decides
 * "today") and whether they practise, and every stream connect would
 * otherwise ask again.
 */
import { currentContext } from '@hms/platform';
import type { Doctor__Output as Doctor } from '@hms/proto';
import { LRUCache } from 'lru-cache';
import type { Backends } from './backends.js';
import { HttpProblem } from './problem.js';

export interface DoctorDirectory {
  /** The doctor of the current tenant; a 404 problem (from the backend) when there is none. */
  find(doctorId: string): Promise<Doctor>;
  /** The same, and a 422 problem naming `field` when the doctor does not practise. */
  active(doctorId: string, field: string): Promise<Doctor>;
}

export function createDoctorDirectory(backends: Pick<Backends, 'directory'>, ttlMs = 30_000): DoctorDirectory {
  const cache = new LRUCache<string, Doctor>({ max: 20_000, ttl: ttlMs });
  const find = async (doctorId: string) => {
    const key = `${currentContext()?.tenantId}:${doctorId}`;
    let doctor = cache.get(key);
    if (!doctor) {
      doctor = (await backends.directory.call.getDoctor({ id: doctorId })).doctor as Doctor;
      cache.set(key, doctor);
    }
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
  };
}
