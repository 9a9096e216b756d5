/**
 * QueueStore in memory, for the use cases' unit tests: a change is staged and
 * applied only when its function returns, as a transaction would be; the
 * events it saved and the changes it logged are kept in commit order.
 */
import type { PendingEvent } from '@hms/platform/domain';
import type { QueueChanges, QueueStore } from '../domain/queue-store.js';
import {
  DEFAULT_RULES,
  type DoctorStats,
  type QueueChange,
  type QueueDay,
  type QueueEntry,
  type QueueRules,
} from '../domain/types.js';

export function fakeQueueStore(rules: QueueRules = DEFAULT_RULES) {
  const entries = new Map<string, QueueEntry>();
  const days = new Map<string, QueueDay>();
  const stats = new Map<string, DoctorStats>();
  const tenantRules = new Map<string, QueueRules>();
  const claims = new Map<string, unknown>();
  const events: PendingEvent[] = [];
  const changes: (QueueChange & { key: string })[] = [];
  const dayKey = (tenantId: string, doctorId: string, serviceDate: string) => `${tenantId}:${doctorId}:${serviceDate}`;
  const ofDay = (all: Iterable<QueueEntry>, tenantId: string, doctorId: string, serviceDate: string) =>
    [...all].filter((e) => e.tenantId === tenantId && e.doctorId === doctorId && e.serviceDate === serviceDate);

  const store: QueueStore = {
    async change(tenantId, fn) {
      const staged = {
        entries: new Map<string, QueueEntry>(),
        days: new Map<string, QueueDay>(),
        stats: new Map<string, DoctorStats>(),
        rules: undefined as QueueRules | undefined,
        claims: new Map<string, unknown>(),
        events: [] as PendingEvent[],
        changes: [] as (QueueChange & { key: string })[],
      };
      const allEntries = () => new Map([...entries, ...staged.entries]).values();
      const dayOf = (key: string) => staged.days.get(key) ?? days.get(key);
      const tx: QueueChanges = {
        async lockDay(ref) {
          const key = dayKey(tenantId, ref.doctorId, ref.serviceDate);
          const day: QueueDay = {
            tenantId,
            doctorId: ref.doctorId,
            serviceDate: ref.serviceDate,
            lastToken: 0,
            seq: 0,
            calls: 0,
            pausedAt: undefined,
            resumeExpectedAt: undefined,
            pauseReason: '',
            ...dayOf(key),
            timeZone: ref.timeZone,
          };
          staged.days.set(key, day);
          return day;
        },
        async lockExistingDay(doctorId, serviceDate) {
          return dayOf(dayKey(tenantId, doctorId, serviceDate));
        },
        async entry(id) {
          const e = staged.entries.get(id) ?? entries.get(id);
          return e?.tenantId === tenantId ? e : undefined;
        },
        async entryOfAppointment(appointmentId) {
          return [...allEntries()].find(
            (e) => e.tenantId === tenantId && e.appointmentId === appointmentId && e.status !== 'TRANSFERRED',
          );
        },
        async entriesOfDay(doctorId, serviceDate) {
          return ofDay(allEntries(), tenantId, doctorId, serviceDate);
        },
        async rules() {
          return staged.rules ?? tenantRules.get(tenantId) ?? rules;
        },
        async setRules(r) {
          staged.rules = r;
        },
        async stats(doctorId) {
          return staged.stats.get(`${tenantId}:${doctorId}`) ?? stats.get(`${tenantId}:${doctorId}`);
        },
        async saveStats(doctorId, s) {
          staged.stats.set(`${tenantId}:${doctorId}`, s);
        },
        async claim(claim) {
          return claims.get(`${tenantId}:${claim.operation}:${claim.key}`);
        },
        async rememberResult(claim, result) {
          staged.claims.set(`${tenantId}:${claim.operation}:${claim.key}`, JSON.parse(JSON.stringify(result)));
        },
        async commit(day, touched, change, saved) {
          const key = dayKey(tenantId, day.doctorId, day.serviceDate);
          const taken = ofDay(allEntries(), tenantId, day.doctorId, day.serviceDate);
          for (const e of touched) {
            if (taken.some((t) => t.id !== e.id && t.tokenNumber === e.tokenNumber)) {
              throw new Error(`token ${e.tokenNumber} is taken`);
            }
            staged.entries.set(e.id, e);
          }
          staged.days.set(key, day);
          staged.changes.push({ ...change, key });
          staged.events.push(...saved);
        },
      };
      const result = await fn(tx);
      for (const [k, v] of staged.entries) entries.set(k, v);
      for (const [k, v] of staged.days) days.set(k, v);
      for (const [k, v] of staged.stats) stats.set(k, v);
      for (const [k, v] of staged.claims) claims.set(k, v);
      if (staged.rules) tenantRules.set(tenantId, staged.rules);
      events.push(...staged.events);
      changes.push(...staged.changes);
      return result;
    },
    async latestTimeZone(tenantId, doctorId) {
      return [...days.values()].reverse().find((d) => d.tenantId === tenantId && d.doctorId === doctorId)?.timeZone;
    },
    async readDay(tenantId, doctorId, serviceDate) {
      return {
        day: days.get(dayKey(tenantId, doctorId, serviceDate)),
        entries: ofDay(entries.values(), tenantId, doctorId, serviceDate),
        rules: tenantRules.get(tenantId) ?? rules,
        stats: stats.get(`${tenantId}:${doctorId}`),
      };
    },
    async daySeq(tenantId, doctorId, serviceDate) {
      return days.get(dayKey(tenantId, doctorId, serviceDate))?.seq ?? 0;
    },
    async listChanges(tenantId, doctorId, serviceDate, afterSeq) {
      const key = dayKey(tenantId, doctorId, serviceDate);
      return {
        changes: changes.filter((c) => c.key === key && c.seq > afterSeq),
        lastSeq: days.get(key)?.seq ?? 0,
      };
    },
    async rules(tenantId) {
      return tenantRules.get(tenantId) ?? rules;
    },
  };
  return { store, entries, events, changes, days, stats };
}
