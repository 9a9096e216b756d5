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

const NUL = '\u0000';
const MAX_NUL_VIOLATIONS = 20;
const NUL_MESSAGE = 'must not contain NUL characters';

/**
 * Every string in `value` (at any depth, keys included) holding a NUL
 * character, by field path (`items.0.description`). PostgreSQL cannot store
 * one in text and it means nothing in HMS data; the gateway refuses it at the
 * edge and the gRPC server for any other caller. Reports at most 20.
 */
export function nulViolations(value: unknown, path = '', found: FieldViolation[] = []): FieldViolation[] {
  if (found.length >= MAX_NUL_VIOLATIONS) return found;
  if (typeof value === 'string') {
    if (value.includes(NUL)) found.push({ field: path || '(request)', message: NUL_MESSAGE });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => nulViolations(item, path ? `${path}.${i}` : String(i), found));
  } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [key, item] of Object.entries(value)) {
      const field = path ? `${path}.${key}` : key;
      if (key.includes(NUL)) {
        found.push({ field: field.replaceAll(NUL, '\\u0000'), message: `the field name ${NUL_MESSAGE}` });
      } else {
        nulViolations(item, field, found);
      }
    }
  }
  return found;
}
