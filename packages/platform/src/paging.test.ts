import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidArgumentError } from './errors.js';
import { decodeCursor, encodeCursor, idCursor, nextPageCursor, pageSizeOf, positionAfter } from './paging.js';

describe('paging', () => {
  it('round-trips a cursor and refuses anything it did not issue', () => {
    const id = '01900000-0000-7000-8000-000000000001';
    expect(decodeCursor(idCursor, encodeCursor({ id }))).toEqual({ id });
    for (const bad of [
      '',
      'not base64 !',
      encodeCursor({ id: 'x' }),
      Buffer.from('{"id":').toString('base64url'),
      'a'.repeat(600),
    ]) {
      expect(() => decodeCursor(idCursor, bad)).toThrow(InvalidArgumentError);
    }
    expect(() => decodeCursor(z.object({ at: z.iso.datetime() }), encodeCursor({ id }))).toThrow(/invalid cursor/);
  });

  it('defaults and caps the page size', () => {
    expect(pageSizeOf(0)).toBe(50);
    expect(pageSizeOf(undefined)).toBe(50);
    expect(pageSizeOf(200)).toBe(200);
    expect(() => pageSizeOf(201)).toThrow(InvalidArgumentError);
    expect(() => pageSizeOf(-1)).toThrow(InvalidArgumentError);
    expect(() => pageSizeOf(1.5)).toThrow(InvalidArgumentError);
  });

  it('starts a page after the position a cursor names, and names the next page only when there is one', () => {
    const id = '01900000-0000-7000-8000-000000000001';
    expect(positionAfter(idCursor, undefined)).toBeUndefined();
    expect(positionAfter(idCursor, '')).toBeUndefined();
    expect(positionAfter(idCursor, encodeCursor({ id }))).toEqual({ id });
    expect(() => positionAfter(idCursor, 'forged!', 'after')).toThrow(InvalidArgumentError);
    const items = [{ code: 'A' }, { code: 'B' }];
    expect(
      decodeCursor(
        z.object({ code: z.string() }),
        nextPageCursor(items, true, (l) => ({ code: l.code })),
      ),
    ).toEqual({ code: 'B' });
    expect(nextPageCursor(items, false, (l) => ({ code: l.code }))).toBe('');
    expect(nextPageCursor([], true, () => ({ code: 'x' }))).toBe('');
  });
});
