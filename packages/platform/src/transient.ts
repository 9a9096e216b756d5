/**
 * Tells passing infrastructure faults (a database or broker away for a while)
 * from errors that will fail the same way every time. Transient failures are
 * retried without limit; only permanent ones may dead-letter a message or
 * reach a client as anything but "unavailable, try again".
 */

// PostgreSQL SQLSTATEs that say "the database, not your data": connection
// exceptions (class 08), shutdown and start-up, too many connections,
// serialization failures and deadlocks.
const TRANSIENT_SQLSTATE = /^(08...|57P0[1-3]|53300|40001|40P01)$/;
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// Prisma's codes for an unreachable, timed-out or closed connection and pool exhaustion.
const TRANSIENT_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2034']);
const TRANSIENT_MESSAGES =
  /Connection terminated|connection timeout|Connection refused|ECONNREFUSED|ECONNRESET|server closed the connection|the database system is (shutting down|starting up)|Can't reach database|timed out fetching a new connection|terminating connection/i;

export function isTransientError(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const e = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    retriable?: unknown;
    name?: unknown;
  };
  if (typeof e.code === 'string') {
    if (TRANSIENT_SQLSTATE.test(e.code)) return true;
    if (TRANSIENT_NODE_CODES.has(e.code)) return true;
    if (TRANSIENT_PRISMA_CODES.has(e.code)) return true;
  }
  // kafkajs marks its own retriable errors.
  if (e.retriable === true) return true;
  if (
    typeof e.name === 'string' &&
    /KafkaJS(Connection|RequestTimeout|NumberOfRetriesExceeded|BrokerNotFound)/.test(e.name)
  ) {
    return true;
  }
  if (typeof e.message === 'string' && TRANSIENT_MESSAGES.test(e.message)) return true;
  if (error instanceof AggregateError && error.errors.some((inner) => isTransientError(inner, depth + 1))) {
    return true;
  }
  return isTransientError(e.cause, depth + 1);
}

/** Exponential backoff with full jitter, capped. attempt starts at 1. */
export function backoffDelay(attempt: number, baseMs = 100, capMs = 5_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
