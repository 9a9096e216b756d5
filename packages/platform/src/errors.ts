/**
 * Domain errors: what went wrong in business terms. Handlers throw these; the
 * gRPC layer turns them into status codes and the gateway into HTTP statuses,
 * so no layer needs to know another's vocabulary.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';

export interface FieldViolation {
  field: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly grpcCode: GrpcStatus;
  readonly violations: FieldViolation[];

  constructor(message: string, violations: FieldViolation[] = []) {
    super(message);
    this.violations = violations;
  }
}

/** The request itself is malformed (a field missing, of the wrong form). */
export class InvalidArgumentError extends DomainError {
  override readonly name = 'InvalidArgumentError';
  readonly grpcCode = GrpcStatus.INVALID_ARGUMENT;
}

/** The thing addressed by the request does not exist (for this tenant). */
export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  readonly grpcCode = GrpcStatus.NOT_FOUND;
}

/** Well-formed, but the current state forbids it (unknown doctor, slot outside hours, already checked in). */
export class FailedPreconditionError extends DomainError {
  override readonly name = 'FailedPreconditionError';
  readonly grpcCode = GrpcStatus.FAILED_PRECONDITION;
}

/** It would create something that already exists (the slot is taken). */
export class AlreadyExistsError extends DomainError {
  override readonly name = 'AlreadyExistsError';
  readonly grpcCode = GrpcStatus.ALREADY_EXISTS;
}

/** HTTP status for each gRPC status code, as the gateway answers integrators. */
export function httpStatusForGrpc(code: GrpcStatus): number {
  switch (code) {
    case GrpcStatus.OK:
      return 200;
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE:
      return 400;
    case GrpcStatus.UNAUTHENTICATED:
      return 401;
    case GrpcStatus.PERMISSION_DENIED:
      return 403;
    case GrpcStatus.NOT_FOUND:
      return 404;
    case GrpcStatus.ALREADY_EXISTS:
    case GrpcStatus.ABORTED:
      return 409;
    case GrpcStatus.FAILED_PRECONDITION:
      return 422;
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return 429;
    case GrpcStatus.CANCELLED:
      return 499;
    case GrpcStatus.UNIMPLEMENTED:
      return 501;
    case GrpcStatus.UNAVAILABLE:
      return 503;
    case GrpcStatus.DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}
