/**
 * The day's dashboard, a read model kept from the service's own events (CQRS):
 * per tenant, day and doctor, how many appointments are booked (and not
 * cancelled), checked in, in consultation now, seen, no-shows, cancelled, and
 * the waits from check-in to the consultation's start. Each event adds to
 * counters (a reschedule moves one from its old day to its new one), so the
 * order events of different days arrive in does not matter, and the
 * processed-event record makes a redelivery add nothing. Reading a day is one
 * indexed query over at most one row per doctor, whatever the data size.
 */
import { InvalidArgumentError, isCalendarDate } from '@hms/platform/domain';
import type { SchedulingStore } from './scheduling-store.js';
import type { DayCounts, DoctorDayStats } from './types.js';

export const ZERO: DayCounts = {
  booked: 0,
  checkedIn: 0,
  inConsultation: 0,
  seen: 0,
  noShow: 0,
  cancelled: 0,
  waitSecondsTotal: 0,
  waits: 0,
};

/** What one lifecycle event says about the day counts, as the consumer reads it. */
export type DayEvent =
  | { type: 'booked'; serviceDate: string; doctorId: string; departmentId: string }
  | { type: 'checked_in'; serviceDate: string; doctorId: string; departmentId: string }
  | {
      type: 'consultation_started';
      serviceDate: string;
      doctorId: string;
      departmentId: string;
      waitSeconds: number | null;
    }
  | { type: 'completed'; serviceDate: string; doctorId: string; departmentId: string }
  | { type: 'cancelled'; serviceDate: string; doctorId: string; departmentId: string }
  | { type: 'no_show'; serviceDate: string; doctorId: string; departmentId: string; fromStatus: string }
  | {
      type: 'rescheduled';
      serviceDate: string;
      previousServiceDate: string;
      doctorId: string;
      departmentId: string;
    };

export interface DayDelta {
  serviceDate: string;
  doctorId: string;
  departmentId: string;
  counts: DayCounts;
}

/** The counter changes of a run of events, summed per doctor and day. */
export function dayDeltas(events: DayEvent[]): DayDelta[] {
  const deltas = new Map<string, DayDelta>();
  const add = (e: { serviceDate: string; doctorId: string; departmentId: string }, change: Partial<DayCounts>) => {
    const key = `${e.serviceDate}|${e.doctorId}`;
    const delta = deltas.get(key) ?? {
      serviceDate: e.serviceDate,
      doctorId: e.doctorId,
      departmentId: e.departmentId,
      counts: { ...ZERO },
    };
    for (const [k, v] of Object.entries(change) as [keyof DayCounts, number][]) delta.counts[k] += v;
    deltas.set(key, delta);
  };
  for (const e of events) {
    switch (e.type) {
      case 'booked':
        add(e, { booked: 1 });
        break;
      case 'checked_in':
        add(e, { checkedIn: 1 });
        break;
      case 'consultation_started':
        add(e, {
          inConsultation: 1,
          ...(e.waitSeconds !== null ? { waitSecondsTotal: Math.max(0, Math.round(e.waitSeconds)), waits: 1 } : {}),
        });
        break;
      case 'completed':
        add(e, { inConsultation: -1, seen: 1 });
        break;
      case 'cancelled':
        add(e, { booked: -1, cancelled: 1 });
        break;
      case 'no_show':
        add(e, { noShow: 1 });
        break;
      case 'rescheduled':
        if (e.previousServiceDate !== e.serviceDate) {
          add({ ...e, serviceDate: e.previousServiceDate }, { booked: -1 });
          add(e, { booked: 1 });
        }
        break;
    }
  }
  return [...deltas.values()];
}

function sum(rows: DayCounts[]): DayCounts {
  const total = { ...ZERO };
  for (const row of rows) for (const k of Object.keys(total) as (keyof DayCounts)[]) total[k] += row[k];
  return total;
}

export interface DailyDashboard {
  serviceDate: string;
  totals: DayCounts;
  departments: { departmentId: string; counts: DayCounts }[];
  doctors: DoctorDayStats[];
  updatedAt: Date | null;
}

export async function dailyDashboard(
  store: SchedulingStore,
  query: { tenantId: string; serviceDate: string; departmentId?: string | undefined },
): Promise<DailyDashboard> {
  if (!isCalendarDate(query.serviceDate)) {
    throw new InvalidArgumentError('invalid date', [{ field: 'date', message: 'must be a calendar date, YYYY-MM-DD' }]);
  }
  const rows = await store.read(query.tenantId, (r) => r.dayStats(query.serviceDate, query.departmentId));
  const byDepartment = new Map<string, DayCounts[]>();
  for (const row of rows)
    byDepartment.set(row.departmentId, [...(byDepartment.get(row.departmentId) ?? []), row.counts]);
  const updated = rows.reduce((t, r) => Math.max(t, r.updatedAt.getTime()), 0);
  return {
    serviceDate: query.serviceDate,
    totals: sum(rows.map((r) => r.counts)),
    departments: [...byDepartment].map(([departmentId, counts]) => ({ departmentId, counts: sum(counts) })),
    doctors: rows,
    updatedAt: updated > 0 ? new Date(updated) : null,
  };
}

/** Average wait in whole seconds (0 when nobody was seen yet). */
export function averageWaitSeconds(counts: DayCounts): number {
  return counts.waits === 0 ? 0 : Math.round(counts.waitSecondsTotal / counts.waits);
}
