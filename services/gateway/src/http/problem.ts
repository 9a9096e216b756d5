/**
 * Errors at the REST edge as RFC 9457 problem details
 * (application/problem+json). Every failure becomes one: bad input a 4xx that
 * names the fields, a backend's gRPC status its HTTP counterpart, an outage a
 * 503 with Retry-After, and anything unexpected a 500 that reveals nothing.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  currentContext,
  DomainError,
  errorDetailsOf,
  errorReasonOf,
  fieldViolationsOf,
  grpcCodeOfKind,
  httpStatusForGrpc,
  isServiceError,
  isTransientError,
  violationsOf,
  type FieldViolation,
  type Logger,
} from '@hms/platform';
import { ZodError } from 'zod';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** A failure the gateway itself decides (auth, validation, unknown route, rate limit). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    detail: string,
    readonly errors: FieldViolation[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export interface Problem {
  status: number;
  slug: string;
  detail: string;
  errors: FieldViolation[];
  headers: Record<string, string>;
  /** Extension members a backend attached to its refusal (e.g. likelyMatches); never the standard ones. */
  extensions?: Record<string, unknown> | undefined;
}

/** The members RFC 9457 and our own problems define; a backend's details never replace them. */
const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'requestId', 'errors']);

const BODY_PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'malformed-json', 'the request body is not valid JSON'],
  'entity.too.large': [413, 'body-too-large', 'the request body is too large'],
  'charset.unsupported': [415, 'unsupported-charset', 'the request body charset is not supported'],
  'encoding.unsupported': [415, 'unsupported-encoding', 'the request body encoding is not supported'],
  'request.aborted': [400, 'request-aborted', 'the request was aborted'],
};

const UNAVAILABLE: Problem = {
  status: 503,
  slug: 'service-unavailable',
  detail: 'a service is unavailable; retry shortly',
  errors: [],
  headers: { 'retry-after': '1' },
};
const INTERNAL: Problem = {
  status: 500,
  slug: 'internal-error',
  detail: 'an internal error occurred',
  errors: [],
  headers: {},
};

/** The problem a thrown error stands for. */
export function problemOf(error: unknown): Problem {
  if (error instanceof HttpProblem) {
    return {
      status: error.status,
      slug: error.slug,
      detail: error.message,
      errors: error.errors,
      headers: error.headers,
    };
  }
  // The gateway's own use cases (identity) throw domain errors as the backends' do.
  if (error instanceof DomainError) {
    const status = httpStatusForGrpc(grpcCodeOfKind(error.kind));
    if (status >= 500) return status === 503 ? UNAVAILABLE : INTERNAL;
    return {
      status,
      slug: error.reason ?? slugOf(status),
      detail: error.message,
      errors: error.violations,
      headers: {},
      extensions: error.details,
    };
  }
  if (error instanceof ZodError) {
    return {
      status: 400,
      slug: 'validation-failed',
      detail: 'the request is not valid',
      errors: violationsOf(error),
      headers: {},
    };
  }
  const bodyError = (error as { type?: string } | null)?.type;
  if (bodyError && BODY_PARSER_ERRORS[bodyError]) {
    const [status, slug, detail] = BODY_PARSER_ERRORS[bodyError];
    return { status, slug, detail, errors: [], headers: {} };
  }
  // Any other client error http-errors marks as safe to show (body-parser's rarer ones).
  const httpError = error as { expose?: unknown; status?: unknown } | null;
  if (
    httpError?.expose === true &&
    typeof httpError.status === 'number' &&
    httpError.status >= 400 &&
    httpError.status < 500
  ) {
    const status = httpError.status;
    return { status, slug: slugOf(status), detail: 'the request cannot be read', errors: [], headers: {} };
  }
  if (isServiceError(error)) {
    const status = httpStatusForGrpc(error.code);
    if (error.code === GrpcStatus.UNAVAILABLE) return UNAVAILABLE;
    if (error.code === GrpcStatus.DEADLINE_EXCEEDED) {
      return {
        status,
        slug: 'timeout',
        detail: 'a service did not answer in time; retry shortly',
        errors: [],
        headers: { 'retry-after': '1' },
      };
    }
    // A backend refusing the gateway's own token is our misconfiguration (keys), never the client's fault.
    if (error.code === GrpcStatus.UNAUTHENTICATED) return INTERNAL;
    if (status < 500) {
      return {
        status,
        slug: errorReasonOf(error) ?? slugOf(status),
        detail: error.details,
        errors: fieldViolationsOf(error),
        headers: {},
        extensions: errorDetailsOf(error),
      };
    }
    return INTERNAL;
  }
  // The gateway's own database away (the tenant look-up): an outage, not a bug.
  if (isTransientError(error)) return UNAVAILABLE;
  return INTERNAL;
}

function slugOf(status: number): string {
  return (TITLES[status] ?? 'error').toLowerCase().replaceAll(' ', '-');
}

export function sendProblem(res: Response, instance: string, problem: Problem): void {
  res.status(problem.status);
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res.type('application/problem+json');
  const extensions = Object.fromEntries(
    Object.entries(problem.extensions ?? {}).filter(([name]) => !STANDARD_MEMBERS.has(name)),
  );
  res.send(
    JSON.stringify({
      ...extensions,
      type: `urn:hms:problem:${problem.slug}`,
      title: TITLES[problem.status] ?? 'Error',
      status: problem.status,
      detail: problem.detail,
      instance,
      requestId: currentContext()?.requestId ?? res.getHeader('x-request-id'),
      ...(problem.errors.length > 0 ? { errors: problem.errors } : {}),
    }),
  );
}

/** The last middleware: every error a handler throws leaves as problem+json. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const problem = problemOf(error);
    // A bug is an error; a backend away or slow is a warning (its own alerts say more).
    if (problem.status === 500) logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    else if (problem.status > 500)
      logger.warn({ err: error, method: req.method, path: req.path }, 'backend unavailable');
    sendProblem(res, req.originalUrl, problem);
  };
}
