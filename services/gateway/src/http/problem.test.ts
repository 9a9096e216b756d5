import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProblemSchema } from './openapi/schemas.js';
import { HttpProblem, problemOf, sendProblem } from './problem.js';

function grpcError(code: status, details: string, violations?: unknown, extensions?: object): ServiceError {
  const metadata = new Metadata();
  if (violations) metadata.set('x-field-violations-bin', Buffer.from(JSON.stringify(violations)));
  if (extensions) metadata.set('x-error-details-bin', Buffer.from(JSON.stringify(extensions)));
  return Object.assign(new Error(details), { code, details, metadata });
}

describe('problemOf', () => {
  it('maps backend statuses to HTTP with their field violations', () => {
    const invalid = problemOf(
      grpcError(status.INVALID_ARGUMENT, 'invalid request', [{ field: 'id', message: 'must be a UUID' }]),
    );
    expect(invalid).toMatchObject({
      status: 400,
      detail: 'invalid request',
      errors: [{ field: 'id', message: 'must be a UUID' }],
    });
    expect(problemOf(grpcError(status.NOT_FOUND, 'appointment x not found')).status).toBe(404);
    expect(problemOf(grpcError(status.ALREADY_EXISTS, 'slot taken')).status).toBe(409);
    expect(problemOf(grpcError(status.FAILED_PRECONDITION, 'unknown doctor')).status).toBe(422);
  });

  it('turns outages into retryable 503/504 and hides internal errors', () => {
    expect(problemOf(grpcError(status.UNAVAILABLE, 'connect ECONNREFUSED 127.0.0.1:1'))).toMatchObject({
      status: 503,
      headers: { 'retry-after': '1' },
      detail: 'a service is unavailable; retry shortly',
    });
    expect(problemOf(grpcError(status.DEADLINE_EXCEEDED, 'deadline')).status).toBe(504);
    const internal = problemOf(grpcError(status.INTERNAL, 'relation "secret_table" does not exist'));
    expect(internal).toMatchObject({ status: 500, detail: 'an internal error occurred' });
    expect(problemOf(new TypeError('x is undefined'))).toMatchObject({
      status: 500,
      detail: 'an internal error occurred',
    });
  });

  it('names every invalid field of a zod failure', () => {
    const result = z.object({ a: z.uuid(), b: z.number() }).safeParse({ a: 'x', b: 'y' });
    const problem = problemOf(result.error);
    expect(problem.status).toBe(400);
    expect(problem.errors.map((e) => e.field)).toEqual(['a', 'b']);
  });

  it('turns its own database being away into 503, not 500', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(problemOf(refused)).toMatchObject({ status: 503, headers: { 'retry-after': '1' } });
    expect(problemOf(Object.assign(new Error('x'), { code: '57P01' })).status).toBe(503);
    expect(problemOf(Object.assign(new Error('duplicate key'), { code: '23505' })).status).toBe(500);
  });

  it('maps body-parser failures and passes its own problems through', () => {
    expect(problemOf(Object.assign(new SyntaxError('x'), { type: 'entity.parse.failed' })).status).toBe(400);
    expect(problemOf(Object.assign(new Error('x'), { type: 'entity.too.large' })).status).toBe(413);
    // body-parser's rarer client errors keep their 4xx (never a 500 for bad input).
    const sizeMismatch = Object.assign(new Error('request size did not match content length'), {
      type: 'request.size.invalid',
      status: 400,
      expose: true,
    });
    expect(problemOf(sizeMismatch)).toMatchObject({ status: 400, detail: 'the request cannot be read' });
    const own = new HttpProblem(429, 'rate-limited', 'slow down', [], { 'retry-after': '3' });
    expect(problemOf(own)).toMatchObject({ status: 429, slug: 'rate-limited', headers: { 'retry-after': '3' } });
  });
});

/** The body sendProblem writes (the few Response methods it uses). */
function sentBody(problem: ReturnType<typeof problemOf>): unknown {
  let body = '';
  const res = {
    status: () => res,
    setHeader: () => res,
    type: () => res,
    getHeader: () => 'req-1',
    send: (text: string) => {
      body = text;
      return res;
    },
  };
  sendProblem(res as never, '/api/v1/x', problem);
  return JSON.parse(body);
}

describe('extension members of problems', () => {
  // Found by the e2e conformance check: a refused lifecycle step (409) carried `allowed`, which the
  // document's Problem schema (additionalProperties: false) did not name, so the reply broke it.
  it('are each named by the Problem schema of the document, and never replace a standard member', () => {
    const refusals = [
      { status: 'booked', allowed: ['check-in', 'cancel', 'reschedule', 'no-show'] },
      {
        likelyMatches: [
          { id: '0192f3c4-0000-7000-8000-000000000001', mrn: 'MRN-1', fullName: 'A', phone: null, dateOfBirth: null },
        ],
      },
      {
        affectedAppointments: [
          {
            id: '0192f3c4-0000-7000-8000-000000000002',
            patientId: '0192f3c4-0000-7000-8000-000000000001',
            startsAt: '2030-01-07T05:00:00.000Z',
            endsAt: '2030-01-07T05:15:00.000Z',
            status: 'booked',
          },
        ],
      },
      { affectedAppointments: [{ id: '0192f3c4-0000-7000-8000-000000000002', startsAt: '2030-01-07T05:00:00.000Z' }] },
      // Found by the e2e conformance check: a prescription refused until its warnings are acknowledged.
      { warnings: [{ kind: 'allergy', medicineCode: 'AMOX-500', message: 'allergy: Penicillin (severe: hives)' }] },
      // Found by schemathesis: a consultation draft saved over a newer version names the current one.
      { version: 3 },
    ];
    // The document's Problem allows no member it does not name (zod-openapi writes additionalProperties: false).
    const named = new Set(Object.keys(ProblemSchema.shape));
    const unnamed = (body: object) => Object.keys(body).filter((k) => !named.has(k));
    for (const extensions of refusals) {
      const body = sentBody(problemOf(grpcError(status.ALREADY_EXISTS, 'refused', undefined, extensions))) as object;
      expect(ProblemSchema.safeParse(body).error, JSON.stringify(body)).toBeUndefined();
      expect(unnamed(body), JSON.stringify(body)).toEqual([]);
      expect(body).toMatchObject({ status: 409 });
    }
    // The check bites: a member the schema does not name is caught.
    const other = sentBody(problemOf(grpcError(status.ALREADY_EXISTS, 'refused', undefined, { other: 1 }))) as object;
    expect(unnamed(other)).toEqual(['other']);
  });
});
