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
  pause: { pausedAt: Date | undefined; resumeExpectedAt: Date | undefined };
  now: Date;
}

/** The expected length of the next consultation, ms. */
export function consultationMs(input: Pick<EstimateInput, 'entries' | 'stats' | 'rules'>): number {
  const priorMs =
    input.stats && input.stats.samples > 0 ? input.stats.meanSeconds * 1000 : input.rules.defaultConsultationSeconds * 1000;
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

/** The doctor's history after one more finished consultation: a running mean that keeps adapting (weight >= 5 %). */
export function withConsultation(stats: DoctorStats | undefined, seconds: number): DoctorStats {
  if (!stats || stats.samples === 0) return { meanSeconds: seconds, samples: 1 };
  const weight = Math.max(1 / (stats.samples + 1), 0.05);
  return { meanSeconds: stats.meanSeconds + (seconds - stats.meanSeconds) * weight, samples: stats.samples + 1 };
}
