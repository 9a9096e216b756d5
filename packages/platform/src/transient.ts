/**
 * Tells passing infrastructure faults (a database or broker away for a while,
 * a pool or transaction that ran out of time under load) from errors that will
 * fail the same way every time. Transient failures are retried without limit;
 * only permanent ones may dead-letter a message or reach a client as anything
 * but "unavailable, try again".
 *
 * The decision rests on the structured codes the drivers give: PostgreSQL's
 * SQLSTATE, Prisma's P-codes and the driver-adapter error Prisma wraps, Node's
 * system error codes, kafkajs' own retriable flag. Message text is read only
 * for the few driver errors that carry no code at all (pg-pool's connect
 * timeout, pg's closed connection).
 */

// SQLSTATEs that say "the database, not your data":
// - class 08 connection exception, class 53 insufficient resources (disk full,
//   out of memory, too many connections);
// - 57P01/02/03 shutdown, crash, start-up; 57P05 idle session timeout;
// - 40001 serialization failure, 40P01 deadlock, 55P03 lock not available;
// - 25P03 idle-in-transaction timeout (the server closed the session);
// - 58000/58030 system and I/O errors on the server.
const TRANSIENT_SQLSTATE = /^(08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[1235]|40001|40P01|55P03|25P03|58000|58030)$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// Prisma's codes for an unreachable, timed-out or closed connection, pool
// exhaustion, a transaction that could not start or expired in time (P2028:
// "Transaction API error", raised for maxWait and timeout) and a write
// conflict or deadlock (P2034).
const PRISMA_CODE = /^P\d{4}$/;
const TRANSIENT_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034']);

// Kinds of Prisma's driver-adapter errors (@prisma/driver-adapter-utils) that
// are outages; a `postgres` kind carries the SQLSTATE in `code`.
const TRANSIENT_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionWriteConflict',
]);

// The only errors read by their text: drivers raise them without any code.
const CODELESS_TRANSIENT_MESSAGES = [
  // pg-pool: no client became free within connectionTimeoutMillis.
  /^timeout exceeded when trying to connect$/,
  // pg: the socket closed under the client, or connecting took too long.
  /^Connection terminated( unexpectedly| due to connection timeout)?$/,
  /^Client has encountered a connection error and is not queryable$/,
];

// kafkajs' errors for a broker that cannot be reached or did not answer in time.
const KAFKAJS_TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
]);

interface ErrorLike {
  code?: unknown;
  errorCode?: unknown;
  message?: unknown;
  cause?: unknown;
  retriable?: unknown;
  name?: unknown;
  meta?: unknown;
  kind?: unknown;
  originalCode?: unknown;
}

/** True when `error` (or what it wraps) is a passing fault worth retrying as is. */
export function isTransientError(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const e = error as ErrorLike;
  const verdict = byCode(e);
  if (verdict !== undefined) {
    if (verdict) return true;
  } else if (typeof e.message === 'string' && CODELESS_TRANSIENT_MESSAGES.some((m) => m.test(e.message as string))) {
    return true;
  }
  // kafkajs marks its own retriable errors.
  if (e.retriable === true) return true;
  if (typeof e.name === 'string' && KAFKAJS_TRANSIENT_NAMES.has(e.name)) return true;
  if (error instanceof AggregateError && error.errors.some((inner) => isTransientError(inner, depth + 1))) {
    return true;
  }
  return isTransientError(e.cause, depth + 1);
}

/** The verdict of the error's own code, or undefined when it carries none. */
function byCode(e: ErrorLike): boolean | undefined {
  const prismaCode = [e.code, e.errorCode].find((c): c is string => typeof c === 'string' && PRISMA_CODE.test(c));
  if (prismaCode) {
    // Raw queries (P2010) and others wrap the driver's own error: judge that.
    const adapter = adapterCause(e.meta);
    if (adapter) return isTransientAdapterError(adapter);
    const metaCode = (e.meta as { code?: unknown } | undefined)?.code;
    if (typeof metaCode === 'string' && SQLSTATE.test(metaCode)) return TRANSIENT_SQLSTATE.test(metaCode);
    return TRANSIENT_PRISMA_CODES.has(prismaCode);
  }
  if (e.name === 'DriverAdapterError' && e.cause && typeof e.cause === 'object') {
    return isTransientAdapterError(e.cause as ErrorLike);
  }
  if (typeof e.code === 'string') {
    if (TRANSIENT_NODE_CODES.has(e.code)) return true;
    if (SQLSTATE.test(e.code)) return TRANSIENT_SQLSTATE.test(e.code);
    return false;
  }
  // kafkajs protocol errors carry a numeric Kafka error code and decide by `retriable`.
  if (typeof e.code === 'number') return false;
  return undefined;
}

function adapterCause(meta: unknown): ErrorLike | undefined {
  const driverError = (meta as { driverAdapterError?: { cause?: unknown } } | undefined)?.driverAdapterError;
  const cause = driverError?.cause;
  return cause && typeof cause === 'object' ? (cause as ErrorLike) : undefined;
}

function isTransientAdapterError(cause: ErrorLike): boolean {
  if (typeof cause.kind === 'string' && TRANSIENT_ADAPTER_KINDS.has(cause.kind)) return true;
  const sqlstate = [cause.originalCode, cause.code].find((c): c is string => typeof c === 'string' && SQLSTATE.test(c));
  return sqlstate !== undefined && TRANSIENT_SQLSTATE.test(sqlstate);
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
