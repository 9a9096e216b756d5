/**
 * The one way a queue day changes: under the day's lock, with every entry of
 * the day in hand, the use case decides what it touches; this records it as
 * the day's next change (seq + 1) with the calling order and estimates after
 * it, and hands the day row, the touched entries, the logged change and the
 * events to the store in the same transaction.
 */
import type { PendingEvent } from '@hms/platform/domain';
import type { QueueChanges } from './queue-store.js';
import { lineOf, viewOf } from './queue-view.js';
import type { DoctorStats, PlacedEntry, QueueDay, QueueEntry, QueueRules } from './types.js';

/** A locked day with what its order and estimates need. */
export interface OpenDay {
  day: QueueDay;
  entries: QueueEntry[];
  rules: QueueRules;
  stats: DoctorStats | undefined;
}

export async function openDay(tx: QueueChanges, day: QueueDay): Promise<OpenDay> {
  const entries = await tx.entriesOfDay(day.doctorId, day.serviceDate);
  const rules = await tx.rules();
  const stats = await tx.stats(day.doctorId);
  return { day, entries, rules, stats };
}

export interface DayChange {
  /** The event type the change is logged under, e.g. "queue.called". */
  type: string;
  at: Date;
  /** New or changed entries, as they are after the change. */
  touched: QueueEntry[];
  /** The day row after the change (counters, pause); seq is set here. */
  day?: QueueDay;
  stats?: DoctorStats;
  /** The events of the change, given the touched entries with their new places and the change's seq. */
  events(placed: (id: string) => PlacedEntry, seq: number): PendingEvent[];
}

/** Commits `change` to the open day; returns the touched entries with their places after it. */
export async function commitChange(
  tx: QueueChanges,
  open: OpenDay,
  change: DayChange,
): Promise<{ placed: (id: string) => PlacedEntry; seq: number; open: OpenDay }> {
  const seq = open.day.seq + 1;
  const day: QueueDay = { ...(change.day ?? open.day), seq };
  const touchedIds = new Set(change.touched.map((e) => e.id));
  const entries = [...open.entries.filter((e) => !touchedIds.has(e.id)), ...change.touched];
  const stats = change.stats ?? open.stats;
  const view = viewOf({
    doctorId: day.doctorId,
    serviceDate: day.serviceDate,
    day,
    entries,
    rules: open.rules,
    stats,
    now: change.at,
  });
  const byId = new Map(view.entries.map((e) => [e.id, e]));
  const placed = (id: string) => {
    const entry = byId.get(id);
    if (!entry) throw new Error(`entry ${id} is not in the day it was changed in`);
    return entry;
  };
  if (change.stats) await tx.saveStats(day.doctorId, change.stats);
  await tx.commit(
    day,
    change.touched,
    {
      seq,
      type: change.type,
      at: change.at,
      entries: change.touched.map((e) => placed(e.id)),
      line: lineOf(view),
      pause: view.pause,
    },
    change.events(placed, seq),
  );
  return { placed, seq, open: { day, entries, rules: open.rules, stats } };
}
