/**
 * The calling order of a queue day, derived from its entries (positions are
 * never stored). One rule picks the next patient (pickNext); the order of
 * everyone in line is that rule applied again and again to a copy of the day
 * (orderLine), so what the desk's "call next" does and what every screen shows
 * can never disagree.
 *
 * The rule: among those in line whose skip hold is over, EMERGENCY first, then
 * anyone a priority patient has passed `maxPriorityPasses` times (the fairness
 * bound: nobody waits forever), then by rank (SENIOR and DISABLED before
 * NORMAL), then by arrival, then by token. A priority patient "passes" one in
 * line when called although they arrived later.
 */
import { IN_LINE, PRIORITY_RANK, SERVING, type QueueEntry, type QueueEntryStatus, type QueueRules } from './types.js';

/** What ordering needs of an entry. */
export type Orderable = Pick<
  QueueEntry,
  'id' | 'status' | 'priority' | 'tokenNumber' | 'joinedAt' | 'callNumber' | 'heldUntilCall' | 'calledAt'
>;

const rank = (e: Pick<QueueEntry, 'priority'>) => PRIORITY_RANK[e.priority];

/** Earlier arrival first; the token breaks ties (tokens are issued in arrival order). */
function byArrival(a: Orderable, b: Orderable): number {
  return a.joinedAt.getTime() - b.joinedAt.getTime() || a.tokenNumber - b.tokenNumber;
}

function arrivedBefore(a: Orderable, b: Orderable): boolean {
  return byArrival(a, b) < 0;
}

/** How many higher-ranked patients who arrived after `e` have been called while it was in line. */
export function passesOf(e: Orderable, called: readonly Orderable[]): number {
  let passes = 0;
  for (const c of called) if (rank(c) > rank(e) && arrivedBefore(e, c)) passes += 1;
  return passes;
}

/**
 * The next patient to call from `line` (those in line), given the day's call
 * count and the passes each has suffered; undefined when the line is empty.
 */
export function pickNext<E extends Orderable>(
  line: readonly E[],
  calls: number,
  passes: ReadonlyMap<string, number>,
  rules: Pick<QueueRules, 'maxPriorityPasses'>,
): E | undefined {
  if (line.length === 0) return undefined;
  let eligible = line.filter((e) => e.heldUntilCall <= calls);
  // Only held-back patients left: the one whose hold ends first is next all the same.
  if (eligible.length === 0) {
    const soonest = Math.min(...line.map((e) => e.heldUntilCall));
    eligible = line.filter((e) => e.heldUntilCall === soonest);
  }
  const best = (candidates: E[], compare: (a: E, b: E) => number) =>
    candidates.reduce((a, b) => (compare(b, a) < 0 ? b : a));
  const emergencies = eligible.filter((e) => e.priority === 'EMERGENCY');
  if (emergencies.length > 0) return best(emergencies, byArrival);
  const starved = eligible.filter((e) => (passes.get(e.id) ?? 0) >= rules.maxPriorityPasses);
  const pool = starved.length > 0 ? starved : eligible;
  return best(pool, (a, b) => rank(b) - rank(a) || byArrival(a, b));
}

/**
 * Everyone in line in the order they will be called, if nobody new arrives:
 * pickNext's rule applied again and again to a copy of the day, each pick
 * counting as a call. The rule is evaluated over flat arrays here (one scan
 * per pick, no copies), because a screen's read of a long queue runs it for
 * every patient in line: a 300-entry day costs a fraction of a millisecond
 * instead of tens. The unit tests check it against pickNext itself.
 */
export function orderLine<E extends Orderable>(
  entries: readonly E[],
  calls: number,
  rules: Pick<QueueRules, 'maxPriorityPasses'>,
): E[] {
  const line = entries.filter((e) => IN_LINE.has(e.status));
  const called = entries.filter((e) => e.callNumber !== undefined && !IN_LINE.has(e.status));
  const n = line.length;
  const arrival = new Float64Array(n);
  const token = new Float64Array(n);
  const ranks = new Int8Array(n);
  const held = new Float64Array(n);
  const emergency = new Uint8Array(n);
  const passes = new Int32Array(n);
  const waiting = new Uint8Array(n).fill(1);
  line.forEach((e, i) => {
    arrival[i] = e.joinedAt.getTime();
    token[i] = e.tokenNumber;
    ranks[i] = rank(e);
    held[i] = e.heldUntilCall;
    emergency[i] = e.priority === 'EMERGENCY' ? 1 : 0;
    passes[i] = passesOf(e, called);
  });
  /** byArrival(i, j) < 0 */
  const before = (i: number, j: number) =>
    arrival[i]! < arrival[j]! || (arrival[i] === arrival[j] && token[i]! < token[j]!);
  /** The pool's order: higher rank, then earlier arrival. */
  const ahead = (i: number, j: number) => ranks[i]! > ranks[j]! || (ranks[i] === ranks[j] && before(i, j));

  const order: E[] = [];
  for (let call = calls; order.length < n; call += 1) {
    // Eligible: whose skip hold is over; if nobody's is, those whose hold ends first.
    let anyFree = false;
    let soonest = Infinity;
    for (let i = 0; i < n; i += 1) {
      if (!waiting[i]) continue;
      if (held[i]! <= call) anyFree = true;
      if (held[i]! < soonest) soonest = held[i]!;
    }
    let firstEmergency = -1;
    let bestStarved = -1;
    let best = -1;
    for (let i = 0; i < n; i += 1) {
      if (!waiting[i] || (anyFree ? held[i]! > call : held[i] !== soonest)) continue;
      if (emergency[i] && (firstEmergency < 0 || before(i, firstEmergency))) firstEmergency = i;
      if (passes[i]! >= rules.maxPriorityPasses && (bestStarved < 0 || ahead(i, bestStarved))) bestStarved = i;
      if (best < 0 || ahead(i, best)) best = i;
    }
    const next = firstEmergency >= 0 ? firstEmergency : bestStarved >= 0 ? bestStarved : best;
    order.push(line[next]!);
    waiting[next] = 0;
    for (let i = 0; i < n; i += 1) {
      if (waiting[i] && ranks[next]! > ranks[i]! && before(i, next)) passes[i]! += 1;
    }
  }
  return order;
}

const FINISHED_RANK: Partial<Record<QueueEntryStatus, number>> = {
  DONE: 0,
  NO_SHOW: 1,
  TRANSFERRED: 2,
  REMOVED: 3,
};

/**
 * The whole day as screens list it: those being served (earliest call first),
 * the line in calling order, then those out of the queue by token. Each entry
 * gets its position: 1..n along the line, 0 for the others.
 */
export function orderQueue<E extends Orderable>(
  entries: readonly E[],
  calls: number,
  rules: Pick<QueueRules, 'maxPriorityPasses'>,
): (E & { position: number })[] {
  const serving = entries
    .filter((e) => SERVING.has(e.status))
    .sort((a, b) => (a.calledAt?.getTime() ?? 0) - (b.calledAt?.getTime() ?? 0) || a.tokenNumber - b.tokenNumber);
  const line = orderLine(entries, calls, rules);
  const finished = entries
    .filter((e) => !SERVING.has(e.status) && !IN_LINE.has(e.status))
    .sort((a, b) => (FINISHED_RANK[a.status] ?? 9) - (FINISHED_RANK[b.status] ?? 9) || a.tokenNumber - b.tokenNumber);
  return [
    ...serving.map((e) => ({ ...e, position: 0 })),
    ...line.map((e, i) => ({ ...e, position: i + 1 })),
    ...finished.map((e) => ({ ...e, position: 0 })),
  ];
}
