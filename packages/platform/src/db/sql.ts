/**
 * The slice of a database client the platform needs inside a transaction.
 * Prisma's interactive-transaction client has exactly these methods, so the
 * outbox and the idempotent consumer can write in the same transaction as a
 * service's own Prisma writes without depending on its generated client.
 */
export interface SqlTx {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** Runs `fn` in one database transaction (for Prisma: `fn => prisma.$transaction(fn)`). */
export type TransactionRunner<Tx extends SqlTx> = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

/** Quotes an SQL identifier (schema names come from config, never from users, but still). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The schema holding a service's outbox and processed-event records. */
export function messagingSchemaOf(schema: string): string {
  return `${schema}_messaging`;
}
