import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ConflictError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
} from './errors.js';
import { httpStatusForGrpc } from './grpc/status.js';
import { toServiceError } from './grpc/server.js';
import { fieldViolationsOf } from './grpc/client.js';

describe('error mapping', () => {
  it('maps domain errors to gRPC codes and on to HTTP statuses', () => {
    const cases: [Error, status, number][] = [
      [new InvalidArgumentError('x'), status.INVALID_ARGUMENT, 400],
      [new NotFoundError('x'), status.NOT_FOUND, 404],
      [new AlreadyExistsError('x'), status.ALREADY_EXISTS, 409],
      [new ConflictError('x'), status.ABORTED, 409],
      [new FailedPreconditionError('x'), status.FAILED_PRECONDITION, 422],
      [new PermissionDeniedError('x'), status.PERMISSION_DENIED, 403],
      [new UnauthenticatedError('x'), status.UNAUTHENTICATED, 401],
      [new DeadlineExceededError('x'), status.DEADLINE_EXCEEDED, 504],
    ];
    for (const [error, code, http] of cases) {
      const s = toServiceError(error);
      expect(s.code).toBe(code);
      expect(httpStatusForGrpc(s.code)).toBe(http);
    }
    expect(httpStatusForGrpc(status.UNAVAILABLE)).toBe(503);
    expect(httpStatusForGrpc(status.DEADLINE_EXCEEDED)).toBe(504);
    expect(httpStatusForGrpc(status.INTERNAL)).toBe(500);
  });

  it('carries field violations to the caller', () => {
    const s = toServiceError(new InvalidArgumentError('bad', [{ field: 'doctorId', message: 'must be a UUID' }]));
    const error = Object.assign(new Error(s.details), {
      code: s.code,
      details: s.details ?? '',
      metadata: s.metadata ?? new Metadata(),
    });
    expect(fieldViolationsOf(error)).toEqual([{ field: 'doctorId', message: 'must be a UUID' }]);
  });

  it('turns outages into UNAVAILABLE and hides unexpected errors', () => {
    expect(toServiceError(Object.assign(new Error('down'), { code: 'ECONNREFUSED' })).code).toBe(status.UNAVAILABLE);
    const internal = toServiceError(new Error('secret detail: password=hunter2'));
    expect(internal.code).toBe(status.INTERNAL);
    expect(internal.details).toBe('internal error');
  });
});
