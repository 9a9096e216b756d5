import type { z } from 'zod';
import { InvalidArgumentError, type FieldViolation } from './errors.js';

/** Every problem zod found, as field violations (`field` names a bare value). */
export function violationsOf(error: z.ZodError, field?: string): FieldViolation[] {
  return error.issues.map((issue) => ({
    field: field ?? (issue.path.map(String).join('.') || '(request)'),
    message: issue.message,
  }));
}

/** Parses a request (or one field of it) or throws InvalidArgumentError naming each bad field. */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown, field?: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidArgumentError('invalid request', violationsOf(result.error, field));
}
