/**
 * Slots the database refused a moment ago, remembered for a second in this
 * process, and the booking of a slot under way: when hundreds of patients rush
 * one slot, one request reaches the database (whose constraint decides), the
 * others wait for its answer rather than for a connection, and once the slot
 * is taken the rest are refused here. What it may get wrong is bounded:
 * for at most `ttlMs` after a refusal, a slot freed meanwhile (a cancellation,
 * a released hold) may still be refused; it never lets a booking through.
 * Requests that carry an idempotency key or convert a hold always go to the
 * database (their answer may be a replay, or the slot may be theirs).
 */
export type AttemptOutcome = 'booked' | 'taken' | 'other';

export interface RecentlyTaken {
  has(tenantId: string, doctorId: string, startsAt: Date): boolean;
  /**
   * The booking of this slot under way in this process, if any (its outcome when
   * it ends); else registers the caller's, which must call `finish`.
   */
  attempt(
    tenantId: string,
    doctorId: string,
    startsAt: Date,
  ): { ahead: Promise<AttemptOutcome> } | { finish: (outcome: AttemptOutcome) => void };
  remember(tenantId: string, doctorId: string, startsAt: Date): void;
  /** Forgets the doctor's refusals in this process (a slot of theirs was freed here). */
  forgetDoctor(tenantId: string, doctorId: string): void;
}

export function createRecentlyTaken(options: { now: () => Date; ttlMs?: number; maxEntries?: number }): RecentlyTaken {
  const ttlMs = options.ttlMs ?? 1_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const until = new Map<string, number>();
  const underWay = new Map<string, Promise<AttemptOutcome>>();
  const key = (tenantId: string, doctorId: string, startsAt: Date) => `${tenantId}|${doctorId}|${startsAt.getTime()}`;
  return {
    has(tenantId, doctorId, startsAt) {
      const k = key(tenantId, doctorId, startsAt);
      const expires = until.get(k);
      if (expires === undefined) return false;
      if (expires > options.now().getTime()) return true;
      until.delete(k);
      return false;
    },
    attempt(tenantId, doctorId, startsAt) {
      const k = key(tenantId, doctorId, startsAt);
      const ahead = underWay.get(k);
      if (ahead) return { ahead };
      let finish!: (outcome: AttemptOutcome) => void;
      underWay.set(
        k,
        new Promise<AttemptOutcome>((resolve) => {
          finish = (outcome) => {
            underWay.delete(k);
            resolve(outcome);
          };
        }),
      );
      return { finish };
    },
    remember(tenantId, doctorId, startsAt) {
      if (until.size >= maxEntries) until.clear();
      until.set(key(tenantId, doctorId, startsAt), options.now().getTime() + ttlMs);
    },
    forgetDoctor(tenantId, doctorId) {
      const prefix = `${tenantId}|${doctorId}|`;
      for (const k of until.keys()) if (k.startsWith(prefix)) until.delete(k);
    },
  };
}
