/**
 * Local calendar facts of a UTC instant in an IANA time zone, via Intl. HMS
 * stores and sends instants in UTC; a clinic's day, hours and weekdays are
 * local, so rules about them go through these.
 */

export interface LocalParts {
  /** YYYY-MM-DD */
  date: string;
  /** Minutes after local midnight. */
  minuteOfDay: number;
  /** ISO weekday: 1 = Monday ... 7 = Sunday. */
  isoWeekday: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function localParts(instant: Date, timeZone: string): LocalParts {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minuteOfDay: Number(parts.hour) * 60 + Number(parts.minute),
    isoWeekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
    second: Number(parts.second),
  };
}

/** A YYYY-MM-DD string as the Date Postgres DATE columns map to (UTC midnight). */
export function dateOnly(isoDate: string): Date {
  return new Date(`${isoDate}T00:00:00.000Z`);
}

/** A DATE column value back to YYYY-MM-DD. */
export function isoDateOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** True for a YYYY-MM-DD that names a real day (ISO_DATE alone lets 2030-02-31 through). */
export function isCalendarDate(value: string): boolean {
  return ISO_DATE.test(value) && isoDateOf(dateOnly(value)) === value;
}

const DAY_MS = 86_400_000;

/** `date` (YYYY-MM-DD) moved by `days` calendar days. */
export function addDays(date: string, days: number): string {
  return isoDateOf(new Date(dateOnly(date).getTime() + days * DAY_MS));
}

/** ISO weekday of a calendar date: 1 = Monday ... 7 = Sunday. */
export function isoWeekdayOf(date: string): number {
  const day = dateOnly(date).getUTCDay();
  return day === 0 ? 7 : day;
}

/** Minutes the zone is ahead of UTC at `instant` (negative west of Greenwich). */
export function zoneOffsetMinutes(instant: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return Math.round((wall - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/**
 * The instant at which a clock in `timeZone` shows `minuteOfDay` minutes past
 * midnight of `date` (minuteOfDay may be 1440: the next midnight). Wall times
 * a daylight-saving change skips are moved forward by the gap, and wall times
 * it repeats resolve to the earlier instant (Temporal's "compatible" rule), so
 * every local time names exactly one instant.
 */
// Calendars ask for the same few local times (session starts and ends) on every booking; each answer
// costs several Intl look-ups, and the zone rules never change within a process.
const zonedInstants = new Map<string, number>();
const ZONED_INSTANTS_MAX = 50_000;

export function zonedInstant(date: string, minuteOfDay: number, timeZone: string): Date {
  const key = `${timeZone}|${date}|${minuteOfDay}`;
  const known = zonedInstants.get(key);
  if (known !== undefined) return new Date(known);
  const instant = computeZonedInstant(date, minuteOfDay, timeZone);
  if (zonedInstants.size >= ZONED_INSTANTS_MAX) zonedInstants.clear();
  zonedInstants.set(key, instant.getTime());
  return instant;
}

function computeZonedInstant(date: string, minuteOfDay: number, timeZone: string): Date {
  const wall = dateOnly(date).getTime() + minuteOfDay * 60_000;
  // A zone changes offset at most once in any two days: the offsets a day
  // before and a day after are the only candidates.
  const before = zoneOffsetMinutes(new Date(wall - DAY_MS), timeZone);
  const after = zoneOffsetMinutes(new Date(wall + DAY_MS), timeZone);
  const candidates = [...new Set([before, after])]
    .map((offset) => wall - offset * 60_000)
    .filter((t) => {
      const local = localParts(new Date(t), timeZone);
      return local.date === isoDateOf(new Date(wall)) && local.minuteOfDay === Math.round((wall % DAY_MS) / 60_000);
    })
    .sort((a, b) => a - b);
  // No candidate: the wall time falls in a gap; the offset before the change moves it forward.
  return new Date(candidates[0] ?? wall - before * 60_000);
}
