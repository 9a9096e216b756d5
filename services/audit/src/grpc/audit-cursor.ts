/**
 * Paging rules of trail searches. The cursor is opaque to callers: the
 * (occurred_at, id) of the last record served, which the next page starts
 * strictly after.
 */
import { decodeCursor as decodePosition, encodeCursor as encodePosition } from '@hms/platform';
import { z } from 'zod';
import type { AuditCursor } from '../domain/types.js';

const position = z.object({ at: z.iso.datetime({ precision: 3 }), id: z.uuid() });

export function encodeCursor(cursor: AuditCursor): string {
  return encodePosition({ at: cursor.occurredAt.toISOString(), id: cursor.id });
}

/** The position a cursor names; anything that is not a cursor of ours is INVALID_ARGUMENT. */
export function decodeCursor(value: string): AuditCursor {
  const { at, id } = decodePosition(position, value);
  return { occurredAt: new Date(at), id };
}
