/**
 * Predicted waits, replayed: synthetic clinic days run through the queue
 * service's own use cases (services/queue/src/domain, on its in-memory store,
 * with a simulated clock), and every estimate made during the day compared
 * with when the patient was really called. Reports the mean absolute error of
 * our estimates and of the naive "position x slot length", per scenario.
 *
 *   node --import tsx bench/queue/predictions.ts [--days 5] [--seed 7]
 *   npm run bench -- --only predictions
 */
import { parseArgs } from 'node:util';
import { callNext } from '../../services/queue/src/domain/call-next.js';
import { completeEntry } from '../../services/queue/src/domain/entry-actions.js';
import { getQueue } from '../../services/queue/src/domain/get-queue.js';
import { joinWalkIn } from '../../services/queue/src/domain/join-queue.js';
import { setQueuePaused } from '../../services/queue/src/domain/pause-queue.js';
import type { PriorityClass } from '../../services/queue/src/domain/types.js';
import { fakeQueueStore } from '../../services/queue/src/testing/fake-queue-store.js';

export interface Scenario {
  name: string;
  /** The doctor's booked slot length, minutes: the naive estimate's unit. */
  slotMinutes: number;
  /** What the doctor's consultations really last on average, minutes. */
  meanMinutes: number;
  /** Spread of a consultation's length (coefficient of variation of a log-normal). */
  cv: number;
  patients: number;
  /** Share of SENIOR/DISABLED and of EMERGENCY arrivals. */
  priority: number;
  emergency: number;
  /** A mid-morning pause, minutes (0: none); announced with its expected end or not. */
  pauseMinutes: number;
  pauseAnnounced: boolean;
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'slower than the slots',
    slotMinutes: 10,
    meanMinutes: 13,
    cv: 0.45,
    patients: 30,
    priority: 0.15,
    emergency: 0.03,
    pauseMinutes: 20,
    pauseAnnounced: true,
  },
  {
    name: 'faster than the slots',
    slotMinutes: 15,
    meanMinutes: 9,
    cv: 0.4,
    patients: 36,
    priority: 0.15,
    emergency: 0.03,
    pauseMinutes: 0,
    pauseAnnounced: false,
  },
  {
    name: 'at slot pace, with a pause and emergencies',
    slotMinutes: 10,
    meanMinutes: 10,
    cv: 0.5,
    patients: 30,
    priority: 0.2,
    emergency: 0.07,
    pauseMinutes: 25,
    pauseAnnounced: false,
  },
];

/** Mulberry32: a small seeded generator, so that every run replays the same days. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function logNormal(random: () => number, mean: number, cv: number): number {
  const sigma = Math.sqrt(Math.log(1 + cv * cv));
  const mu = Math.log(mean) - (sigma * sigma) / 2;
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.exp(mu + sigma * z);
}

interface DayResult {
  samples: number;
  oursAbsMinutes: number;
  naiveAbsMinutes: number;
}

const MIN = 60_000;
const tenantId = '0192f0a0-0000-7000-8000-0000000000b1';
const doctorId = '0192f0a0-0000-7000-8000-0000000000d1';

/** One scenario over `days` consecutive days of one doctor (so the history builds up). */
export async function replay(scenario: Scenario, days: number, seed: number): Promise<DayResult> {
  const random = rng(seed);
  const fake = fakeQueueStore({
    maxPriorityPasses: 3,
    skipReturnAfter: 3,
    defaultConsultationSeconds: scenario.slotMinutes * 60,
  });
  let clock = 0;
  let ids = 0;
  const deps = {
    store: fake.store,
    now: () => new Date(clock),
    newId: () => `0192f0a0-0000-7000-b000-${String((ids += 1)).padStart(12, '0')}`,
  };
  const total: DayResult = { samples: 0, oursAbsMinutes: 0, naiveAbsMinutes: 0 };
  for (let day = 0; day < days; day += 1) {
    const start = Date.UTC(2030, 0, 7 + day, 3, 30);
    const serviceDate = new Date(start).toISOString().slice(0, 10);
    clock = start;
    // Arrivals over the first three hours; the doctor starts at 04:00.
    const arrivals = Array.from({ length: scenario.patients }, () => start + random() * 180 * MIN).sort(
      (a, b) => a - b,
    );
    const priorities: PriorityClass[] = arrivals.map(() => {
      const r = random();
      return r < scenario.emergency ? 'EMERGENCY' : r < scenario.emergency + scenario.priority ? 'SENIOR' : 'NORMAL';
    });
    const pauseAt = scenario.pauseMinutes > 0 ? start + 90 * MIN + random() * 30 * MIN : Infinity;
    let pauseDone = scenario.pauseMinutes === 0;
    const predictions = new Map<string, { ours: number; naive: number }[]>();
    const calledAt = new Map<string, number>();
    let next = 0;
    let doctorFreeAt = start + 30 * MIN;
    let inRoom: string | undefined;

    /** Every estimate the queue gives now, beside the naive one. */
    const observe = async () => {
      const queue = await getQueue(deps, { tenantId, doctorId, serviceDate });
      for (const e of queue.entries) {
        if (e.position === 0 || !e.estimatedCallAt) continue;
        const list = predictions.get(e.id) ?? [];
        list.push({ ours: e.estimatedCallAt.getTime(), naive: clock + e.position * scenario.slotMinutes * MIN });
        predictions.set(e.id, list);
      }
    };

    while (next < arrivals.length || calledAt.size < arrivals.length) {
      const nextArrival = next < arrivals.length ? arrivals[next]! : Infinity;
      const waiting = next - calledAt.size;
      if (nextArrival <= doctorFreeAt || (waiting === 0 && nextArrival < Infinity)) {
        clock = Math.max(clock, nextArrival);
        await joinWalkIn(deps, {
          tenantId,
          doctorId,
          timeZone: 'UTC',
          patientId: deps.newId(),
          priority: priorities[next]!,
          traceId: '',
          idempotency: undefined,
        });
        next += 1;
        await observe();
        continue;
      }
      clock = Math.max(clock, doctorFreeAt);
      if (inRoom) {
        await completeEntry(deps, { tenantId, entryId: inRoom });
        inRoom = undefined;
      }
      if (!pauseDone && clock >= pauseAt) {
        pauseDone = true;
        const until = clock + scenario.pauseMinutes * MIN;
        await setQueuePaused(deps, {
          tenantId,
          doctorId,
          timeZone: 'UTC',
          paused: true,
          resumeExpectedAt: scenario.pauseAnnounced ? new Date(until) : undefined,
        });
        await observe();
        clock = until;
        await setQueuePaused(deps, { tenantId, doctorId, timeZone: 'UTC', paused: false });
      }
      if (next - calledAt.size === 0) {
        doctorFreeAt = next < arrivals.length ? arrivals[next]! : Infinity;
        continue;
      }
      const entry = await callNext(deps, { tenantId, doctorId, serviceDate, room: 'Room 1' });
      calledAt.set(entry.id, clock);
      inRoom = entry.id;
      doctorFreeAt = clock + logNormal(random, scenario.meanMinutes, scenario.cv) * MIN;
      await observe();
    }
    if (inRoom) {
      clock = doctorFreeAt;
      await completeEntry(deps, { tenantId, entryId: inRoom });
    }
    for (const [id, list] of predictions) {
      const actual = calledAt.get(id)!;
      for (const p of list) {
        total.samples += 1;
        total.oursAbsMinutes += Math.abs(p.ours - actual) / MIN;
        total.naiveAbsMinutes += Math.abs(p.naive - actual) / MIN;
      }
    }
  }
  return total;
}

export interface PredictionReport {
  scenario: string;
  samples: number;
  maeOursMinutes: number;
  maeNaiveMinutes: number;
  /** How much lower our error is than the naive one (0.3 = 30 % lower). */
  reduction: number;
}

export async function predictionBenchmark(days = 5, seed = 7): Promise<PredictionReport[]> {
  const reports: PredictionReport[] = [];
  const all = { samples: 0, oursAbsMinutes: 0, naiveAbsMinutes: 0 };
  for (const [i, scenario] of SCENARIOS.entries()) {
    const r = await replay(scenario, days, seed + i);
    all.samples += r.samples;
    all.oursAbsMinutes += r.oursAbsMinutes;
    all.naiveAbsMinutes += r.naiveAbsMinutes;
    reports.push(reportOf(scenario.name, r));
  }
  reports.push(reportOf('all scenarios', all));
  return reports;
}

function reportOf(scenario: string, r: DayResult): PredictionReport {
  const ours = r.oursAbsMinutes / Math.max(1, r.samples);
  const naive = r.naiveAbsMinutes / Math.max(1, r.samples);
  return { scenario, samples: r.samples, maeOursMinutes: ours, maeNaiveMinutes: naive, reduction: 1 - ours / naive };
}

export function printPredictions(reports: PredictionReport[]): void {
  console.log(
    '\npredicted waits, synthetic clinic days (MAE of the estimated call time, minutes; goal: >= 30 % lower):',
  );
  for (const r of reports) {
    console.log(
      `  ${r.scenario.padEnd(44)} n=${String(r.samples).padStart(5)}  ours ${r.maeOursMinutes.toFixed(1).padStart(5)}  position x slot ${r.maeNaiveMinutes.toFixed(1).padStart(5)}  ${(r.reduction * 100).toFixed(0)} % lower`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { days: { type: 'string' }, seed: { type: 'string' } } });
  printPredictions(await predictionBenchmark(Number(values.days ?? 5), Number(values.seed ?? 7)));
}
