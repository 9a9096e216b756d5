/**
 * AppointmentStore in memory, for the use cases' unit tests: a change is
 * staged and applied only when its function returns, as a transaction would
 * be; it refuses a second booking of a doctor's slot as the database's unique
 * index does, and keeps idempotency keys with their first results.
 */
import { FailedPreconditionError, type PendingEvent } from '@hms/platform/domain';
import { SlotTakenError, type AppointmentStore, type Transition } from '../domain/appointment-store.js';
import type { Appointment, Doctor, Patient } from '../domain/types.js';

export function fakeAppointmentStore(seed: { doctors: Doctor[]; patients: Patient[] }) {
  const appointments: Appointment[] = [];
  const history: (Transition & { appointmentId: string })[] = [];
  const events: PendingEvent[] = [];
  const keys = new Map<string, { fingerprint: string; result: Appointment | undefined }>();

  const store: AppointmentStore = {
    async change(tenantId, fn) {
      const staged = {
        saved: new Map<string, Appointment>(),
        history: [] as (Transition & { appointmentId: string })[],
        events: [] as PendingEvent[],
        keys: new Map<string, { fingerprint: string; result: Appointment | undefined }>(),
      };
      const current = (id: string) =>
        staged.saved.get(id) ?? appointments.find((a) => a.tenantId === tenantId && a.id === id);
      const result = await fn({
        async replayOf(claim) {
          const id = `${tenantId}|${claim.operation}|${claim.key}`;
          const earlier = keys.get(id) ?? staged.keys.get(id);
          if (!earlier) {
            staged.keys.set(id, { fingerprint: claim.fingerprint, result: undefined });
            return undefined;
          }
          if (earlier.fingerprint !== claim.fingerprint) {
            throw new FailedPreconditionError('this idempotency key was already used for a different request');
          }
          return earlier.result;
        },
        async findDoctor(id) {
          return seed.doctors.find((d) => d.tenantId === tenantId && d.id === id);
        },
        async findDoctorAndPatient(doctorId, patientId) {
          const doctor = seed.doctors.find((d) => d.tenantId === tenantId && d.id === doctorId);
          const patient = seed.patients.find((p) => p.tenantId === tenantId && p.id === patientId);
          return { ...(doctor ? { doctor } : {}), ...(patient ? { patient } : {}) };
        },
        async countBookedSince(since) {
          return [...appointments, ...staged.saved.values()].filter(
            (a) => a.tenantId === tenantId && a.createdAt.getTime() >= since.getTime(),
          ).length;
        },
        async lockAppointment(id) {
          return current(id);
        },
        async insertBooking(appointment, transition, saved, claim) {
          const all = [...appointments, ...staged.saved.values()];
          const taken = all.some(
            (a) =>
              a.tenantId === appointment.tenantId &&
              a.doctorId === appointment.doctorId &&
              a.startsAt.getTime() === appointment.startsAt.getTime() &&
              a.status !== 'CANCELLED',
          );
          if (taken) throw new SlotTakenError();
          staged.saved.set(appointment.id, appointment);
          staged.history.push({ ...transition, appointmentId: appointment.id });
          staged.events.push(...saved);
          if (claim) staged.keys.set(`${tenantId}|${claim.operation}|${claim.key}`, { ...claim, result: appointment });
        },
        async saveTransition(appointment, transition, saved) {
          staged.saved.set(appointment.id, appointment);
          staged.history.push({ ...transition, appointmentId: appointment.id });
          staged.events.push(...saved);
        },
      });
      for (const a of staged.saved.values()) {
        const i = appointments.findIndex((x) => x.id === a.id);
        if (i >= 0) appointments[i] = a;
        else appointments.push(a);
      }
      history.push(...staged.history);
      events.push(...staged.events);
      for (const [k, v] of staged.keys) keys.set(k, v);
      return result;
    },
    async findAppointment(tenantId, id) {
      return appointments.find((a) => a.tenantId === tenantId && a.id === id);
    },
  };
  return { store, appointments, history, events };
}
