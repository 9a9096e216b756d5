/**
 * QueueStore in SQL on the service's database. A doctor's day is one
 * queue_days row: locking it serializes every change of that queue, and the
 * unique index on (tenant, doctor, day, token) refuses a duplicate number
 * whatever the code does. Each change is also written to the day's bounded
 * log (queue_changes) and announced with NOTIFY, which PostgreSQL delivers to
 * every listening replica only once the transaction commits.
 */
import { claimIdempotencyKey, rememberResult, type Database, type Sql } from '@hms/platform';
import type { QueueChanges, QueueStore } from '../domain/queue-store.js';
import {
  DEFAULT_RULES,
  type DoctorStats,
  type PlacedEntry,
  type PriorityClass,
  type QueueChange,
  type QueueDay,
  type QueueEntry,
  type QueueEntryStatus,
  type QueueRules,
} from '../domain/types.js';

/**
 * The channel every committed change of a queue day is announced on: "tenant:doctor:day:seq", then,
 * when it fits PostgreSQL's payload limit (8000 bytes), a newline and the change itself, so that a
 * watcher that has sent every change before it needs no read of the log (splitChangeNotice).
 */
export const CHANGES_CHANNEL = 'hms_queue_changes';
/** The largest change (its JSON, bytes) carried in its announcement; the key before it takes ~120. */
const NOTICE_BODY_MAX = 7_600;

/** A change's announcement: its day (tenant:doctor:day) and, when it was carried, the change's JSON (unparsed). */
export function splitChangeNotice(payload: string): { key: string; body: string | undefined } {
  const newline = payload.indexOf('\n');
  const head = newline < 0 ? payload : payload.slice(0, newline);
  return { key: head.slice(0, head.lastIndexOf(':')), body: newline < 0 ? undefined : payload.slice(newline + 1) };
}

/** The change an announcement carried (its `body`). */
export const changeOfNotice = (body: string): QueueChange => changeFromJson(JSON.parse(body) as ChangeJson);

interface EntryRow {
  id: string;
  tenant_id: string;
  doctor_id: string;
  service_date: string;
  appointment_id: string | null;
  patient_id: string;
  token_number: number;
  priority: PriorityClass;
  status: QueueEntryStatus;
  joined_at: Date;
  trace_id: string;
  room: string;
  skip_count: number;
  recall_count: number;
  called_at: Date | null;
  completed_at: Date | null;
  call_number: number | null;
  held_until_call: number;
  transferred_from_entry_id: string | null;
  transferred_to_doctor_id: string | null;
}

const ENTRY_COLUMNS =
  'id, tenant_id, doctor_id, service_date, appointment_id, patient_id, token_number, priority, status, joined_at, trace_id, ' +
  'room, skip_count, recall_count, called_at, completed_at, call_number, held_until_call, transferred_from_entry_id, transferred_to_doctor_id';

interface DayRow {
  tenant_id: string;
  doctor_id: string;
  service_date: string;
  time_zone: string;
  last_token: number;
  seq: string;
  calls: number;
  paused_at: Date | null;
  resume_expected_at: Date | null;
  pause_reason: string;
}

const DAY_COLUMNS =
  'tenant_id, doctor_id, service_date, time_zone, last_token, seq, calls, paused_at, resume_expected_at, pause_reason';

interface RulesRow {
  max_priority_passes: number;
  skip_return_after: number;
  default_consultation_seconds: number;
}

export interface QueueStoreOptions {
  /** Changes kept per queue day for replay (older ones need a fresh snapshot). */
  changeLogSize: number;
}

export function createQueueStore(db: Database, options: QueueStoreOptions = { changeLogSize: 1_000 }): QueueStore {
  return {
    change: (tenantId, fn) =>
      db.transaction(tenantId, (tx) => {
        const changes: QueueChanges = {
          async lockDay(day) {
            const [row] = await tx.query<DayRow>(
              `INSERT INTO queue_days AS d (tenant_id, doctor_id, service_date, time_zone, last_token, updated_at)
               VALUES ($1, $2, $3, $4, 0, CURRENT_TIMESTAMP)
               ON CONFLICT (tenant_id, doctor_id, service_date) DO UPDATE
                 SET time_zone = EXCLUDED.time_zone, updated_at = EXCLUDED.updated_at
               RETURNING ${DAY_COLUMNS.replace(/(\w+)/g, 'd.$1')}`,
              [tenantId, day.doctorId, day.serviceDate, day.timeZone],
            );
            if (!row) throw new Error('queue_days upsert returned no row');
            return toDay(row);
          },
          async lockExistingDay(doctorId, serviceDate) {
            const [row] = await tx.query<DayRow>(
              `SELECT ${DAY_COLUMNS} FROM queue_days WHERE tenant_id = $1 AND doctor_id = $2 AND service_date = $3 FOR UPDATE`,
              [tenantId, doctorId, serviceDate],
            );
            return row ? toDay(row) : undefined;
          },
          async entry(id) {
            const [row] = await tx.query<EntryRow>(
              `SELECT ${ENTRY_COLUMNS} FROM queue_entries WHERE tenant_id = $1 AND id = $2`,
              [tenantId, id],
            );
            return row ? toEntry(row) : undefined;
          },
          async entryOfAppointment(appointmentId) {
            const [row] = await tx.query<EntryRow>(
              `SELECT ${ENTRY_COLUMNS} FROM queue_entries
               WHERE tenant_id = $1 AND appointment_id = $2 AND status <> 'TRANSFERRED'`,
              [tenantId, appointmentId],
            );
            return row ? toEntry(row) : undefined;
          },
          entriesOfDay: (doctorId, serviceDate) => entriesOfDay(tx, tenantId, doctorId, serviceDate),
          rules: () => rulesOf(tx, tenantId),
          async setRules(rules) {
            await tx.execute(
              `INSERT INTO queue_rules (tenant_id, max_priority_passes, skip_return_after, default_consultation_seconds, updated_at)
               VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)
               ON CONFLICT (tenant_id) DO UPDATE SET max_priority_passes = EXCLUDED.max_priority_passes,
                 skip_return_after = EXCLUDED.skip_return_after,
                 default_consultation_seconds = EXCLUDED.default_consultation_seconds, updated_at = EXCLUDED.updated_at`,
              [tenantId, rules.maxPriorityPasses, rules.skipReturnAfter, rules.defaultConsultationSeconds],
            );
          },
          stats: (doctorId) => statsOf(tx, tenantId, doctorId),
          async saveStats(doctorId, stats) {
            await tx.execute(
              `INSERT INTO doctor_stats (tenant_id, doctor_id, mean_seconds, samples, day, day_seconds, day_count, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, CURRENT_TIMESTAMP)
               ON CONFLICT (tenant_id, doctor_id) DO UPDATE SET mean_seconds = EXCLUDED.mean_seconds,
                 samples = EXCLUDED.samples, day = EXCLUDED.day, day_seconds = EXCLUDED.day_seconds,
                 day_count = EXCLUDED.day_count, updated_at = EXCLUDED.updated_at`,
              [tenantId, doctorId, stats.meanSeconds, stats.samples, stats.day, stats.daySeconds, stats.dayCount],
            );
          },
          claim: (claim) => claimIdempotencyKey(tx, claim),
          rememberResult: (claim, result) => rememberResult(tx, claim, result),
          async commit(day, entries, change, events) {
            await tx.execute(
              `UPDATE queue_days SET last_token = $4, seq = $5, calls = $6, paused_at = $7, resume_expected_at = $8,
                 pause_reason = $9, updated_at = CURRENT_TIMESTAMP
               WHERE tenant_id = $1 AND doctor_id = $2 AND service_date = $3`,
              [
                tenantId,
                day.doctorId,
                day.serviceDate,
                day.lastToken,
                day.seq,
                day.calls,
                day.pausedAt ?? null,
                day.resumeExpectedAt ?? null,
                day.pauseReason,
              ],
            );
            for (const e of entries) await saveEntry(tx, e);
            // The change, the log's bound and the announcement in one statement.
            await tx.query(
              `WITH logged AS (
                 INSERT INTO queue_changes (tenant_id, doctor_id, service_date, seq, type, at, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
               ), pruned AS (
                 DELETE FROM queue_changes
                 WHERE tenant_id = $1 AND doctor_id = $2 AND service_date = $3 AND seq <= $4::bigint - $8::bigint
               )
               SELECT pg_notify('${CHANGES_CHANNEL}', $1::text || ':' || $2::text || ':' || $3::text || ':' || $4::text
                 || CASE WHEN octet_length($7::text) <= ${NOTICE_BODY_MAX} THEN E'\\n' || $7::text ELSE '' END)`,
              [
                tenantId,
                day.doctorId,
                day.serviceDate,
                change.seq,
                change.type,
                change.at,
                JSON.stringify(changeJson(change)),
                options.changeLogSize,
              ],
            );
            tx.emit(...events);
          },
        };
        return fn(changes);
      }),

    latestTimeZone: (tenantId, doctorId) =>
      db.read(tenantId, async (sql) => {
        const [row] = await sql.query<{ time_zone: string }>(
          `SELECT time_zone FROM queue_days WHERE tenant_id = $1 AND doctor_id = $2 ORDER BY updated_at DESC LIMIT 1`,
          [tenantId, doctorId],
        );
        return row?.time_zone;
      }),

    readDay: (tenantId, doctorId, serviceDate) =>
      db.read(tenantId, async (sql) => {
        const [dayRow] = await sql.query<DayRow>(
          `SELECT ${DAY_COLUMNS} FROM queue_days WHERE tenant_id = $1 AND doctor_id = $2 AND service_date = $3`,
          [tenantId, doctorId, serviceDate],
        );
        if (!dayRow) return { day: undefined, entries: [], rules: await rulesOf(sql, tenantId), stats: undefined };
        return {
          day: toDay(dayRow),
          entries: await entriesOfDay(sql, tenantId, doctorId, serviceDate),
          rules: await rulesOf(sql, tenantId),
          stats: await statsOf(sql, tenantId, doctorId),
        };
      }),

    daySeq: (tenantId, doctorId, serviceDate) =>
      db.read(tenantId, async (sql) => {
        const [row] = await sql.query<{ seq: string }>(
          `SELECT seq FROM queue_days WHERE tenant_id = $1 AND doctor_id = $2 AND service_date = $3`,
          [tenantId, doctorId, serviceDate],
        );
        return Number(row?.seq ?? 0);
      }),

    listChanges: (tenantId, doctorId, serviceDate, afterSeq) =>
      db.read(tenantId, async (sql) => {
        const rows = await sql.query<{ body: ChangeJson }>(
          `SELECT body FROM queue_changes
           WHERE tenant_id = $1 AND doctor_id = $2 AND service_date = $3 AND seq > $4 ORDER BY seq`,
          [tenantId, doctorId, serviceDate, afterSeq],
        );
        const [day] = await sql.query<{ seq: string }>(
          `SELECT seq FROM queue_days WHERE tenant_id = $1 AND doctor_id = $2 AND service_date = $3`,
          [tenantId, doctorId, serviceDate],
        );
        return { changes: rows.map((r) => changeFromJson(r.body)), lastSeq: Number(day?.seq ?? 0) };
      }),

    rules: (tenantId) => db.read(tenantId, (sql) => rulesOf(sql, tenantId)),
  };
}

/** Deletes the change logs of days before `before` (YYYY-MM-DD); returns how many rows went. */
export async function pruneChangeLogs(sql: Sql, before: string): Promise<number> {
  // Across tenants: through the owner's function (row-level security binds this role to one tenant).
  const [row] = await sql.query<{ removed: number }>('SELECT queue.prune_queue_changes($1::date) AS removed', [before]);
  return row?.removed ?? 0;
}

async function entriesOfDay(sql: Sql, tenantId: string, doctorId: string, serviceDate: string): Promise<QueueEntry[]> {
  const rows = await sql.query<EntryRow>(
    `SELECT ${ENTRY_COLUMNS} FROM queue_entries WHERE tenant_id = $1 AND doctor_id = $2 AND service_date = $3`,
    [tenantId, doctorId, serviceDate],
  );
  return rows.map(toEntry);
}

async function rulesOf(sql: Sql, tenantId: string): Promise<QueueRules> {
  const [row] = await sql.query<RulesRow>(
    'SELECT max_priority_passes, skip_return_after, default_consultation_seconds FROM queue_rules WHERE tenant_id = $1',
    [tenantId],
  );
  return row
    ? {
        maxPriorityPasses: row.max_priority_passes,
        skipReturnAfter: row.skip_return_after,
        defaultConsultationSeconds: row.default_consultation_seconds,
      }
    : DEFAULT_RULES;
}

async function statsOf(sql: Sql, tenantId: string, doctorId: string): Promise<DoctorStats | undefined> {
  const [row] = await sql.query<{
    mean_seconds: number;
    samples: number;
    day: string;
    day_seconds: number;
    day_count: number;
  }>(
    'SELECT mean_seconds, samples, day, day_seconds, day_count FROM doctor_stats WHERE tenant_id = $1 AND doctor_id = $2',
    [tenantId, doctorId],
  );
  return row
    ? {
        meanSeconds: row.mean_seconds,
        samples: row.samples,
        day: row.day,
        daySeconds: row.day_seconds,
        dayCount: row.day_count,
      }
    : undefined;
}

async function saveEntry(sql: Sql, e: QueueEntry): Promise<void> {
  await sql.execute(
    `INSERT INTO queue_entries (${ENTRY_COLUMNS}, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, CURRENT_TIMESTAMP)
     ON CONFLICT (id) DO UPDATE SET priority = EXCLUDED.priority, status = EXCLUDED.status, room = EXCLUDED.room,
       skip_count = EXCLUDED.skip_count, recall_count = EXCLUDED.recall_count, called_at = EXCLUDED.called_at,
       completed_at = EXCLUDED.completed_at, call_number = EXCLUDED.call_number,
       held_until_call = EXCLUDED.held_until_call, transferred_to_doctor_id = EXCLUDED.transferred_to_doctor_id,
       updated_at = EXCLUDED.updated_at`,
    [
      e.id,
      e.tenantId,
      e.doctorId,
      e.serviceDate,
      e.appointmentId ?? null,
      e.patientId,
      e.tokenNumber,
      e.priority,
      e.status,
      e.joinedAt,
      e.traceId,
      e.room,
      e.skipCount,
      e.recallCount,
      e.calledAt ?? null,
      e.completedAt ?? null,
      e.callNumber ?? null,
      e.heldUntilCall,
      e.transferredFromEntryId ?? null,
      e.transferredToDoctorId ?? null,
    ],
  );
}

function toDay(row: DayRow): QueueDay {
  return {
    tenantId: row.tenant_id,
    doctorId: row.doctor_id,
    serviceDate: row.service_date,
    timeZone: row.time_zone,
    lastToken: row.last_token,
    seq: Number(row.seq),
    calls: row.calls,
    pausedAt: row.paused_at ?? undefined,
    resumeExpectedAt: row.resume_expected_at ?? undefined,
    pauseReason: row.pause_reason,
  };
}

function toEntry(row: EntryRow): QueueEntry {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    doctorId: row.doctor_id,
    serviceDate: row.service_date,
    appointmentId: row.appointment_id ?? undefined,
    patientId: row.patient_id,
    tokenNumber: row.token_number,
    priority: row.priority,
    status: row.status,
    joinedAt: row.joined_at,
    traceId: row.trace_id,
    room: row.room,
    skipCount: row.skip_count,
    recallCount: row.recall_count,
    calledAt: row.called_at ?? undefined,
    completedAt: row.completed_at ?? undefined,
    callNumber: row.call_number ?? undefined,
    heldUntilCall: row.held_until_call,
    transferredFromEntryId: row.transferred_from_entry_id ?? undefined,
    transferredToDoctorId: row.transferred_to_doctor_id ?? undefined,
  };
}

// --- the logged change as JSON (dates as ISO strings) ------------------------------------
type ChangeJson = ReturnType<typeof changeJson>;

function changeJson(change: QueueChange) {
  return {
    ...change,
    at: change.at.toISOString(),
    entries: change.entries.map((e) => ({
      ...e,
      appointmentId: e.appointmentId ?? null,
      calledAt: e.calledAt?.toISOString() ?? null,
      completedAt: e.completedAt?.toISOString() ?? null,
      estimatedCallAt: e.estimatedCallAt?.toISOString() ?? null,
      joinedAt: e.joinedAt.toISOString(),
      callNumber: e.callNumber ?? null,
      transferredFromEntryId: e.transferredFromEntryId ?? null,
      transferredToDoctorId: e.transferredToDoctorId ?? null,
    })),
    line: change.line.map((p) => ({ ...p, estimatedCallAt: p.estimatedCallAt?.toISOString() ?? null })),
    pause: {
      ...change.pause,
      pausedAt: change.pause.pausedAt?.toISOString() ?? null,
      resumeExpectedAt: change.pause.resumeExpectedAt?.toISOString() ?? null,
    },
  };
}

const date = (v: string | null | undefined) => (v ? new Date(v) : undefined);
const opt = <T>(v: T | null | undefined) => v ?? undefined;

function changeFromJson(json: ChangeJson): QueueChange {
  return {
    seq: json.seq,
    type: json.type,
    at: new Date(json.at),
    entries: json.entries.map((e): PlacedEntry => ({
      ...e,
      appointmentId: opt(e.appointmentId),
      joinedAt: new Date(e.joinedAt),
      calledAt: date(e.calledAt),
      completedAt: date(e.completedAt),
      estimatedCallAt: date(e.estimatedCallAt),
      callNumber: opt(e.callNumber),
      transferredFromEntryId: opt(e.transferredFromEntryId),
      transferredToDoctorId: opt(e.transferredToDoctorId),
    })),
    line: json.line.map((p) => ({ ...p, estimatedCallAt: date(p.estimatedCallAt) })),
    pause: {
      ...json.pause,
      pausedAt: date(json.pause.pausedAt),
      resumeExpectedAt: date(json.pause.resumeExpectedAt),
    },
  };
}
