import { newId, runWithContext, type CacheInvalidations } from '@hms/platform';
import { SLOT_WINDOWS_CACHE, toTimestamp } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { createSlotWindows } from './slot-windows.js';

const MINUTE = 60_000;
const T0 = Date.parse('2026-12-01T09:00:00Z');

/**
 * The calendar backend as it answers: one free 15-minute slot per window, stable until the
 * time set; `gate` holds answers back until released, to change things while a read is under way.
 */
function calendarBackend() {
  const asked: string[] = [];
  let stableUntil = T0;
  let gate: Promise<void> | undefined;
  const call = {
    listSlots: async ({ doctorId }: { doctorId: string }) => {
      asked.push(doctorId);
      const answer = {
        doctorId,
        timeZone: 'UTC',
        runs: [
          {
            startsAt: toTimestamp(new Date(T0)),
            slotMinutes: 15,
            serviceDate: '2026-12-01',
            statuses: ['SLOT_STATUS_FREE'],
          },
        ],
        stableUntil: toTimestamp(new Date(stableUntil)),
      };
      if (gate) await gate;
      return answer;
    },
  };
  return {
    asked,
    backends: { calendar: { call } } as never,
    setStableUntil: (t: number) => (stableUntil = t),
    hold: () => {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

/** The invalidation channel as a process hears it: live or not, and the keys published. */
function channel() {
  const handlers: { onKey(key: string): void; onReset(): void }[] = [];
  const invalidations = {
    live: true,
    publish: async () => undefined,
    listen: (cache: string, h: { onKey(key: string): void; onReset(): void }) => {
      if (cache === SLOT_WINDOWS_CACHE.name) handlers.push(h);
    },
    close: async () => undefined,
  };
  return {
    invalidations: invalidations as CacheInvalidations,
    setLive: (live: boolean) => (invalidations.live = live),
    tell: (key: string) => handlers.forEach((h) => h.onKey(key)),
    reset: () => handlers.forEach((h) => h.onReset()),
  };
}

describe('slot windows kept by a gateway', () => {
  const from = new Date(T0 - 60 * MINUTE);
  const to = new Date(T0 + 7 * 24 * 60 * MINUTE);

  const setup = (ttlMs = 60_000) => {
    const clock = { now: T0 - 10 * MINUTE };
    const backend = calendarBackend();
    const heard = channel();
    const windows = createSlotWindows({
      backends: backend.backends,
      invalidations: heard.invalidations,
      ttlMs,
      now: () => clock.now,
    });
    const tenantId = newId();
    const read = (doctorId: string, tenant = tenantId, f = from) =>
      runWithContext({ requestId: newId(), tenantId: tenant }, () => windows.get(doctorId, f, to));
    return { ...backend, ...heard, clock, tenantId, read };
  };

  it('answers a window read again from the process, per tenant, doctor and window', async () => {
    const { asked, read } = setup();
    const d = newId();
    const body = JSON.parse(await read(d)) as { slots: { status: string }[] };
    expect(body.slots.map((s) => s.status)).toEqual(['free']);
    expect(await read(d)).toBe(JSON.stringify(body));
    expect(asked).toEqual([d]);
    await read(d, newId());
    await read(d, undefined, new Date(from.getTime() + MINUTE));
    expect(asked).toEqual([d, d, d]);
  });

  it("drops a doctor's windows when the doctor is published, and only that doctor's", async () => {
    const { asked, read, tell, tenantId } = setup();
    const [d, e] = [newId(), newId()];
    await read(d);
    await read(e);
    tell(SLOT_WINDOWS_CACHE.key(tenantId, d));
    await read(d);
    await read(e);
    expect(asked).toEqual([d, e, d]);
  });

  it('does not keep a window read while the doctor changed', async () => {
    const { asked, read, tell, hold, tenantId } = setup();
    const d = newId();
    const release = hold();
    const reading = read(d);
    await Promise.resolve();
    tell(SLOT_WINDOWS_CACHE.key(tenantId, d));
    release();
    await reading;
    await read(d);
    expect(asked).toEqual([d, d]);
  });

  it('asks once for a window many requests want at the same moment', async () => {
    const { asked, read, hold } = setup();
    const d = newId();
    const release = hold();
    const answers = Array.from({ length: 20 }, () => read(d));
    release();
    expect(new Set(await Promise.all(answers)).size).toBe(1);
    expect(asked).toEqual([d]);
  });

  it('serves a window until its stable_until, and never past the TTL', async () => {
    const { asked, read, clock, setStableUntil } = setup(5 * MINUTE);
    const d = newId();
    // The first slot begins at T0, 10 minutes from now; the TTL is 5.
    await read(d);
    clock.now += 4 * MINUTE;
    await read(d);
    expect(asked).toHaveLength(1);
    clock.now += 2 * MINUTE;
    await read(d);
    expect(asked).toHaveLength(2);
    // A hold in the window expires a minute from now.
    setStableUntil(clock.now + MINUTE);
    const e = newId();
    await read(e);
    clock.now += MINUTE;
    await read(e);
    expect(asked).toEqual([d, d, e, e]);
  });

  it('neither serves nor keeps windows while invalidations cannot arrive, and forgets all when they can again', async () => {
    const { asked, read, setLive, reset } = setup();
    const d = newId();
    await read(d);
    setLive(false);
    await read(d);
    await read(d);
    expect(asked).toEqual([d, d, d]);
    setLive(true);
    reset();
    await read(d);
    await read(d);
    expect(asked).toEqual([d, d, d, d]);
  });
});
