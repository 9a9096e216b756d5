/**
 * The calling order of a queue: whoever is being served first (in
 * consultation, then called), then the waiting by priority and arrival (token),
 * then the finished (done, then skipped). Positions count the waiting only.
 */
import type { QueueEntryStatus } from './types.js';

/** What ordering needs of an entry. */
export interface Orderable {
  status: QueueEntryStatus;
  priority: number;
  tokenNumber: number;
}

const STATUS_RANK: Record<QueueEntryStatus, number> = {
  IN_CONSULTATION: 0,
  CALLED: 1,
  WAITING: 2,
  DONE: 3,
  SKIPPED: 4,
};

export function compareEntries(a: Orderable, b: Orderable): number {
  return (
    STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
    (a.status === 'WAITING' ? b.priority - a.priority : 0) ||
    a.tokenNumber - b.tokenNumber
  );
}

/** The entries in calling order, each with its position (1..n for WAITING, 0 otherwise). */
export function orderQueue<E extends Orderable>(entries: readonly E[]): (E & { position: number })[] {
  let waiting = 0;
  return [...entries]
    .sort(compareEntries)
    .map((entry) => ({ ...entry, position: entry.status === 'WAITING' ? ++waiting : 0 }));
}
