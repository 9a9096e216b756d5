import { localParts } from '@hms/platform/domain';

/** A doctor's "today": the calendar date, YYYY-MM-DD, in the clinic's time zone at `now`. */
export function serviceDayOf(now: Date, timeZone: string): string {
  return localParts(now, timeZone).date;
}
