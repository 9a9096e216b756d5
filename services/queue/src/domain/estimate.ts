/**
 * Predicted call times. A consultation is expected to last the doctor's own
 * pace today, shrunk towards their history (or the tenant's default when they
 * have none): today's finished consultations count one each against a prior
 * worth PRIOR_WEIGHT of them, so the first few of the day move the estimate
 * without swinging it. Whoever is with the doctor now is expected to take the
 * rest of a consultation (never less than a fifth of one, as overruns are
 * common). A paused queue starts again when staff said it would, or after
 * DEFAULT_PAUSE_MS. Each patient in line is then one consultation after the
 * one before, in calling order (priorities and skip holds included).
 */
import { SERVING, type DoctorStats, type QueueEntry, type QueueRules } from './types.js';

/** Today's consultations needed to weigh as much as the prior. */
export const PRIOR_WEIGHT = 4;
/** A single consultation longer than this many times the prior counts as this many (a forgotten "complete"). */
const OUTLIER_FACTOR = 4;
/** What a pause without an announced end is expected to last. */
export const DEFAULT_PAUSE_MS = 10 * 60_000;
/** Whoever is with the doctor takes at least this share of a consultation more. */
const MIN_REMAINING_SHARE = 0.2;

export interface EstimateInput {
  /** Every entry of the day (finished ones give today's pace). */
  entries: readonly QueueEntry[];
  stats: DoctorStats | undefined;
  rules: Pick<QueueRules, 'defaultConsultationSeconds'>;
  /** The day estimated: the doctor's history is what came before it. */
  serviceDate?: string;
  pause: { pausedAt: Date | undefined; resumeExpectedAt: Date | undefined };
  now: Date;
}

/** The doctor's history as of the start of `serviceDate` (today's own consultations left out). */
export function historyBefore(stats: DoctorStats | undefined, serviceDate: string): DoctorStats | undefined {
  if (!stats) return undefined;
  if (stats.day >= serviceDate || stats.dayCount === 0) return stats;
  // A later day: the recorded day is history now.
  const dayMean = stats.daySeconds / stats.dayCount;
  const weight = stats.samples === 0 ? 1 : Math.max(stats.dayCount / (stats.samples + stats.dayCount), MIN_DAY_WEIGHT);
  return {
    meanSeconds: stats.meanSeconds + (dayMean - stats.meanSeconds) * weight,
    samples: stats.samples + stats.dayCount,
    day: serviceDate,
    daySeconds: 0,
    dayCount: 0,
  };
}

/** The expected length of the next consultation, ms. */
export function consultationMs(
  input: Pick<EstimateInput, 'entries' | 'stats' | 'rules'> & { serviceDate?: string },
): number {
  const history = historyBefore(input.stats, input.serviceDate ?? input.stats?.day ?? '');
  const priorMs =
    history && history.samples > 0 ? history.meanSeconds * 1000 : input.rules.defaultConsultationSeconds * 1000;
  let sum = 0;
  let n = 0;
  for (const e of input.entries) {
    if (e.status !== 'DONE' || !e.calledAt || !e.completedAt) continue;
    const ms = e.completedAt.getTime() - e.calledAt.getTime();
    if (ms <= 0) continue;
    sum += Math.min(ms, priorMs * OUTLIER_FACTOR);
    n += 1;
  }
  return (PRIOR_WEIGHT * priorMs + sum) / (PRIOR_WEIGHT + n);
}

/** When each patient of `line` (in calling order) is expected to be called. */
export function estimateCallTimes(line: readonly { id: string }[], input: EstimateInput): Map<string, Date> {
  const perPatient = consultationMs(input);
  const now = input.now.getTime();
  let start = now;
  if (input.pause.pausedAt) {
    start = Math.max(now, input.pause.resumeExpectedAt?.getTime() ?? input.pause.pausedAt.getTime() + DEFAULT_PAUSE_MS);
  }
  // The doctor sees one patient at a time: the latest one called is the one in the room.
  let current: QueueEntry | undefined;
  for (const e of input.entries) {
    if (SERVING.has(e.status) && e.calledAt && (!current || e.calledAt > current.calledAt!)) current = e;
  }
  if (current) {
    const elapsed = now - current.calledAt!.getTime();
    start = Math.max(start, now + Math.max(perPatient - elapsed, perPatient * MIN_REMAINING_SHARE));
  }
  const times = new Map<string, Date>();
  line.forEach((e, i) => times.set(e.id, new Date(start + i * perPatient)));
  return times;
}

/** A finished day moves the history by at least this much, so a doctor's pace keeps being learnt. */
const MIN_DAY_WEIGHT = 0.2;

/** The doctor's history after one more finished consultation on `serviceDate`. */
export function withConsultation(stats: DoctorStats | undefined, seconds: number, serviceDate: string): DoctorStats {
  const base = historyBefore(stats, serviceDate) ?? {
    meanSeconds: 0,
    samples: 0,
    day: serviceDate,
    daySeconds: 0,
    dayCount: 0,
  };
  return { ...base, day: serviceDate, daySeconds: base.daySeconds + seconds, dayCount: base.dayCount + 1 };
}
