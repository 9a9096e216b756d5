/**
 * SchedulingStore, SweepStore and ReferenceData in memory, for the use cases'
 * unit tests. A change works on a copy of the state and replaces it only when
 * its function returns, as a transaction commits; claims on a doctor's or a
 * patient's time refuse overlaps as the database's exclusion constraints do;
 * idempotency keys keep their first results. The SQL versions are tested
 * against PostgreSQL by the service's integration tests.
 */
import { AlreadyExistsError, FailedPreconditionError, type PendingEvent } from '@hms/platform/domain';
import { normalizeName } from '../domain/patient-names.js';
import {
  PatientBusyError,
  SlotTakenError,
  type AppointmentFilter,
  type PatientMatch,
  type ReferenceData,
  type SchedulingReads,
  type SchedulingStore,
  type SchedulingTx,
  type SweepStore,
} from '../domain/scheduling-store.js';
import type {
  Appointment,
  Claim,
  DayCounts,
  Department,
  Doctor,
  DoctorRecord,
  HistoryEntry,
  Patient,
  Reminder,
  ScheduleException,
  SchedulingSettings,
  SlotHold,
  WeeklySchedule,
} from '../domain/types.js';

interface StoredClaim {
  id: string;
  tenantId: string;
  doctorId: string;
  patientId: string;
  startsAt: Date;
  endsAt: Date;
  kind: 'HOLD' | 'APPOINTMENT';
  expiresAt: Date | null;
  appointmentId: string | null;
}

interface State {
  departments: Department[];
  doctors: Doctor[];
  schedules: WeeklySchedule[];
  exceptions: ScheduleException[];
  patients: Patient[];
  counters: Map<string, number>;
  settings: Map<string, SchedulingSettings>;
  appointments: Appointment[];
  history: HistoryEntry[];
  claims: StoredClaim[];
  reminders: (Reminder & { tenantId: string; sentAt: Date | null })[];
  dayStats: Map<
    string,
    {
      tenantId: string;
      serviceDate: string;
      doctorId: string;
      departmentId: string;
      counts: DayCounts;
      updatedAt: Date;
    }
  >;
  events: PendingEvent[];
  keys: Map<string, { fingerprint: string; result: unknown }>;
}

export const DEFAULT_SETTINGS: SchedulingSettings = {
  holdMinutes: 5,
  cancellationWindowMinutes: 120,
  noShowGraceMinutes: 30,
  reminderOffsetsMinutes: [1440, 120],
  mrnFormat: 'MRN-{SEQ:6}',
  phoneRegion: 'IN',
};

const overlap = (a: { startsAt: Date; endsAt: Date }, b: { startsAt: Date; endsAt: Date }) =>
  a.startsAt.getTime() < b.endsAt.getTime() && b.startsAt.getTime() < a.endsAt.getTime();

export function fakeSchedulingStore(seed: {
  departments?: Department[];
  doctors?: Doctor[];
  schedules?: WeeklySchedule[];
  exceptions?: ScheduleException[];
  patients?: Patient[];
}) {
  // One object for the life of the fake: a commit copies the draft into it, so tests may hold on to it.
  const state: State = {
    departments: seed.departments ?? [],
    doctors: seed.doctors ?? [],
    schedules: seed.schedules ?? [],
    exceptions: seed.exceptions ?? [],
    patients: seed.patients ?? [],
    counters: new Map(),
    settings: new Map(),
    appointments: [],
    history: [],
    claims: [],
    reminders: [],
    dayStats: new Map(),
    events: [],
    keys: new Map(),
  };
  const changedCalls: { kind: string; tenantId: string; id: string; version?: number | undefined }[] = [];
  /** Doctor records the "cache" answers instead of the state (to play a cache that is behind). */
  const cacheOverrides = new Map<string, DoctorRecord>();

  function recordOf(s: State, tenantId: string, id: string): DoctorRecord | undefined {
    const doctor = s.doctors.find((d) => d.tenantId === tenantId && d.id === id);
    if (!doctor) return undefined;
    return {
      doctor: { ...doctor },
      calendar: {
        schedules: s.schedules.filter((x) => x.doctorId === id).map((x) => ({ ...x })),
        exceptions: s.exceptions.filter((x) => x.doctorId === id).map((x) => ({ ...x })),
      },
    };
  }

  function readsOf(s: State, tenantId: string): SchedulingReads {
    const mine = <T extends { tenantId: string }>(list: T[]) => list.filter((x) => x.tenantId === tenantId);
    return {
      async department(id) {
        return mine(s.departments).find((d) => d.id === id);
      },
      async departments(includeInactive, limit, afterId) {
        return mine(s.departments)
          .filter((d) => (includeInactive || d.active) && (!afterId || d.id > afterId))
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .slice(0, limit);
      },
      async doctorRecord(id) {
        return recordOf(s, tenantId, id);
      },
      async doctors(filter, limit, afterId) {
        return mine(s.doctors)
          .filter(
            (d) =>
              (!filter.departmentId || d.departmentId === filter.departmentId) &&
              (!filter.specialization || d.specialization.toLowerCase() === filter.specialization.toLowerCase()) &&
              (!filter.mode || d.consultationModes.includes(filter.mode)) &&
              (!filter.language || d.languages.includes(filter.language)) &&
              (filter.includeInactive || d.active) &&
              (!afterId || d.id > afterId),
          )
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .slice(0, limit);
      },
      async claims(doctorIds, from, to) {
        const byDoctor = new Map<string, Claim[]>();
        for (const c of mine(s.claims)) {
          if (!doctorIds.includes(c.doctorId) || !overlap(c, { startsAt: from, endsAt: to })) continue;
          byDoctor.set(c.doctorId, [
            ...(byDoctor.get(c.doctorId) ?? []),
            { startsAt: c.startsAt, endsAt: c.endsAt, kind: c.kind, expiresAt: c.expiresAt },
          ]);
        }
        return byDoctor;
      },
      async exceptions(doctorId, from, to) {
        return s.exceptions.filter((e) => e.doctorId === doctorId && e.date >= from && (to === null || e.date <= to));
      },
      async schedules(doctorId) {
        return s.schedules.filter((x) => x.doctorId === doctorId);
      },
      async patient(id) {
        return mine(s.patients).find((p) => p.id === id);
      },
      async searchPatients(search, limit, after) {
        const matches: PatientMatch[] = [];
        for (const p of mine(s.patients).filter((x) => x.active)) {
          if (p.mrn === search.mrn) matches.push({ patient: p, matchedBy: 'mrn', score: 1 });
          else if (search.phone && p.phone) {
            const hit = search.phone.e164 ? p.phone === search.phone.e164 : p.phone.endsWith(search.phone.digits);
            if (hit) matches.push({ patient: p, matchedBy: 'phone', score: search.phone.e164 ? 1 : 0.9 });
          } else if (search.name) {
            // Exact words in any order stand in for the database's trigram matching.
            const words = normalizeName(p.fullName).split(' ');
            if (search.name.words.every((w) => words.some((x) => x.startsWith(w)))) {
              matches.push({ patient: p, matchedBy: 'name', score: 0.5 });
            }
          }
        }
        return matches
          .filter((m) => !after || m.score < after.score || (m.score === after.score && m.patient.id > after.id))
          .sort((a, b) => b.score - a.score || (a.patient.id < b.patient.id ? -1 : 1))
          .slice(0, limit);
      },
      async appointment(id) {
        return mine(s.appointments).find((a) => a.id === id);
      },
      async appointments(filter: AppointmentFilter, limit, after) {
        const descending = filter.by === 'patient' && filter.timeframe === 'past';
        return mine(s.appointments)
          .filter((a) => {
            if (filter.statuses.length > 0 && !filter.statuses.includes(a.status)) return false;
            if (filter.by === 'doctor-day')
              return a.doctorId === filter.doctorId && a.serviceDate === filter.serviceDate;
            if (filter.by === 'day') {
              return (
                a.serviceDate === filter.serviceDate && (!filter.departmentId || a.departmentId === filter.departmentId)
              );
            }
            return (
              a.patientId === filter.patientId && (descending ? a.startsAt < filter.now : a.startsAt >= filter.now)
            );
          })
          .filter((a) => {
            if (!after) return true;
            const cmp =
              a.startsAt.getTime() - after.startsAt.getTime() || (a.id < after.id ? -1 : a.id > after.id ? 1 : 0);
            return descending ? cmp < 0 : cmp > 0;
          })
          .sort((a, b) => {
            const cmp = a.startsAt.getTime() - b.startsAt.getTime() || (a.id < b.id ? -1 : 1);
            return descending ? -cmp : cmp;
          })
          .slice(0, limit);
      },
      async history(appointmentId, limit, afterId) {
        return s.history
          .filter((h) => h.appointmentId === appointmentId && (!afterId || h.id > afterId))
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .slice(0, limit);
      },
      async hold(id) {
        const c = mine(s.claims).find((x) => x.id === id && x.kind === 'HOLD');
        return c ? holdOf(s, c) : undefined;
      },
      async dayStats(serviceDate, departmentId) {
        return [...s.dayStats.values()]
          .filter(
            (r) =>
              r.tenantId === tenantId &&
              r.serviceDate === serviceDate &&
              (!departmentId || r.departmentId === departmentId),
          )
          .map(({ tenantId: _t, ...r }) => ({ ...r, counts: { ...r.counts } }));
      },
      async settings() {
        return s.settings.get(tenantId);
      },
    };
  }

  function holdOf(s: State, c: StoredClaim): SlotHold {
    const doctor = s.doctors.find((d) => d.id === c.doctorId)!;
    const serviceDate = new Intl.DateTimeFormat('en-CA', { timeZone: doctor.timeZone }).format(c.startsAt);
    return {
      id: c.id,
      tenantId: c.tenantId,
      doctorId: c.doctorId,
      patientId: c.patientId,
      startsAt: c.startsAt,
      endsAt: c.endsAt,
      serviceDate,
      expiresAt: c.expiresAt!,
    };
  }

  /** The exclusion constraints: no overlap on a doctor's or a patient's time. */
  function addClaim(s: State, claim: StoredClaim, except?: string) {
    const others = s.claims.filter((c) => c.tenantId === claim.tenantId && c.id !== claim.id && c.id !== except);
    if (others.some((c) => c.doctorId === claim.doctorId && overlap(c, claim))) throw new SlotTakenError();
    if (others.some((c) => c.patientId === claim.patientId && overlap(c, claim))) throw new PatientBusyError();
    s.claims = [...s.claims.filter((c) => c.id !== claim.id), claim];
  }

  function txOf(s: State, tenantId: string): SchedulingTx {
    const reads = readsOf(s, tenantId);
    const replace = <T extends { id: string }>(list: T[], item: T) => list.map((x) => (x.id === item.id ? item : x));
    return {
      ...reads,
      async replayOf(claim) {
        const key = `${tenantId}|${claim.operation}|${claim.key}`;
        const earlier = s.keys.get(key);
        if (!earlier) {
          s.keys.set(key, { fingerprint: claim.fingerprint, result: undefined });
          return undefined;
        }
        if (earlier.fingerprint !== claim.fingerprint) {
          throw new FailedPreconditionError('this idempotency key was already used for a different request');
        }
        return JSON.parse(JSON.stringify(earlier.result));
      },
      async remember(claim, result) {
        s.keys.set(`${tenantId}|${claim.operation}|${claim.key}`, { fingerprint: claim.fingerprint, result });
      },
      async countForQuota(what, since) {
        const rows = what === 'doctors' ? s.doctors : what === 'patients' ? s.patients : s.appointments;
        return rows.filter(
          (r) => r.tenantId === tenantId && (!since || new Date(r.createdAt).getTime() >= since.getTime()),
        ).length;
      },
      emit(events) {
        s.events.push(...events);
      },
      async lockDepartment(id) {
        return reads.department(id);
      },
      async insertDepartment(d, events) {
        if (s.departments.some((x) => x.tenantId === tenantId && x.name === d.name)) {
          throw new AlreadyExistsError('a department of that name exists', [{ field: 'name', message: 'is taken' }]);
        }
        s.departments.push(d);
        s.events.push(...events);
      },
      async saveDepartment(d, events) {
        s.departments = replace(s.departments, d);
        s.events.push(...events);
      },
      async activeDoctorsIn(departmentId) {
        return s.doctors.filter((d) => d.tenantId === tenantId && d.departmentId === departmentId && d.active).length;
      },
      async lockDoctor(id) {
        return recordOf(s, tenantId, id);
      },
      async doctorVersion(id) {
        return s.doctors.find((d) => d.tenantId === tenantId && d.id === id)?.version;
      },
      async insertDoctor(d, schedules, events) {
        s.doctors.push(d);
        s.schedules.push(...schedules);
        s.events.push(...events);
      },
      async saveDoctor(d, events) {
        s.doctors = replace(s.doctors, d);
        s.events.push(...events);
      },
      async insertSchedule(_doctorId, schedule) {
        s.schedules.push(schedule);
      },
      async saveSchedule(_doctorId, schedule) {
        s.schedules = replace(s.schedules, schedule);
      },
      async deleteSchedule(_doctorId, id) {
        s.schedules = s.schedules.filter((x) => x.id !== id);
      },
      async insertException(_doctorId, e) {
        s.exceptions.push(e);
      },
      async deleteException(_doctorId, id) {
        s.exceptions = s.exceptions.filter((x) => x.id !== id);
      },
      async lockPatient(id) {
        return reads.patient(id);
      },
      async patientForBooking(id) {
        return reads.patient(id);
      },
      async nextMrnSequence() {
        const next = (s.counters.get(tenantId) ?? 0) + 1;
        s.counters.set(tenantId, next);
        return next;
      },
      async likelyDuplicates(phone, nameText) {
        const words = new Set(nameText.split(' '));
        return s.patients.filter(
          (p) =>
            p.tenantId === tenantId &&
            p.active &&
            p.phone === phone &&
            normalizeName(p.fullName)
              .split(' ')
              .some((w) => words.has(w)),
        );
      },
      async insertPatient(p, _words, events) {
        if (s.patients.some((x) => x.tenantId === tenantId && x.mrn === p.mrn)) return false;
        s.patients.push(p);
        s.events.push(...events);
        return true;
      },
      async savePatient(p, _words, events) {
        s.patients = replace(s.patients, p);
        s.events.push(...events);
      },
      async clearExpiredHolds(c) {
        s.claims = s.claims.filter(
          (x) =>
            !(
              x.tenantId === tenantId &&
              x.kind === 'HOLD' &&
              x.id !== c.except &&
              x.expiresAt!.getTime() <= c.now.getTime() &&
              overlap(x, c) &&
              (x.doctorId === c.doctorId || x.patientId === c.patientId)
            ),
        );
      },
      async insertHold(h) {
        addClaim(s, { ...h, kind: 'HOLD', appointmentId: null });
      },
      async lockHold(id) {
        return reads.hold(id);
      },
      async deleteHold(id) {
        s.claims = s.claims.filter((c) => !(c.tenantId === tenantId && c.id === id && c.kind === 'HOLD'));
      },
      async insertBooking(b) {
        const a = b.appointment;
        const doctor = s.doctors.find((d) => d.tenantId === tenantId && d.id === a.doctorId);
        if (!doctor || doctor.version !== b.doctorVersion) return { inserted: false, reason: 'doctor-changed' };
        const patient = s.patients.find((p) => p.tenantId === tenantId && p.id === a.patientId);
        if (!patient) return { inserted: false, reason: 'unknown-patient' };
        if (!patient.active) return { inserted: false, reason: 'inactive-patient' };
        const hold = b.holdId ? s.claims.find((c) => c.tenantId === tenantId && c.id === b.holdId) : undefined;
        if (
          b.holdId &&
          (!hold ||
            hold.kind !== 'HOLD' ||
            hold.expiresAt!.getTime() <= b.now.getTime() ||
            hold.patientId !== a.patientId ||
            hold.doctorId !== a.doctorId ||
            hold.startsAt.getTime() !== a.startsAt.getTime())
        ) {
          return { inserted: false, reason: 'hold-not-usable' };
        }
        await this.clearExpiredHolds({ ...a, now: b.now, except: b.holdId });
        addClaim(s, {
          id: b.holdId ?? `claim-${a.id}`,
          tenantId,
          doctorId: a.doctorId,
          patientId: a.patientId,
          startsAt: a.startsAt,
          endsAt: a.endsAt,
          kind: 'APPOINTMENT',
          expiresAt: null,
          appointmentId: a.id,
        });
        s.appointments.push(a);
        s.history.push(b.history);
        s.reminders.push(...b.reminders.map((r) => ({ ...r, tenantId, sentAt: null })));
        s.events.push(...b.events);
        if (b.idempotency) await this.remember(b.idempotency, a);
        return { inserted: true };
      },
      async lockAppointment(id) {
        return reads.appointment(id);
      },
      async saveTransition(a, h, events, effects = {}) {
        s.appointments = replace(s.appointments, a);
        s.history.push(h);
        if (effects.claim === 'release') s.claims = s.claims.filter((c) => c.appointmentId !== a.id);
        else if (effects.claim) {
          const range = effects.claim;
          if (range.holdId) s.claims = s.claims.filter((c) => c.id !== range.holdId);
          const claim = s.claims.find((c) => c.appointmentId === a.id)!;
          addClaim(s, { ...claim, startsAt: range.startsAt, endsAt: range.endsAt });
        }
        const reminders = effects.reminders;
        if (reminders) {
          // Unsent ones go; new ones replace any of the same offset (sent or not).
          s.reminders = s.reminders.filter((r) => r.appointmentId !== a.id || r.sentAt !== null);
          if (Array.isArray(reminders)) {
            s.reminders = s.reminders.filter(
              (r) => !(r.appointmentId === a.id && reminders.some((n) => n.offsetMinutes === r.offsetMinutes)),
            );
            s.reminders.push(...reminders.map((r) => ({ ...r, tenantId, sentAt: null })));
          }
        }
        s.events.push(...events);
      },
      async openAppointments(doctorId, from) {
        return s.appointments
          .filter(
            (a) =>
              a.tenantId === tenantId &&
              a.doctorId === doctorId &&
              (a.status === 'BOOKED' || a.status === 'CHECKED_IN') &&
              a.endsAt.getTime() > from.getTime(),
          )
          .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
      },
      async takeDueReminders(now, limit) {
        const due = s.reminders
          .filter((r) => r.tenantId === tenantId && r.sentAt === null && r.dueAt.getTime() <= now.getTime())
          .slice(0, limit);
        const out = [];
        for (const r of due) {
          r.sentAt = now;
          const a = s.appointments.find((x) => x.id === r.appointmentId)!;
          if (a.status !== 'BOOKED' || a.startsAt.getTime() <= now.getTime()) continue;
          const doctor = s.doctors.find((d) => d.id === a.doctorId)!;
          out.push({
            reminder: { appointmentId: r.appointmentId, offsetMinutes: r.offsetMinutes, dueAt: r.dueAt },
            appointment: a,
            timeZone: doctor.timeZone,
          });
        }
        return out;
      },
      async saveSettings(settings) {
        s.settings.set(tenantId, settings);
      },
      async addDayCounts(deltas, at) {
        for (const d of deltas) {
          const key = `${tenantId}|${d.serviceDate}|${d.doctorId}`;
          const row = s.dayStats.get(key) ?? {
            tenantId,
            serviceDate: d.serviceDate,
            doctorId: d.doctorId,
            departmentId: d.departmentId,
            counts: {
              booked: 0,
              checkedIn: 0,
              inConsultation: 0,
              seen: 0,
              noShow: 0,
              cancelled: 0,
              waitSecondsTotal: 0,
              waits: 0,
            },
            updatedAt: at,
          };
          for (const k of Object.keys(row.counts) as (keyof DayCounts)[]) row.counts[k] += d.counts[k];
          s.dayStats.set(key, { ...row, departmentId: d.departmentId, updatedAt: at });
        }
      },
    };
  }

  const store: SchedulingStore = {
    async change(tenantId, fn) {
      const draft = structuredClone(state);
      const result = await fn(txOf(draft, tenantId));
      Object.assign(state, draft);
      return result;
    },
    async read(tenantId, fn) {
      return fn(readsOf(structuredClone(state), tenantId));
    },
  };

  const sweeps: SweepStore = {
    async overdueAppointments(now, defaultGraceMinutes, limit) {
      return state.appointments
        .filter((a) => {
          const grace = state.settings.get(a.tenantId)?.noShowGraceMinutes ?? defaultGraceMinutes;
          return (
            (a.status === 'BOOKED' || a.status === 'CHECKED_IN') && a.endsAt.getTime() + grace * 60_000 <= now.getTime()
          );
        })
        .slice(0, limit)
        .map((a) => ({ tenantId: a.tenantId, appointmentId: a.id }));
    },
    async tenantsWithDueReminders(now) {
      return [
        ...new Set(
          state.reminders.filter((r) => r.sentAt === null && r.dueAt.getTime() <= now.getTime()).map((r) => r.tenantId),
        ),
      ];
    },
    async deleteExpiredHolds(before) {
      const n = state.claims.length;
      state.claims = state.claims.filter((c) => !(c.kind === 'HOLD' && c.expiresAt!.getTime() < before.getTime()));
      return n - state.claims.length;
    },
  };

  const reference: ReferenceData = {
    async doctor(tenantId, id) {
      return cacheOverrides.get(id) ?? recordOf(state, tenantId, id);
    },
    async department(tenantId, id) {
      return state.departments.find((d) => d.tenantId === tenantId && d.id === id);
    },
    async settings(tenantId) {
      return state.settings.get(tenantId) ?? DEFAULT_SETTINGS;
    },
    async changed(kind, tenantId, id, version) {
      if (kind === 'doctor') cacheOverrides.delete(id);
      changedCalls.push({ kind, tenantId, id, version });
    },
  };

  return {
    store,
    sweeps,
    reference,
    changedCalls,
    cacheOverrides,
    /** The committed state (one object throughout; a commit copies into it). */
    state,
  };
}
