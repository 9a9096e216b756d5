import { InvalidArgumentError } from '@hms/platform';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './audit-cursor.js';

const cursor = { occurredAt: new Date('2030-01-07T05:00:00.123Z'), id: '0192f0a0-0000-7000-8000-000000000001' };

describe('audit cursors', () => {
  it('round-trip the position they name', () => {
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[\w-]+$/);
    expect(decodeCursor(encoded)).toEqual(cursor);
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['JSON of another shape', Buffer.from('[1,2]').toString('base64url')],
    ['a bad id', Buffer.from(JSON.stringify({ at: '2030-01-07T05:00:00.000Z', id: 'x' })).toString('base64url')],
    ['a bad time', Buffer.from(JSON.stringify({ at: 'yesterday', id: cursor.id })).toString('base64url')],
    ['far too long', 'a'.repeat(1_000)],
  ])('refuse %s as INVALID_ARGUMENT', (_what, value) => {
    expect(() => decodeCursor(value)).toThrow(InvalidArgumentError);
  });
});
