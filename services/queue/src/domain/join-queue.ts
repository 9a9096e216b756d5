/**
 * Joining a doctor's queue of the day with its next token number (1 for the
 * first): a checked-in appointment (queue.token_issued announces it with the
 * patient's position; one entry per appointment, joining again changes
 * nothing), or a walk-in without an appointment.
 */
import type { IdempotencyClaim } from '@hms/platform/domain';
import { commitChange, openDay } from './day-change.js';
import { queueTokenIssued } from './events.js';
import type { QueueStore } from './queue-store.js';
import { serviceDayOf } from './service-day.js';
import type { PlacedEntry, PriorityClass, QueueEntry, QueueJoin } from './types.js';

export interface JoinDeps {
  store: QueueStore;
  newId: () => string;
  now: () => Date;
}

/** A fresh entry at the end of the day's tokens. */
export function newEntry(
  base: Pick<QueueEntry, 'id' | 'tenantId' | 'doctorId' | 'serviceDate' | 'patientId' | 'joinedAt' | 'traceId'> &
    Partial<QueueEntry>,
  tokenNumber: number,
): QueueEntry {
  return {
    appointmentId: undefined,
    priority: 'NORMAL',
    status: 'WAITING',
    room: '',
    skipCount: 0,
    recallCount: 0,
    calledAt: undefined,
    completedAt: undefined,
    callNumber: undefined,
    heldUntilCall: 0,
    transferredFromEntryId: undefined,
    transferredToDoctorId: undefined,
    ...base,
    tokenNumber,
  };
}

export async function joinQueue(deps: JoinDeps, join: QueueJoin): Promise<PlacedEntry | undefined> {
  return deps.store.change(join.tenantId, async (tx) => {
    // Under the day's lock, any other join of this appointment has committed or not started.
    const day = await tx.lockDay(join);
    if (await tx.entryOfAppointment(join.appointmentId)) return undefined;
    const open = await openDay(tx, day);
    const entry = newEntry(
      {
        id: deps.newId(),
        tenantId: join.tenantId,
        doctorId: join.doctorId,
        serviceDate: join.serviceDate,
        appointmentId: join.appointmentId,
        patientId: join.patientId,
        joinedAt: join.joinedAt,
        traceId: join.traceId,
      },
      day.lastToken + 1,
    );
    const { placed } = await commitChange(tx, open, {
      type: 'queue.token_issued',
      at: deps.now(),
      touched: [entry],
      day: { ...day, lastToken: entry.tokenNumber },
      events: (place, seq) => [queueTokenIssued(place(entry.id), seq)],
    });
    return placed(entry.id);
  });
}

export interface WalkIn {
  tenantId: string;
  doctorId: string;
  /** IANA zone of the doctor's clinic: the walk-in joins today's queue there. */
  timeZone: string;
  patientId: string;
  priority: PriorityClass;
  traceId: string;
  idempotency: IdempotencyClaim | undefined;
}

/** A walk-in's token; a retry with the same idempotency key answers the first token. */
export async function joinWalkIn(deps: JoinDeps, walkIn: WalkIn): Promise<{ entry: PlacedEntry; replayed: boolean }> {
  return deps.store.change(walkIn.tenantId, async (tx) => {
    if (walkIn.idempotency) {
      const earlier = await tx.claim(walkIn.idempotency);
      if (earlier !== undefined) return { entry: placedFromJson(earlier), replayed: true };
    }
    const now = deps.now();
    const day = await tx.lockDay({
      doctorId: walkIn.doctorId,
      serviceDate: serviceDayOf(now, walkIn.timeZone),
      timeZone: walkIn.timeZone,
    });
    const open = await openDay(tx, day);
    const entry = newEntry(
      {
        id: deps.newId(),
        tenantId: walkIn.tenantId,
        doctorId: walkIn.doctorId,
        serviceDate: day.serviceDate,
        patientId: walkIn.patientId,
        priority: walkIn.priority,
        joinedAt: now,
        traceId: walkIn.traceId,
      },
      day.lastToken + 1,
    );
    const { placed } = await commitChange(tx, open, {
      type: 'queue.token_issued',
      at: now,
      touched: [entry],
      day: { ...day, lastToken: entry.tokenNumber },
      events: (place, seq) => [queueTokenIssued(place(entry.id), seq)],
    });
    const result = placed(entry.id);
    if (walkIn.idempotency) await tx.rememberResult(walkIn.idempotency, result);
    return { entry: result, replayed: false };
  });
}

/** An entry as rememberResult stored it (dates as ISO strings). */
function placedFromJson(json: unknown): PlacedEntry {
  const e = json as Record<string, unknown>;
  const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : undefined);
  return {
    ...(e as unknown as PlacedEntry),
    joinedAt: new Date(String(e.joinedAt)),
    calledAt: date(e.calledAt),
    completedAt: date(e.completedAt),
    estimatedCallAt: date(e.estimatedCallAt),
  };
}
