/**
 * Finding a doctor: by department, specialization, consultation mode, language
 * and a day they have a free slot on, each with their next free slots (10),
 * from now or from the start of that day. Doctors come from storage a page at
 * a time; their calendars from the cache; the claims on their time in one
 * query for the page.
 */
import { zonedInstant } from '@hms/platform/domain';
import { slotsBetween } from './calendar.js';
import type { DoctorFilter, ReferenceData, SchedulingStore } from './scheduling-store.js';
import { withStatus } from './slots.js';
import type { Doctor, DoctorRecord, SlotWithStatus } from './types.js';

export const NEXT_FREE_SLOTS = 10;
/** How far ahead the next free slots are looked for. */
const HORIZON_DAYS = 14;
const DAY = 86_400_000;

export interface DoctorListing {
  doctor: Doctor;
  nextFreeSlots: SlotWithStatus[];
}

export async function listDoctors(
  deps: { store: SchedulingStore; reference: ReferenceData; now: () => Date },
  query: {
    tenantId: string;
    filter: DoctorFilter;
    availableOn?: string | undefined;
    limit: number;
    afterId?: string | undefined;
  },
): Promise<{ listings: DoctorListing[]; nextAfterId: string | undefined }> {
  // With a day to be free on, some doctors fall out: read more to fill the page.
  const scan = query.availableOn ? Math.min(query.limit * 4, 200) : query.limit + 1;
  const doctors = await deps.store.read(query.tenantId, (r) => r.doctors(query.filter, scan, query.afterId));
  const more = doctors.length === scan;
  const candidates = query.availableOn ? doctors : doctors.slice(0, query.limit);
  const records = (await Promise.all(candidates.map((d) => deps.reference.doctor(query.tenantId, d.id)))).filter(
    (r): r is DoctorRecord => r !== undefined,
  );
  const now = deps.now();
  const windows = new Map(
    records.map((r) => {
      const start = query.availableOn
        ? Math.max(now.getTime(), zonedInstant(query.availableOn, 0, r.doctor.timeZone).getTime())
        : now.getTime();
      return [r.doctor.id, { from: new Date(start), to: new Date(start + HORIZON_DAYS * DAY) }];
    }),
  );
  const earliest = Math.min(...[...windows.values()].map((w) => w.from.getTime()));
  const latest = Math.max(...[...windows.values()].map((w) => w.to.getTime()));
  const claims =
    records.length === 0
      ? new Map()
      : await deps.store.read(query.tenantId, (r) =>
          r.claims(
            records.map((x) => x.doctor.id),
            new Date(earliest),
            new Date(latest),
          ),
        );
  const listings: DoctorListing[] = [];
  let lastScanned: string | undefined;
  for (const record of records) {
    if (listings.length === query.limit) break;
    lastScanned = record.doctor.id;
    const window = windows.get(record.doctor.id)!;
    const slots = withStatus(
      slotsBetween(record.doctor, record.calendar, window.from, window.to),
      claims.get(record.doctor.id) ?? [],
      now,
    ).filter((s) => s.status === 'FREE');
    if (query.availableOn && !slots.some((s) => s.serviceDate === query.availableOn)) continue;
    listings.push({ doctor: record.doctor, nextFreeSlots: slots.slice(0, NEXT_FREE_SLOTS) });
  }
  const scannedAll = lastScanned === candidates.at(-1)?.id;
  const nextAfterId = query.availableOn
    ? more || !scannedAll
      ? lastScanned
      : undefined
    : more
      ? listings.at(-1)?.doctor.id
      : undefined;
  return { listings, nextAfterId };
}
