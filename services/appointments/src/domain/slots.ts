/**
 * A doctor's slots in a window, each free, held or booked: the calendar (from
 * the cache) cut into slots, and the claims on the doctor's time in the window
 * (one indexed query). Slots that have begun are left out: nobody can take them.
 */
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@hms/platform/domain';
import { slotsBetween } from './calendar.js';
import type { ReferenceData, SchedulingStore } from './scheduling-store.js';
import type { Claim, Doctor, Slot, SlotWithStatus } from './types.js';

export const MAX_SLOT_WINDOW_DAYS = 31;
const DAY = 86_400_000;

/** The status of each slot (sorted) given the claims on the doctor's time (any order). */
export function withStatus(slots: Slot[], claims: Claim[], now: Date): SlotWithStatus[] {
  const live = claims
    .filter((c) => c.kind === 'APPOINTMENT' || (c.expiresAt && c.expiresAt.getTime() > now.getTime()))
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  let first = 0;
  return slots.map((slot) => {
    const start = slot.startsAt.getTime();
    const end = slot.endsAt.getTime();
    // Claims ending before this slot end before every later one too.
    while (first < live.length && live[first]!.endsAt.getTime() <= start) first += 1;
    let status: SlotWithStatus['status'] = 'FREE';
    for (let i = first; i < live.length && live[i]!.startsAt.getTime() < end; i += 1) {
      if (live[i]!.endsAt.getTime() <= start) continue;
      if (live[i]!.kind === 'APPOINTMENT') {
        status = 'BOOKED';
        break;
      }
      status = 'HELD';
    }
    return { ...slot, status };
  });
}

export async function listSlots(
  deps: { store: SchedulingStore; reference: ReferenceData; now: () => Date },
  query: { tenantId: string; doctorId: string; from: Date; to: Date },
): Promise<{ doctor: Doctor; slots: SlotWithStatus[]; stableUntil?: Date }> {
  if (query.to.getTime() <= query.from.getTime()) {
    throw new InvalidArgumentError('invalid window', [{ field: 'to', message: 'must be after from' }]);
  }
  if (query.to.getTime() - query.from.getTime() > MAX_SLOT_WINDOW_DAYS * DAY) {
    throw new InvalidArgumentError('invalid window', [
      { field: 'to', message: `must be at most ${MAX_SLOT_WINDOW_DAYS} days after from` },
    ]);
  }
  const record = await deps.reference.doctor(query.tenantId, query.doctorId);
  if (!record) throw new NotFoundError(`doctor ${query.doctorId} not found`);
  if (!record.doctor.active) {
    throw new FailedPreconditionError('the doctor is not taking appointments', [
      { field: 'doctorId', message: 'doctor is inactive' },
    ]);
  }
  const now = deps.now();
  const from = new Date(Math.max(query.from.getTime(), now.getTime()));
  const slots = slotsBetween(record.doctor, record.calendar, from, query.to);
  if (slots.length === 0) return { doctor: record.doctor, slots: [] };
  const claims = await deps.store.read(query.tenantId, (r) =>
    r.claims([query.doctorId], slots[0]!.startsAt, slots.at(-1)!.endsAt),
  );
  const mine = claims.get(query.doctorId) ?? [];
  return {
    doctor: record.doctor,
    slots: withStatus(slots, mine, now),
    stableUntil: stableUntil(slots[0]!.startsAt, mine, now),
  };
}

/**
 * Until when a window's answer holds if nothing changes: its first slot then begins (and is
 * left out), and a hold expiring frees its slot; whichever comes first.
 */
export function stableUntil(firstStart: Date, claims: Claim[], now: Date): Date {
  let until = firstStart.getTime();
  for (const c of claims) {
    const expires = c.kind === 'HOLD' ? c.expiresAt?.getTime() : undefined;
    if (expires !== undefined && expires > now.getTime() && expires < until) until = expires;
  }
  return new Date(until);
}
