/**
 * The one translation between domain errors, gRPC status codes and HTTP
 * statuses. Backends map what their use cases throw; the gateway maps what a
 * backend answered.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { DomainErrorKind } from '../errors.js';

const CODE_OF_KIND: Record<DomainErrorKind, GrpcStatus> = {
  'invalid-argument': GrpcStatus.INVALID_ARGUMENT,
  'not-found': GrpcStatus.NOT_FOUND,
  'failed-precondition': GrpcStatus.FAILED_PRECONDITION,
  'already-exists': GrpcStatus.ALREADY_EXISTS,
  conflict: GrpcStatus.ABORTED,
  'permission-denied': GrpcStatus.PERMISSION_DENIED,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
  'resource-exhausted': GrpcStatus.RESOURCE_EXHAUSTED,
  'deadline-exceeded': GrpcStatus.DEADLINE_EXCEEDED,
  unavailable: GrpcStatus.UNAVAILABLE,
};

/** The gRPC status code a domain error of this kind is answered with. */
export function grpcCodeOfKind(kind: DomainErrorKind): GrpcStatus {
  return CODE_OF_KIND[kind];
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
