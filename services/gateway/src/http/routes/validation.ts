/**
 * Request validation at the REST edge. A request's parts (path, query, body,
 * headers) are checked together, so one 400 names every bad field wherever it
 * is, with messages an integrator can act on.
 */
import type { Request } from 'express';
import { isCalendarDate, MAX_PAGE_SIZE, type FieldViolation } from '@hms/platform';
import { z } from 'zod';
import { HttpProblem } from '../problem.js';

/** "required" when the field is missing, `invalid` when it is there but wrong. */
const message = (invalid: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : invalid);

export const uuid = z.uuid({ error: message('must be a UUID') });
export const calendarDate = z.string({ error: message('must be a calendar date, YYYY-MM-DD') }).refine(isCalendarDate, {
  error: 'must be a calendar date, YYYY-MM-DD',
});
export const instant = z.iso.datetime({
  offset: true,
  error: message('must be an ISO-8601 date-time with a time zone'),
});
export const limit = z.coerce
  .number({ error: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  .int({ error: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  .min(1, { error: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  .max(MAX_PAGE_SIZE, { error: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  .optional();
export const cursor = z.string({ error: 'must be a cursor from a previous page' }).min(1).max(512).optional();

type RequestPart = 'params' | 'query' | 'body' | 'headers';
type PartSchemas = Partial<Record<RequestPart, z.ZodType>>;
type Parsed<S extends PartSchemas> = { [K in keyof S]: S[K] extends z.ZodType ? z.output<S[K]> : never };

/** `idempotency-key` -> `Idempotency-Key`: header names as the API documents them. */
export const headerName = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());

/** Every zod issue as field violations named as the caller wrote them (no `body.` prefix). */
export function requestViolations(error: z.ZodError): FieldViolation[] {
  return error.issues.flatMap((issue) => {
    const [part, ...path] = issue.path.map(String);
    const name = (segments: string[]) =>
      part === 'headers' && segments.length > 0 ? headerName(segments.join('.')) : segments.join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: name([...path, key]), message: 'is not a known field' }));
    }
    return [{ field: name(path) || `(${part ?? 'request'})`, message: issue.message }];
  });
}

// Routes declare their parts once, at module level: the object schema over them is built once too.
const requestSchemas = new WeakMap<PartSchemas, z.ZodType>();
function requestSchema(schemas: PartSchemas): z.ZodType {
  let schema = requestSchemas.get(schemas);
  if (!schema) {
    schema = z.object(schemas as Record<string, z.ZodType>);
    requestSchemas.set(schemas, schema);
  }
  return schema;
}

/**
 * Parses the named parts of a request, or throws one 400 problem listing every
 * violation of all of them. A missing body reads as `{}`, so its required
 * fields are named rather than the body as a whole.
 */
export function parseInput<S extends PartSchemas>(
  req: Pick<Request, 'params' | 'query' | 'body' | 'headers'>,
  schemas: S,
): Parsed<S> {
  const input = { params: req.params, query: req.query, body: (req.body as unknown) ?? {}, headers: req.headers };
  const result = requestSchema(schemas).safeParse(input);
  if (!result.success) {
    throw new HttpProblem(400, 'validation-failed', 'the request is not valid', requestViolations(result.error));
  }
  return result.data as Parsed<S>;
}
