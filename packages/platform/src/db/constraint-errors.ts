/**
 * Which database rule a write broke, read from the structured fields
 * PostgreSQL sends with the error (SQLSTATE and constraint name), never from
 * message text, which changes with the server's language and version.
 */

const SQLSTATE = {
  unique: '23505',
  exclusion: '23P01',
  'foreign-key': '23503',
  check: '23514',
  'not-null': '23502',
} as const;

export type ConstraintKind = keyof typeof SQLSTATE;

/**
 * The name of the constraint (or unique index) of that kind that `error`
 * violated; undefined when the error is anything else. Looks through `cause`
 * chains, as wrappers (a driver adapter, our own errors) keep the original there.
 */
export function violatedConstraint(error: unknown, kind: ConstraintKind, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const e = error as { code?: unknown; constraint?: unknown; cause?: unknown };
  if (e.code === SQLSTATE[kind] && typeof e.constraint === 'string') return e.constraint;
  return violatedConstraint(e.cause, kind, depth + 1);
}

/** True when `error` violated exactly the named constraint of that kind. */
export function violates(error: unknown, kind: ConstraintKind, constraint: string): boolean {
  return violatedConstraint(error, kind) === constraint;
}
