/**
 * ClinicalStore in memory, for the clinical use cases' unit tests: a change
 * is staged and applied only when its function returns, as a transaction
 * would be (a change that throws leaves nothing behind), and the events it
 * emitted are kept in commit order. One tenant's rows only, like a
 * transaction under row-level security.
 */
import type { IdempotencyClaim, PendingEvent } from '@hms/platform/domain';
import type { ClinicalReads, ClinicalStore, ClinicalTx } from '../domain/clinical-store.js';
import type {
  Addendum,
  Allergy,
  ClinicalSettings,
  Consultation,
  DiagnosisCode,
  FormularyItem,
  Prescription,
  Vitals,
} from '../domain/clinical-types.js';
import type { Appointment } from '../domain/types.js';

interface State {
  appointments: Map<string, Appointment>;
  patients: Set<string>;
  vitals: Vitals[];
  consultations: Map<string, Consultation>;
  addenda: Addendum[];
  prescriptions: Map<string, Prescription>;
  formulary: FormularyItem[];
  allergies: Allergy[];
  settings: Map<string, ClinicalSettings>;
  keys: Map<string, { fingerprint: string; result?: unknown }>;
  events: PendingEvent[];
}

const clone = <T>(value: T): T => structuredClone(value);

export function fakeClinicalStore(codes: DiagnosisCode[]) {
  let state: State = {
    appointments: new Map(),
    patients: new Set(),
    vitals: [],
    consultations: new Map(),
    addenda: [],
    prescriptions: new Map(),
    formulary: [],
    allergies: [],
    settings: new Map(),
    keys: new Map(),
    events: [],
  };

  function readsOf(s: State, tenantId: string): ClinicalReads {
    const visit = (id: string) => {
      const a = s.appointments.get(id);
      return a && a.tenantId === tenantId ? a : undefined;
    };
    const consultationOf = (appointmentId: string) => {
      const c = s.consultations.get(appointmentId);
      if (!c || c.tenantId !== tenantId) return undefined;
      return { ...clone(c), addenda: clone(s.addenda.filter((a) => a.appointmentId === appointmentId)) };
    };
    const prescriptionsOf = (appointmentId: string) =>
      [...s.prescriptions.values()].filter((p) => p.tenantId === tenantId && p.appointmentId === appointmentId);
    return {
      async vitals(appointmentId) {
        const a = visit(appointmentId);
        if (!a) return undefined;
        const part = s.vitals.filter((v) => v.tenantId === tenantId && v.appointmentId === appointmentId);
        return { patientId: a.patientId, part: clone(part).sort((x, y) => x.takenAt.getTime() - y.takenAt.getTime()) };
      },
      async consultation(appointmentId) {
        const a = visit(appointmentId);
        return a ? { patientId: a.patientId, part: consultationOf(appointmentId) ?? null } : undefined;
      },
      async prescriptions(appointmentId) {
        const a = visit(appointmentId);
        return a ? { patientId: a.patientId, part: clone(prescriptionsOf(appointmentId)) } : undefined;
      },
      async prescription(id) {
        const p = s.prescriptions.get(id);
        return p && p.tenantId === tenantId ? clone(p) : undefined;
      },
      async history(patientId, limit, after) {
        if (!s.patients.has(patientId)) return undefined;
        const visits = [...s.appointments.values()]
          .filter(
            (a) =>
              a.tenantId === tenantId &&
              a.patientId === patientId &&
              (a.status === 'IN_CONSULTATION' || a.status === 'COMPLETED'),
          )
          .sort((x, y) => y.startsAt.getTime() - x.startsAt.getTime() || (y.id < x.id ? -1 : 1))
          .filter(
            (a) =>
              !after ||
              a.startsAt.getTime() < after.startsAt.getTime() ||
              (a.startsAt.getTime() === after.startsAt.getTime() && a.id < after.id),
          )
          .slice(0, limit);
        return visits.map((a) => {
          const c = consultationOf(a.id);
          return {
            appointment: clone(a),
            consultationStatus: c?.status ?? null,
            diagnoses: c?.diagnoses ?? [],
            prescriptions: prescriptionsOf(a.id).map((p) => ({
              id: p.id,
              status: p.status,
              medicines: p.items.map((i) => `${i.genericName} ${i.strength} ${i.form}`),
            })),
          };
        });
      },
      async diagnosisCodes(wanted) {
        return codes.filter((c) => wanted.includes(c.code));
      },
      async searchDiagnosisCodes(search, limit) {
        const hits =
          search.by === 'code'
            ? codes.filter((c) => c.code.startsWith(search.prefix))
            : codes.filter((c) => search.words.every((w) => c.title.toLowerCase().includes(w)));
        return hits.slice(0, limit);
      },
      async formulary(query, limit, afterCode) {
        return s.formulary
          .filter((f) => f.tenantId === tenantId && (!afterCode || f.code > afterCode))
          .filter((f) => !query || f.code.startsWith(query.toUpperCase()) || f.genericName.startsWith(query))
          .sort((x, y) => (x.code < y.code ? -1 : 1))
          .slice(0, limit);
      },
      async formularyItems(wanted) {
        return clone(s.formulary.filter((f) => f.tenantId === tenantId && wanted.includes(f.code)));
      },
      async allergies(patientId) {
        if (!s.patients.has(patientId)) return undefined;
        return clone(s.allergies.filter((a) => a.tenantId === tenantId && a.patientId === patientId));
      },
      async activeMedicines(patientId, at) {
        return [...s.prescriptions.values()]
          .filter((p) => p.tenantId === tenantId && p.patientId === patientId && p.activeUntil > at)
          .flatMap((p) =>
            p.items.map((i) => ({ prescriptionId: p.id, medicineCode: i.medicineCode, genericName: i.genericName })),
          );
      },
      async settings() {
        return s.settings.get(tenantId) ?? { pharmacyEnabled: false };
      },
    };
  }

  const store: ClinicalStore = {
    async change(tenantId, fn) {
      // Events keep their catalogue definitions by identity (tests compare them), so they are not cloned.
      const staged: State = { ...clone({ ...state, events: [] }), events: [...state.events] };
      const emit = (events: PendingEvent[]) => staged.events.push(...events);
      const keyOf = (c: IdempotencyClaim) => `${tenantId}:${c.operation}:${c.key}`;
      const tx: ClinicalTx = {
        ...readsOf(staged, tenantId),
        async lockVisit(id) {
          const a = staged.appointments.get(id);
          return a && a.tenantId === tenantId ? clone(a) : undefined;
        },
        async lockConsultation(appointmentId) {
          const c = staged.consultations.get(appointmentId);
          if (!c || c.tenantId !== tenantId) return undefined;
          return { ...clone(c), addenda: clone(staged.addenda.filter((a) => a.appointmentId === appointmentId)) };
        },
        async insertVitals(v, events) {
          staged.vitals.push(clone(v));
          emit(events);
        },
        async saveConsultation(c, events) {
          const before = staged.consultations.get(c.appointmentId);
          // As the database's trigger: a signed consultation never changes.
          if (before?.status === 'SIGNED') throw new Error('consultations_signed_immutable');
          staged.consultations.set(c.appointmentId, { ...clone(c), addenda: [] });
          emit(events);
        },
        async insertAddendum(a, events) {
          staged.addenda.push(clone(a));
          emit(events);
        },
        async insertPrescription(p, events) {
          staged.prescriptions.set(p.id, clone(p));
          emit(events);
        },
        async lockPrescription(id) {
          const p = staged.prescriptions.get(id);
          return p && p.tenantId === tenantId ? clone(p) : undefined;
        },
        async savePrescription(p, events) {
          staged.prescriptions.set(p.id, clone(p));
          emit(events);
        },
        async putFormularyItem(item) {
          const existing = staged.formulary.findIndex((f) => f.tenantId === tenantId && f.code === item.code);
          const stored = existing >= 0 ? { ...item, id: staged.formulary[existing]!.id } : item;
          if (existing >= 0) staged.formulary[existing] = clone(stored);
          else staged.formulary.push(clone(stored));
          return clone(stored);
        },
        async insertAllergy(a) {
          staged.allergies.push(clone(a));
        },
        async saveSettings(settings) {
          staged.settings.set(tenantId, clone(settings));
        },
        async replayOf(claim) {
          const earlier = staged.keys.get(keyOf(claim));
          if (!earlier) {
            staged.keys.set(keyOf(claim), { fingerprint: claim.fingerprint });
            return undefined;
          }
          if (earlier.fingerprint !== claim.fingerprint) throw new Error('idempotency key reused for another request');
          return earlier.result;
        },
        async remember(claim, result) {
          staged.keys.set(keyOf(claim), { fingerprint: claim.fingerprint, result: clone(result) });
        },
        emit,
      };
      const result = await fn(tx);
      state = staged;
      return result;
    },
    read: async (tenantId, fn) => fn(readsOf(state, tenantId)),
  };

  return {
    store,
    /** Puts an appointment (and its patient) in the store, as booking would have. */
    seedVisit(a: Appointment) {
      state.appointments.set(a.id, clone(a));
      state.patients.add(a.patientId);
    },
    /** Moves a visit along its lifecycle, as the scheduling use cases would. */
    setStatus(appointmentId: string, status: Appointment['status']) {
      const a = state.appointments.get(appointmentId)!;
      state.appointments.set(appointmentId, { ...a, status });
    },
    events: () => state.events,
    consultations: () => [...state.consultations.values()],
    prescriptions: () => [...state.prescriptions.values()],
  };
}
