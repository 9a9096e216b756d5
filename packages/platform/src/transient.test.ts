import { PrismaClientKnownRequestError } from '@prisma/client-runtime-utils';
import { DatabaseError } from 'pg';
import { describe, expect, it } from 'vitest';
import { backoffDelay, isTransientError } from './transient.js';

const clientVersion = '7.10.0';

/** What PostgreSQL errors look like from node-postgres. */
function pgError(code: string, message = 'server said no'): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  error.severity = 'ERROR';
  return error;
}

/** Prisma's error for a raw query through @prisma/adapter-pg, as observed with Prisma 7.10. */
function prismaRawQueryError(cause: Record<string, unknown>): PrismaClientKnownRequestError {
  return new PrismaClientKnownRequestError(`Raw query failed. Code: \`${String(cause.originalCode ?? 'N/A')}\``, {
    code: 'P2010',
    clientVersion,
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });
}

describe('isTransientError', () => {
  it("retries Prisma's transaction timeout and maxWait (P2028)", () => {
    const expired = new PrismaClientKnownRequestError(
      'Transaction API error: A query cannot be executed on an expired transaction.',
      { code: 'P2028', clientVersion, meta: { operation: 'query', timeout: 5000, timeTaken: 5300 } },
    );
    const couldNotStart = new PrismaClientKnownRequestError(
      'Transaction API error: Unable to start a transaction in the given time.',
      { code: 'P2028', clientVersion, meta: {} },
    );
    expect(isTransientError(expired)).toBe(true);
    expect(isTransientError(couldNotStart)).toBe(true);
  });

  it("retries pg-pool's connect timeout, which carries no code", () => {
    // Exactly what pg-pool raises when no client frees up within connectionTimeoutMillis.
    expect(isTransientError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientError(new Error('Connection terminated due to connection timeout'))).toBe(true);
  });

  it('retries PostgreSQL outages, conflicts and resource shortages by SQLSTATE', () => {
    for (const code of ['57P01', '57P03', '08006', '08001', '53300', '53100', '40001', '40P01', '55P03', '25P03']) {
      expect(isTransientError(pgError(code)), code).toBe(true);
    }
  });

  it('reads the driver error Prisma wraps in a raw-query failure (P2010)', () => {
    expect(
      isTransientError(
        prismaRawQueryError({ kind: 'postgres', code: '57P01', originalCode: '57P01', severity: 'FATAL' }),
      ),
    ).toBe(true);
    expect(isTransientError(prismaRawQueryError({ kind: 'TransactionWriteConflict', originalCode: '40P01' }))).toBe(
      true,
    );
    expect(isTransientError(prismaRawQueryError({ kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 1 }))).toBe(
      true,
    );
    expect(isTransientError(prismaRawQueryError({ kind: 'InvalidInputValue', originalCode: '22P02' }))).toBe(false);
    expect(
      isTransientError(prismaRawQueryError({ kind: 'UniqueConstraintViolation', originalCode: '23505', table: 't' })),
    ).toBe(false);
  });

  it('recognises network, Prisma connection and Kafka outages, also when wrapped', () => {
    expect(isTransientError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(
      isTransientError(new PrismaClientKnownRequestError("Can't reach database", { code: 'P1001', clientVersion })),
    ).toBe(true);
    expect(isTransientError(Object.assign(new Error('x'), { retriable: true }))).toBe(true);
    const kafkaDown = Object.assign(new Error('Connection error: connect ECONNREFUSED'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      retriable: false,
    });
    expect(isTransientError(kafkaDown)).toBe(true);
    expect(
      isTransientError(new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ECONNRESET' }) })),
    ).toBe(true);
    expect(
      isTransientError(new AggregateError([new Error('a'), Object.assign(new Error('b'), { code: 'ETIMEDOUT' })])),
    ).toBe(true);
  });

  it('treats data and programming errors as permanent', () => {
    expect(isTransientError(pgError('23505', 'duplicate key value violates unique constraint'))).toBe(false);
    expect(isTransientError(pgError('22P02', 'invalid input syntax for type uuid'))).toBe(false);
    expect(
      isTransientError(new PrismaClientKnownRequestError('Unique constraint', { code: 'P2002', clientVersion })),
    ).toBe(false);
    expect(isTransientError(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(isTransientError(undefined)).toBe(false);
    expect(isTransientError('a string')).toBe(false);
  });

  it('decides by the code where one exists, never by words in the message', () => {
    // A constraint violation whose message happens to mention a lost connection is still a constraint violation.
    expect(isTransientError(pgError('23514', 'Connection terminated unexpectedly'))).toBe(false);
    expect(
      isTransientError(
        new PrismaClientKnownRequestError('timeout exceeded when trying to connect', { code: 'P2003', clientVersion }),
      ),
    ).toBe(false);
    // Text that merely resembles a driver message is not one.
    expect(isTransientError(new Error('the audit said: Connection terminated unexpectedly, retry'))).toBe(false);
    expect(isTransientError(new Error('could not connect: Connection refused'))).toBe(false);
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
