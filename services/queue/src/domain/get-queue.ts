import { isValidTimeZone } from '@hms/platform/domain';
import type { QueueStore } from './queue-store.js';
import { viewOf } from './queue-view.js';
import { serviceDayOf } from './service-day.js';
import type { DoctorQueue, QueueChange } from './types.js';

/** Where "today" is for a doctor the queue has never seen. */
export const DEFAULT_TIME_ZONE = 'UTC';

/** The doctor's "today" when no day is given: in the doctor's latest known time zone. */
export async function resolveServiceDate(
  deps: { store: QueueStore; now: () => Date },
  tenantId: string,
  doctorId: string,
  serviceDate: string | undefined,
): Promise<string> {
  if (serviceDate) return serviceDate;
  const known = await deps.store.latestTimeZone(tenantId, doctorId);
  const timeZone = known && isValidTimeZone(known) ? known : DEFAULT_TIME_ZONE;
  return serviceDayOf(deps.now(), timeZone);
}

/**
 * One doctor's queue of one day in calling order, with estimated call times.
 * Without a date, "today" in the doctor's latest known time zone. A doctor or
 * day nobody checked in to is an empty queue: the queue service does not know
 * every doctor, only queues.
 */
export async function getQueue(
  deps: { store: QueueStore; now: () => Date },
  input: { tenantId: string; doctorId: string; serviceDate: string | undefined },
): Promise<DoctorQueue> {
  const serviceDate = await resolveServiceDate(deps, input.tenantId, input.doctorId, input.serviceDate);
  const read = await deps.store.readDay(input.tenantId, input.doctorId, serviceDate);
  return viewOf({ doctorId: input.doctorId, serviceDate, ...read, now: deps.now() });
}

/** What a conditional read's caller already holds: a day and its last change. */
export interface KnownQueue {
  serviceDate: string;
  seq: number;
}

/**
 * The queue as getQueue answers it, unless the caller already holds it: when
 * the day asked for is `known`'s day and its last change is still `known.seq`,
 * only that is answered (one row read instead of the day, its rules and stats).
 * A change that commits between the check and a full read is in the full read.
 */
export async function getQueueUnlessKnown(
  deps: { store: QueueStore; now: () => Date },
  input: { tenantId: string; doctorId: string; serviceDate: string | undefined; known: KnownQueue | undefined },
): Promise<DoctorQueue | { notModified: true; doctorId: string; serviceDate: string; seq: number }> {
  const serviceDate = await resolveServiceDate(deps, input.tenantId, input.doctorId, input.serviceDate);
  if (input.known && input.known.serviceDate === serviceDate) {
    const seq = await deps.store.daySeq(input.tenantId, input.doctorId, serviceDate);
    if (seq === input.known.seq) return { notModified: true, doctorId: input.doctorId, serviceDate, seq };
  }
  return getQueue(deps, { ...input, serviceDate });
}

/**
 * The changes of a day after `afterSeq`, and whether they are all there (the
 * log is bounded: an old enough seq has been pruned, and then the caller needs
 * a fresh snapshot).
 */
export async function changesAfter(
  deps: { store: QueueStore },
  input: { tenantId: string; doctorId: string; serviceDate: string; afterSeq: number },
): Promise<{ changes: QueueChange[]; complete: boolean; lastSeq: number }> {
  const { changes, lastSeq } = await deps.store.listChanges(
    input.tenantId,
    input.doctorId,
    input.serviceDate,
    input.afterSeq,
  );
  const complete =
    input.afterSeq >= lastSeq ||
    (changes.length > 0 && changes[0]!.seq === input.afterSeq + 1 && changes.at(-1)!.seq === lastSeq);
  return { changes: complete ? changes : [], complete, lastSeq };
}
