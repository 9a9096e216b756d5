/** What the write path, the migration runner, the outbox and the consumers share about SQL. */

/** A connection, or a transaction, that runs statements. */
export interface Sql {
  /** The rows of one statement. */
  query<R extends object = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /** The number of rows one statement changed. */
  execute(text: string, values?: readonly unknown[]): Promise<number>;
}

/** Quotes an SQL identifier (schema names come from config, never from users, but still). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The schema holding a service's outbox and processed-event records. */
export function messagingSchemaOf(schema: string): string {
  return `${schema}_messaging`;
}

/**
 * A WHERE clause of only the filters a caller gave, with their values as
 * parameters: each combination of filters is a statement text of its own, so
 * its plan can use that combination's index, also when planned generically
 * (`db.read(..., { genericPlans: true })`), where a catch-all
 * `($n IS NULL OR column = $n)` can use none.
 *
 *   const where = new Conditions();
 *   where.and(`tenant_id = ${where.param(tenantId)}`);
 *   where.when(filter.status, (p) => `status = ${p}`);
 *   sql.query(`SELECT ... WHERE ${where.sql} LIMIT ${where.param(limit)}`, where.values);
 */
export class Conditions {
  readonly values: unknown[] = [];
  private readonly parts: string[] = [];

  /** The placeholder (`$n`) of `value`, which joins the values. */
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** Adds a condition. */
  and(condition: string): this {
    this.parts.push(condition);
    return this;
  }

  /** Adds `condition(placeholder of value)` when `value` is given (neither undefined nor null). */
  when<T>(value: T | undefined | null, condition: (placeholder: string) => string): this {
    if (value !== undefined && value !== null) this.parts.push(condition(this.param(value)));
    return this;
  }

  /** The conditions joined by AND (`TRUE` when there are none). */
  get sql(): string {
    return this.parts.length > 0 ? this.parts.join(' AND ') : 'TRUE';
  }
}
