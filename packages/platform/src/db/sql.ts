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
