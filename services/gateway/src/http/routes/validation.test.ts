import { describe, expect, it } from 'vitest';
import type { HttpProblem } from '../problem.js';
import { appointmentIdRequest, bookAppointmentRequest } from './appointments.js';
import { queryAuditRequest } from './audit.js';
import { listBillsRequest } from './bills.js';
import { getQueueRequest } from './queues.js';
import { parseInput } from './validation.js';

const id = '01900000-0000-7000-8000-0000000000aa';

/** A request's parts as Express hands them over. */
function req(parts: { params?: object; query?: object; body?: unknown; headers?: object }) {
  return { params: {}, query: {}, headers: {}, body: undefined, ...parts } as Parameters<typeof parseInput>[0];
}

function violations(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (error) {
    const problem = error as HttpProblem;
    expect(problem.status).toBe(400);
    return Object.fromEntries(problem.errors.map((e) => [e.field, e.message]));
  }
  throw new Error('expected the request to be refused');
}

describe('request validation', () => {
  it('accepts a booking and passes the idempotency key on', () => {
    const parsed = parseInput(
      req({
        body: { patientId: id, doctorId: id, startsAt: '2030-01-07T10:30:00+05:30', reason: 'fever' },
        headers: { 'idempotency-key': 'retry-1', host: 'x' },
      }),
      bookAppointmentRequest,
    );
    expect(parsed.body.startsAt).toBe('2030-01-07T10:30:00+05:30');
    expect(parsed.headers['idempotency-key']).toBe('retry-1');
  });

  it('names every bad field of a booking at once, body and header alike', () => {
    const errors = violations(() =>
      parseInput(
        req({
          body: { patientId: 7, startsAt: '2030-01-07T10:30:00', reason: 'r'.repeat(501), tenantId: id },
          headers: { 'idempotency-key': 'has a space' },
        }),
        bookAppointmentRequest,
      ),
    );
    expect(errors).toEqual({
      patientId: 'must be a UUID',
      doctorId: 'required',
      // A time without an offset is ambiguous: the clinic's, the server's or UTC?
      startsAt: 'must be an ISO-8601 date-time with a time zone',
      reason: 'must be at most 500 characters',
      tenantId: 'is not a known field',
      'Idempotency-Key': 'must be 1 to 200 visible ASCII characters',
    });
  });

  it('reads a missing body as empty, so each required field is named', () => {
    expect(Object.keys(violations(() => parseInput(req({}), bookAppointmentRequest))).sort()).toEqual([
      'doctorId',
      'patientId',
      'startsAt',
    ]);
    expect(violations(() => parseInput(req({ body: [] }), bookAppointmentRequest))).toHaveProperty('(body)');
  });

  it('checks path ids, calendar dates, page sizes and unknown query parameters', () => {
    expect(
      violations(() => parseInput(req({ params: { id: 'abc' }, query: { expand: 'all' } }), appointmentIdRequest)),
    ).toEqual({ id: 'must be a UUID', expand: 'is not a known field' });
    expect(
      violations(() => parseInput(req({ params: { doctorId: 'x' }, query: { date: '2030-02-30' } }), getQueueRequest)),
    ).toEqual({ doctorId: 'must be a UUID', date: 'must be a calendar date, YYYY-MM-DD' });
    expect(parseInput(req({ params: { doctorId: id }, query: {} }), getQueueRequest).query.date).toBeUndefined();
    for (const limit of ['0', '201', '1.5', 'ten', '']) {
      expect(violations(() => parseInput(req({ query: { limit } }), listBillsRequest))).toHaveProperty('limit');
    }
    expect(parseInput(req({ query: { limit: '200', patientId: id } }), listBillsRequest).query).toEqual({
      limit: 200,
      patientId: id,
    });
    // The tenant is the token's: a tenant in the query is refused, never used.
    expect(violations(() => parseInput(req({ query: { tenantId: id } }), listBillsRequest))).toEqual({
      tenantId: 'is not a known field',
    });
    expect(
      violations(() =>
        parseInput(req({ query: { entityId: 'e', from: 'yesterday', limit: ['1', '2'] } }), queryAuditRequest),
      ),
    ).toHaveProperty('from');
    expect(
      Object.keys(
        violations(() => parseInput(req({ query: { entityId: 'e', limit: ['1', '2'] } }), queryAuditRequest)),
      ).sort(),
    ).toEqual(['entityId', 'limit']);
  });
});
