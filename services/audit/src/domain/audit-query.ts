/**
 * Paging rules of trail searches. The cursor is opaque to callers: the
 * (occurred_at, id) of the last record served, which the next page starts
 * strictly after.
 */
import { InvalidArgumentError, isUuid } from '@hms/platform';
import type { AuditCursor } from './types.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
const MAX_CURSOR_LENGTH = 200;

export function encodeCursor(cursor: AuditCursor): string {
  return Buffer.from(JSON.stringify({ at: cursor.occurredAt.toISOString(), id: cursor.id })).toString('base64url');
}

/** The position a cursor names; anything that is not a cursor of ours is INVALID_ARGUMENT. */
export function decodeCursor(value: string): AuditCursor {
  const invalid = () => new InvalidArgumentError('invalid cursor', [{ field: 'cursor', message: 'not a cursor' }]);
  if (value.length > MAX_CURSOR_LENGTH || !/^[\w-]+$/.test(value)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { at, id } = (parsed ?? {}) as { at?: unknown; id?: unknown };
  if (typeof at !== 'string' || typeof id !== 'string' || !isUuid(id)) throw invalid();
  const occurredAt = new Date(at);
  if (Number.isNaN(occurredAt.getTime()) || occurredAt.toISOString() !== at) throw invalid();
  return { occurredAt, id };
}
