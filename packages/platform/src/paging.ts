/**
 * Keyset pagination for every list: a page size with one default and one cap,
 * and an opaque cursor (base64url JSON of the last item's sort key) that a
 * caller can only hand back, never forge into something we did not issue.
 */
import { z } from 'zod';
import { InvalidArgumentError } from './errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
const MAX_CURSOR_LENGTH = 512;

/** 0 (unset) means the default; anything outside 1..MAX is refused. */
export function pageSizeOf(requested: number | undefined, field = 'pageSize'): number {
  if (!requested) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_PAGE_SIZE) {
    throw new InvalidArgumentError('invalid page size', [{ field, message: `must be 1 to ${MAX_PAGE_SIZE}` }]);
  }
  return requested;
}

export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position a cursor names; anything that is not a cursor of this shape is INVALID_ARGUMENT. */
export function decodeCursor<T>(schema: z.ZodType<T>, value: string, field = 'cursor'): T {
  const invalid = new InvalidArgumentError('invalid cursor', [{ field, message: 'not a cursor this list issued' }]);
  if (value.length > MAX_CURSOR_LENGTH || !/^[\w-]+$/.test(value)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw invalid;
  return result.data;
}

/** The cursor of an id-ordered list. */
export const idCursor = z.object({ id: z.uuid() });

/** Where a request's page starts: the position its cursor names, undefined for the first page (no cursor). */
export function positionAfter<T>(schema: z.ZodType<T>, cursor: string | undefined, field = 'cursor'): T | undefined {
  return cursor ? decodeCursor(schema, cursor, field) : undefined;
}

/** The cursor of the page after these items ('' when there is none): the last item's position. */
export function nextPageCursor<I>(
  items: readonly I[],
  more: boolean,
  positionOf: (last: I) => Record<string, string>,
): string {
  const last = items.at(-1);
  return more && last !== undefined ? encodeCursor(positionOf(last)) : '';
}
