import { describe, expect, it } from 'vitest';
import { backoffDelay, isTransientError } from './transient.js';

describe('isTransientError', () => {
  it('recognises database, network, Prisma and Kafka outages', () => {
    expect(isTransientError(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('x'), { code: 'P1001' }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('x'), { retriable: true }))).toBe(true);
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isTransientError(new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ECONNRESET' }) })),
    ).toBe(true);
    expect(
      isTransientError(new AggregateError([new Error('a'), Object.assign(new Error('b'), { code: 'ETIMEDOUT' })])),
    ).toBe(true);
  });

  it('treats data and programming errors as permanent', () => {
    expect(isTransientError(Object.assign(new Error('dup'), { code: '23505' }))).toBe(false);
    expect(isTransientError(Object.assign(new Error('dup'), { code: 'P2002' }))).toBe(false);
    expect(isTransientError(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(isTransientError(undefined)).toBe(false);
    expect(isTransientError('a string')).toBe(false);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially within its cap', () => {
    for (let attempt = 1; attempt <= 20; attempt += 1) {
      const ceiling = Math.min(5_000, 100 * 2 ** (attempt - 1));
      const delay = backoffDelay(attempt, 100, 5_000);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });
});
