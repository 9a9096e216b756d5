import { describe, expect, it } from 'vitest';
import { nulViolations } from './validation.js';

describe('nulViolations', () => {
  it('names every string holding a NUL character, at any depth, field names included', () => {
    expect(nulViolations({ reason: 'fine', items: [{ description: 'ok' }], n: 5, b: Buffer.from([0]) })).toEqual([]);
    expect(
      nulViolations({
        reason: 'a\u0000b',
        items: [{ description: 'ok' }, { description: '\u0000' }],
        tags: ['x', 'y\u0000'],
        ['k\u0000']: 'v',
      }),
    ).toEqual([
      { field: 'reason', message: 'must not contain NUL characters' },
      { field: 'items.1.description', message: 'must not contain NUL characters' },
      { field: 'tags.1', message: 'must not contain NUL characters' },
      { field: 'k\\u0000', message: 'the field name must not contain NUL characters' },
    ]);
    expect(nulViolations('\u0000')).toEqual([{ field: '(request)', message: 'must not contain NUL characters' }]);
  });

  it('stops at 20, so a hostile request cannot make a huge answer', () => {
    expect(nulViolations(Array.from({ length: 1000 }, () => '\u0000'))).toHaveLength(20);
  });
});
