import { dateOnly, isoDateOf, ISO_DATE, localParts } from '@hms/platform';

/** A doctor's "today": the calendar date, YYYY-MM-DD, in the clinic's time zone at `now`. */
export function serviceDayOf(now: Date, timeZone: string): string {
  return localParts(now, timeZone).date;
}

/** True for a YYYY-MM-DD that names a real day (ISO_DATE alone lets 2030-02-31 through). */
export function isCalendarDate(value: string): boolean {
  return ISO_DATE.test(value) && isoDateOf(dateOnly(value)) === value;
}
