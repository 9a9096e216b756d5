/** Shapes shared by the routes' request schemas, with messages an integrator can act on. */
import { isCalendarDate, MAX_PAGE_SIZE } from '@hms/platform';
import { z } from 'zod';

/** "required" when the field is missing, `invalid` when it is there but wrong. */
const message = (invalid: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : invalid);

export const uuid = z.uuid({ error: message('must be a UUID') });
export const calendarDate = z.string().refine(isCalendarDate, 'must be a calendar date, YYYY-MM-DD');
export const instant = z.iso.datetime({
  offset: true,
  error: message('must be an ISO-8601 date-time with a time zone'),
});
export const limit = z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional();
export const cursor = z.string().max(512).optional();
