/**
 * Who read which patient's record, when: `record.accessed` on the tenant's
 * audit trail. A route notes a read after it has its answer (an array push,
 * nothing more); every ACCESS_LOG_FLUSH_INTERVAL_MS the notes are written to
 * the outbox, one transaction per tenant, and reach the trail through Kafka
 * like every other event. Never on the request's critical path.
 *
 * The database away: notes wait (up to ACCESS_LOG_MAX_PENDING, then the oldest
 * are dropped and counted, hms_access_log_dropped_total); SIGTERM flushes what
 * is pending.
 */
import {
  Counter,
  currentContext,
  currentTraceparent,
  Gauge,
  type Database,
  type Logger,
  type ManagedPart,
  type Metrics,
} from '@hms/platform';
import type { Request } from 'express';
import { recordAccessed } from '../domain/events.js';

export interface RecordRead {
  entityType: string;
  entityId: string;
  patientId: string;
  /** Route template, e.g. GET /api/v1/appointments/:id */
  route: string;
}

export interface AccessLog extends ManagedPart {
  /** Notes a read by the current request's caller. */
  record(read: RecordRead): void;
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

export function createAccessLog(options: {
  database: Database;
  flushIntervalMs: number;
  maxPending: number;
  logger: Logger;
  metrics: Metrics;
}): AccessLog {
  let pending: Note[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  const registers = [options.metrics.registry];
  const dropped = new Counter({
    name: 'hms_access_log_dropped_total',
    help: 'Record reads not written to the audit trail because too many were waiting (the database away)',
    registers,
  });
  new Gauge({
    name: 'hms_access_log_pending',
    help: 'Record reads noted and not yet written to the outbox',
    registers,
    collect() {
      this.set(pending.length);
    },
  });

  async function write(): Promise<void> {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const byTenant = new Map<string, Note[]>();
    for (const note of batch) byTenant.set(note.tenantId, [...(byTenant.get(note.tenantId) ?? []), note]);
    for (const [tenantId, notes] of byTenant) {
      try {
        await options.database.transaction(tenantId, async (tx) => {
          tx.emit(
            ...notes.map((n) =>
              recordAccessed({
                ...n,
                actor: { kind: n.actorId.startsWith('apikey:') ? 'api-key' : 'user', id: n.actorId },
              }),
            ),
          );
        });
      } catch (error) {
        options.logger.warn({ err: error, tenantId, reads: notes.length }, 'record reads not written yet; retrying');
        pending = [...notes, ...pending];
      }
    }
    const excess = pending.length - options.maxPending;
    if (excess > 0) {
      pending = pending.slice(excess);
      dropped.inc(excess);
      options.logger.error({ dropped: excess }, 'record reads dropped: too many waiting to be written');
    }
  }

  const flush = () => {
    flushing ??= write().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };

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
      const ctx = currentContext();
      if (!ctx?.tenantId || !ctx.userId) return;
      pending.push({
        ...read,
        tenantId: ctx.tenantId,
        actorId: ctx.userId,
        requestId: ctx.requestId,
        traceparent: currentTraceparent(),
        at: new Date(),
      });
      if (pending.length >= options.maxPending) void flush();
    },
  };
}

/** Where createApp keeps the access log (app.locals), for noteRead. */
export const ACCESS_LOG = 'accessLog';

/** Notes that the caller read a patient's record (the route template is the request's). */
export function noteRead(req: Request, read: Omit<RecordRead, 'route'>): void {
  const log = req.app.locals[ACCESS_LOG] as AccessLog | undefined;
  log?.record({ ...read, route: `${req.method} ${req.baseUrl}${String(req.route?.path ?? req.path)}` });
}
