/**
 * Who read which patient's record, when: `record.accessed` on the tenant's
 * audit trail, through the gateway's outbox and Kafka like every other event.
 * Two ways to note a read, one mechanism:
 *
 * - `record(read)`: an array push, nothing more; every
 *   ACCESS_LOG_FLUSH_INTERVAL_MS the notes are written, one transaction per
 *   tenant. Never on the request's critical path. The database away: notes
 *   wait (up to ACCESS_LOG_MAX_PENDING, then the oldest are dropped and
 *   counted, hms_access_log_dropped_total).
 * - `recordDurably(read)`: for the clinical record, where a read that cannot be
 *   recorded is not answered. The note starts a write at once (or joins the
 *   next one when a write is under way: a group commit, so concurrent reads
 *   share one transaction, together with any notes of the first kind of their
 *   tenant) and the promise settles when its tenant's transaction has: resolved
 *   once committed, rejected when the write failed (the read is then refused,
 *   so the note is not retried).
 *
 * SIGTERM flushes what is pending.
 */
import {
  Counter,
  currentContext,
  currentTraceparent,
  Gauge,
  outsideRequest,
  type Database,
  type Logger,
  type ManagedPart,
  type Metrics,
} from '@hms/platform';
import type { Request } from 'express';
import { recordAccessed } from '../domain/events.js';
import { HttpProblem } from './problem.js';

export interface RecordRead {
  entityType: string;
  entityId: string;
  patientId: string;
  /** Route template, e.g. GET /api/v1/appointments/:id */
  route: string;
}

export interface AccessLog extends ManagedPart {
  /** Notes a read by the current request's caller; written later, in a batch. */
  record(read: RecordRead): void;
  /**
   * Writes a read by the current request's caller with the next group commit:
   * resolves once it is committed, rejects when it could not be written.
   */
  recordDurably(read: RecordRead): Promise<void>;
  /** Writes what is pending now (tests, shutdown). */
  flush(): Promise<void>;
}

interface Note extends RecordRead {
  tenantId: string;
  actorId: string;
  requestId: string;
  traceparent: string;
  at: Date;
}

interface DurableNote extends Note {
  settle: { resolve: () => void; reject: (error: unknown) => void };
}

export function createAccessLog(options: {
  database: Database;
  flushIntervalMs: number;
  maxPending: number;
  logger: Logger;
  metrics: Metrics;
}): AccessLog {
  let pending: Note[] = [];
  let durable: DurableNote[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let groupCommitDue = false;
  const registers = [options.metrics.registry];
  const dropped = new Counter({
    name: 'hms_access_log_dropped_total',
    help: 'Record reads not written to the audit trail because too many were waiting (the database away)',
    registers,
  });
  const refused = new Counter({
    name: 'hms_access_log_refused_total',
    help: 'Reads of the clinical record refused because their record could not be written',
    registers,
  });
  new Gauge({
    name: 'hms_access_log_pending',
    help: 'Record reads noted and not yet written to the outbox',
    registers,
    collect() {
      this.set(pending.length + durable.length);
    },
  });

  function noteOfCaller(read: RecordRead): Note | undefined {
    const ctx = currentContext();
    if (!ctx?.tenantId || !ctx.userId) return undefined;
    return {
      ...read,
      tenantId: ctx.tenantId,
      actorId: ctx.userId,
      requestId: ctx.requestId,
      traceparent: currentTraceparent(),
      at: new Date(),
    };
  }

  async function write(): Promise<void> {
    if (pending.length === 0 && durable.length === 0) return;
    const waiting = durable;
    const batch = pending;
    durable = [];
    pending = [];
    // Tenants with a read waiting on them first; each tenant's notes in one transaction.
    const byTenant = new Map<string, { waiting: DurableNote[]; batch: Note[] }>();
    const groupOf = (tenantId: string) => {
      let group = byTenant.get(tenantId);
      if (!group) byTenant.set(tenantId, (group = { waiting: [], batch: [] }));
      return group;
    };
    for (const note of waiting) groupOf(note.tenantId).waiting.push(note);
    for (const note of batch) groupOf(note.tenantId).batch.push(note);
    for (const [tenantId, group] of byTenant) {
      const notes: Note[] = [...group.waiting, ...group.batch];
      try {
        await options.database.transaction(tenantId, async (tx) => {
          tx.emit(
            ...notes.map((n) =>
              recordAccessed({
                tenantId: n.tenantId,
                entityType: n.entityType,
                entityId: n.entityId,
                patientId: n.patientId,
                route: n.route,
                requestId: n.requestId,
                traceparent: n.traceparent,
                at: n.at,
                actor: { kind: n.actorId.startsWith('apikey:') ? 'api-key' : 'user', id: n.actorId },
              }),
            ),
          );
        });
        for (const note of group.waiting) note.settle.resolve();
      } catch (error) {
        if (group.waiting.length > 0) {
          refused.inc(group.waiting.length);
          for (const note of group.waiting) note.settle.reject(error);
        }
        options.logger.warn(
          { err: error, tenantId, reads: group.batch.length, refused: group.waiting.length },
          'record reads not written; reads waiting on them refused, the others retried',
        );
        pending = [...group.batch, ...pending];
      }
    }
    const excess = pending.length - options.maxPending;
    if (excess > 0) {
      pending = pending.slice(excess);
      dropped.inc(excess);
      options.logger.error({ dropped: excess }, 'record reads dropped: too many waiting to be written');
    }
  }

  const flush = (): Promise<void> => {
    flushing ??= write().finally(() => {
      flushing = undefined;
      // Reads that arrived during this write are the next group.
      if (durable.length > 0) commitSoon();
    });
    return flushing;
  };

  /** A write as soon as the current one (if any) ends, shared by every durable note until then. */
  function commitSoon(): void {
    if (groupCommitDue) return;
    groupCommitDue = true;
    // Outside the request that happened to start it: the write serves many.
    outsideRequest(() =>
      setImmediate(() => {
        groupCommitDue = false;
        void flush();
      }),
    );
  }

  return {
    name: 'access log',
    start() {
      timer = setInterval(() => void flush(), options.flushIntervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await flushing;
      await flush();
    },
    flush,
    record(read) {
      const note = noteOfCaller(read);
      if (!note) return;
      pending.push(note);
      if (pending.length >= options.maxPending) void flush();
    },
    recordDurably(read) {
      const note = noteOfCaller(read);
      if (!note) return Promise.reject(new Error('a durable record needs a tenant and a caller'));
      return new Promise<void>((resolve, reject) => {
        durable.push({ ...note, settle: { resolve, reject } });
        commitSoon();
      });
    },
  };
}

/** Where createApp keeps the access log (app.locals), for noteRead. */
export const ACCESS_LOG = 'accessLog';

const routeOf = (req: Request) => `${req.method} ${req.baseUrl}${String(req.route?.path ?? req.path)}`;

/** Notes that the caller read a patient's record (the route template is the request's). */
export function noteRead(req: Request, read: Omit<RecordRead, 'route'>): void {
  const log = req.app.locals[ACCESS_LOG] as AccessLog | undefined;
  log?.record({ ...read, route: routeOf(req) });
}

/**
 * Puts the caller's read on the audit trail before the answer leaves: a read
 * that cannot be recorded is not answered (503, retry shortly).
 */
export async function recordReadDurably(req: Request, read: Omit<RecordRead, 'route'>): Promise<void> {
  const log = req.app.locals[ACCESS_LOG] as AccessLog;
  try {
    await log.recordDurably({ ...read, route: routeOf(req) });
  } catch {
    throw new HttpProblem(
      503,
      'read-not-recorded',
      'the read could not be put on the audit trail, so it is not answered; retry shortly',
      [],
      { 'retry-after': '1' },
    );
  }
}
