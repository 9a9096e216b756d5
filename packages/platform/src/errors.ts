/**
 * Domain errors: what went wrong in business terms, with no transport in them.
 * Use cases throw these; the gRPC layer maps each kind to a status code
 * (grpc/status.ts) and the gateway maps status codes to HTTP statuses, so no
 * layer needs to know another's vocabulary.
 */

export interface FieldViolation {
  field: string;
  message: string;
}

/** The kinds of failure a caller can act on; each maps to one gRPC status code. */
export type DomainErrorKind =
  | 'invalid-argument'
  | 'not-found'
  | 'failed-precondition'
  | 'already-exists'
  | 'conflict'
  | 'permission-denied'
  | 'unauthenticated'
  | 'resource-exhausted'
  | 'deadline-exceeded'
  | 'unavailable';

/**
 * What a caller may need beyond the message and the fields to act on the
 * refusal (the likely duplicates of a patient, the appointments a calendar
 * change would strand): plain JSON, carried to the gateway and shown there as
 * members of the problem.
 */
export type ErrorDetails = Readonly<Record<string, unknown>>;

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  readonly violations: FieldViolation[];
  /**
   * A finer reason than the kind, in lower-kebab-case (`quota-exceeded`): it
   * travels with the status (gRPC metadata) and becomes the type of the
   * gateway's problem, so an integrator can tell two 403s apart.
   */
  readonly reason?: string;
  readonly details: ErrorDetails | undefined;

  constructor(message: string, violations: FieldViolation[] = [], details?: ErrorDetails) {
    super(message);
    this.violations = violations;
    this.details = details;
  }
}

/** The request itself is malformed (a field missing, of the wrong form). */
export class InvalidArgumentError extends DomainError {
  override readonly name: string = 'InvalidArgumentError';
  readonly kind = 'invalid-argument' as const;
}

/** The thing addressed by the request does not exist (for this tenant). */
export class NotFoundError extends DomainError {
  override readonly name: string = 'NotFoundError';
  readonly kind = 'not-found' as const;
}

/** Well-formed, but the current state forbids it (unknown doctor, slot outside hours, already checked in). */
export class FailedPreconditionError extends DomainError {
  override readonly name: string = 'FailedPreconditionError';
  readonly kind = 'failed-precondition' as const;
}

/** It would create something that already exists (the slot is taken). */
export class AlreadyExistsError extends DomainError {
  override readonly name: string = 'AlreadyExistsError';
  readonly kind = 'already-exists' as const;
}

/**
 * It clashes with the state another request left, or with what the same key
 * was first used for (an idempotency key replayed with a different request).
 */
export class ConflictError extends DomainError {
  override readonly name: string = 'ConflictError';
  readonly kind = 'conflict' as const;
}

/** The caller is known but may not do this. */
export class PermissionDeniedError extends DomainError {
  override readonly name: string = 'PermissionDeniedError';
  readonly kind = 'permission-denied' as const;
}

/**
 * Creating this would go past a limit of the tenant's plan (users, doctors,
 * patients, appointments per month): a 403 naming the quota.
 */
export class QuotaExceededError extends PermissionDeniedError {
  override readonly name: string = 'QuotaExceededError';
  override readonly reason = 'quota-exceeded';

  constructor(
    readonly quota: string,
    readonly limit: number,
  ) {
    super(`the plan's quota ${quota} (${limit}) is used up`, [
      { field: quota, message: `the plan allows ${limit}; upgrade the plan or free some up` },
    ]);
  }
}

/** The caller could not be identified (no or an invalid credential). */
export class UnauthenticatedError extends DomainError {
  override readonly name: string = 'UnauthenticatedError';
  readonly kind = 'unauthenticated' as const;
}

/** The caller stopped waiting before the work could start (or finish). */
export class DeadlineExceededError extends DomainError {
  override readonly name: string = 'DeadlineExceededError';
  readonly kind = 'deadline-exceeded' as const;
}
