/**
 * The answers to `GET /doctors/{id}/slots`, kept in this process per tenant,
 * doctor and window, so that a window read again is served without the gRPC
 * call and the database read behind it (JSON ready to send).
 *
 * Never stale past a change: the appointments service publishes the doctor on
 * the platform's cache invalidation channel once any change to their holds,
 * bookings or calendar commits, before it answers, and this process then drops
 * every window of that doctor. A window read while a change is under way is
 * kept only if no invalidation of the doctor came in meanwhile. Nor stale with
 * time: an answer holds until its first slot begins or a hold in it expires
 * (`stable_until`, from the service), and never longer than `ttlMs`.
 *
 * While the invalidation channel is down (Redis away) windows are neither
 * served nor kept, and once it is back this process empties them all, since
 * changes may have gone unheard meanwhile.
 */
import { currentTenantId, type CacheInvalidations } from '@hms/platform';
import { fromTimestamp, SLOT_WINDOWS_CACHE, toTimestamp } from '@hms/proto';
import { LRUCache } from 'lru-cache';
import type { Counter } from 'prom-client';
import type { Backends } from './backends.js';
import { slotsJson } from './scheduling-json.js';

export interface SlotWindows {
  /** The window's JSON body for a doctor of the asking request's tenant (a problem from the backend if refused). */
  get(doctorId: string, from: Date, to: Date): Promise<string>;
}

export interface SlotWindowsOptions {
  backends: Pick<Backends, 'calendar'>;
  /** Without it (or while it is down) every read goes to the backend. */
  invalidations?: CacheInvalidations | undefined;
  /** The platform's look-up counter (hms_cache_lookups_total): hit or miss. */
  lookups?: Counter<'cache' | 'result'> | undefined;
  /** The longest a window is served (a lost invalidation is stale this long at most; default 60 s). */
  ttlMs?: number;
  /** Doctors whose windows are kept (least recently read dropped first). */
  maxDoctors?: number;
  /** Windows kept per doctor. */
  maxWindowsPerDoctor?: number;
  now?: () => number;
}

interface Window {
  body: string;
  /** Served until then (ms). */
  until: number;
}

/** One doctor's windows; a new object after every invalidation, so a read begun before it cannot keep its answer. */
interface DoctorWindows {
  windows: Map<string, Window>;
  loading: Map<string, Promise<Window>>;
}

export function createSlotWindows(options: SlotWindowsOptions): SlotWindows {
  const { invalidations, lookups } = options;
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? 60_000;
  const maxWindows = options.maxWindowsPerDoctor ?? 16;
  const doctors = new LRUCache<string, DoctorWindows>({ max: options.maxDoctors ?? 5_000 });
  invalidations?.listen(SLOT_WINDOWS_CACHE.name, {
    onKey: (key) => void doctors.delete(key),
    onReset: () => doctors.clear(),
  });

  const load = async (doctorId: string, from: Date, to: Date): Promise<Window> => {
    const window = await options.backends.calendar.call.listSlots({
      doctorId,
      from: toTimestamp(from),
      to: toTimestamp(to),
    });
    const stable = fromTimestamp(window.stableUntil)?.getTime() ?? Number.POSITIVE_INFINITY;
    return { body: slotsJson(window), until: Math.min(stable, now() + ttlMs) };
  };

  return {
    async get(doctorId, from, to) {
      if (!invalidations?.live) {
        lookups?.inc({ cache: SLOT_WINDOWS_CACHE.name, result: 'miss' });
        return (await load(doctorId, from, to)).body;
      }
      const key = SLOT_WINDOWS_CACHE.key(currentTenantId('the slot windows'), doctorId);
      const windowKey = `${from.getTime()}:${to.getTime()}`;
      let entry = doctors.get(key);
      const kept = entry?.windows.get(windowKey);
      if (kept && kept.until > now()) {
        lookups?.inc({ cache: SLOT_WINDOWS_CACHE.name, result: 'hit' });
        return kept.body;
      }
      lookups?.inc({ cache: SLOT_WINDOWS_CACHE.name, result: 'miss' });
      if (!entry) {
        entry = { windows: new Map(), loading: new Map() };
        doctors.set(key, entry);
      }
      const mine = entry;
      // One read per window at a time: the others asking for it meanwhile wait for its answer.
      let loading = mine.loading.get(windowKey);
      if (!loading) {
        loading = load(doctorId, from, to).finally(() => mine.loading.delete(windowKey));
        mine.loading.set(windowKey, loading);
        void loading.then(
          (window) => {
            // Kept only if the doctor was not invalidated (or evicted) while it was read.
            if (doctors.peek(key) !== mine || !invalidations.live) return;
            if (mine.windows.size >= maxWindows) mine.windows.delete(mine.windows.keys().next().value!);
            mine.windows.set(windowKey, window);
          },
          () => undefined,
        );
      }
      return (await loading).body;
    },
  };
}
