/**
 * QueueStore in memory, for the use cases' unit tests: a change is staged and
 * applied only when its function returns, as a transaction would be; the
 * events it saved are kept in commit order.
 */
import type { PendingEvent } from '@hms/platform/domain';
import type { QueueStore } from '../domain/queue-store.js';
import type { QueueEntry } from '../domain/types.js';

export function fakeQueueStore() {
  const entries: QueueEntry[] = [];
  const lastTokens = new Map<string, number>();
  const zones = new Map<string, string>();
  const events: PendingEvent[] = [];
  const dayKey = (tenantId: string, doctorId: string, serviceDate: string) => `${tenantId}|${doctorId}|${serviceDate}`;

  const store: QueueStore = {
    async change(tenantId, fn) {
      const staged = { entries: [] as QueueEntry[], tokens: new Map<string, number>(), events: [] as PendingEvent[] };
      const all = () => [...entries, ...staged.entries];
      const result = await fn({
        async lockDay(day) {
          const key = dayKey(tenantId, day.doctorId, day.serviceDate);
          zones.set(`${tenantId}|${day.doctorId}`, day.timeZone);
          return { lastToken: staged.tokens.get(key) ?? lastTokens.get(key) ?? 0 };
        },
        async entryOfAppointment(appointmentId) {
          return all().find((e) => e.tenantId === tenantId && e.appointmentId === appointmentId);
        },
        async waiting(doctorId, serviceDate) {
          return all().filter(
            (e) =>
              e.tenantId === tenantId &&
              e.doctorId === doctorId &&
              e.serviceDate === serviceDate &&
              e.status === 'WAITING',
          );
        },
        async addEntry(entry, saved) {
          const taken = all().some(
            (e) =>
              e.tenantId === entry.tenantId &&
              e.doctorId === entry.doctorId &&
              e.serviceDate === entry.serviceDate &&
              e.tokenNumber === entry.tokenNumber,
          );
          if (taken) throw new Error(`token ${entry.tokenNumber} is taken`);
          staged.entries.push(entry);
          staged.tokens.set(dayKey(entry.tenantId, entry.doctorId, entry.serviceDate), entry.tokenNumber);
          staged.events.push(...saved);
        },
      });
      entries.push(...staged.entries);
      for (const [key, token] of staged.tokens) lastTokens.set(key, token);
      events.push(...staged.events);
      return result;
    },
    async latestTimeZone(tenantId, doctorId) {
      return zones.get(`${tenantId}|${doctorId}`);
    },
    async listEntries(tenantId, doctorId, serviceDate) {
      return entries.filter((e) => e.tenantId === tenantId && e.doctorId === doctorId && e.serviceDate === serviceDate);
    },
  };
  return { store, entries, events };
}
