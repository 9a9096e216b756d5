/**
 * Queues on Prisma. Token numbers come from one counter row per doctor and
 * day (queue_days), taken with a single upsert: the row lock it holds until
 * commit makes concurrent takers wait their turn, and the unique index on
 * (tenant, doctor, day, token) refuses a duplicate number whatever the code does.
 */
import { dateOnly, isoDateOf, newId } from '@hms/platform';
import { orderQueue } from '../domain/queue-order.js';
import type { QueueStore } from '../domain/queue-store.js';
import type { PlacedEntry, QueueEntry, QueueJoin } from '../domain/types.js';
import type { QueueEntry as QueueEntryRow } from './generated/client.js';
import type { Db, Tx } from './prisma.js';

export interface QueueDayRef {
  tenantId: string;
  doctorId: string;
  serviceDate: string;
  timeZone: string;
}

export function createQueueStore(db: Db): QueueStore {
  return {
    async latestTimeZone(tenantId, doctorId) {
      const day = await db.queueDay.findFirst({
        where: { tenantId, doctorId },
        orderBy: { updatedAt: 'desc' },
        select: { timeZone: true },
      });
      return day?.timeZone;
    },
    async listEntries(tenantId, doctorId, serviceDate) {
      const rows = await db.queueEntry.findMany({
        where: { tenantId, doctorId, serviceDate: dateOnly(serviceDate) },
      });
      return rows.map(toEntry);
    },
  };
}

/**
 * Takes the next token number of the doctor's day (1 for the first), creating
 * the day on first use and recording the time zone it was reported in. Locks
 * the day's row until the caller's transaction ends.
 */
export async function takeNextToken(tx: Tx, day: QueueDayRef): Promise<number> {
  const rows = await tx.$queryRaw<{ last_token: number }[]>`
    INSERT INTO "queue"."queue_days" AS d (tenant_id, doctor_id, service_date, time_zone, last_token, updated_at)
    VALUES (${day.tenantId}::uuid, ${day.doctorId}::uuid, ${day.serviceDate}::date, ${day.timeZone}, 1, CURRENT_TIMESTAMP)
    ON CONFLICT (tenant_id, doctor_id, service_date) DO UPDATE
      SET last_token = d.last_token + 1, time_zone = EXCLUDED.time_zone, updated_at = EXCLUDED.updated_at
    RETURNING d.last_token`;
  const token = rows[0]?.last_token;
  if (token === undefined) throw new Error('queue_days upsert returned no row');
  return token;
}

/**
 * Puts a checked-in patient in the doctor's queue with the next token, inside
 * the caller's transaction, and returns the entry with its position. Returns
 * undefined, changing nothing, when the appointment already has an entry.
 */
export async function joinQueue(tx: Tx, join: QueueJoin): Promise<PlacedEntry | undefined> {
  const tokenNumber = await takeNextToken(tx, join);
  const entry: QueueEntry = {
    id: newId(),
    tenantId: join.tenantId,
    doctorId: join.doctorId,
    serviceDate: join.serviceDate,
    appointmentId: join.appointmentId,
    patientId: join.patientId,
    tokenNumber,
    priority: 0,
    status: 'WAITING',
    joinedAt: join.joinedAt,
    traceId: join.traceId,
  };
  const inserted = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO "queue"."queue_entries"
      (id, tenant_id, doctor_id, service_date, appointment_id, patient_id, token_number, priority, joined_at, trace_id, updated_at)
    VALUES (${entry.id}::uuid, ${entry.tenantId}::uuid, ${entry.doctorId}::uuid, ${entry.serviceDate}::date,
      ${entry.appointmentId}::uuid, ${entry.patientId}::uuid, ${tokenNumber}, ${entry.priority}, ${entry.joinedAt},
      ${entry.traceId}, CURRENT_TIMESTAMP)
    ON CONFLICT (tenant_id, appointment_id) DO NOTHING
    RETURNING id::text`;
  if (inserted.length === 0) {
    // Already queued. This transaction still holds the day's row lock, so its
    // number is the last one issued: give it back rather than leave a gap.
    await tx.$executeRaw`
      UPDATE "queue"."queue_days" SET last_token = last_token - 1
      WHERE tenant_id = ${join.tenantId}::uuid AND doctor_id = ${join.doctorId}::uuid
        AND service_date = ${join.serviceDate}::date AND last_token = ${tokenNumber}`;
    return undefined;
  }
  const waiting = await tx.queueEntry.findMany({
    where: {
      tenantId: entry.tenantId,
      doctorId: entry.doctorId,
      serviceDate: dateOnly(entry.serviceDate),
      status: 'WAITING',
    },
    select: { id: true, status: true, priority: true, tokenNumber: true },
  });
  const position = orderQueue(waiting).find((e) => e.id === entry.id)?.position ?? 0;
  return { ...entry, position };
}

function toEntry(row: QueueEntryRow): QueueEntry {
  return {
    id: row.id,
    tenantId: row.tenantId,
    doctorId: row.doctorId,
    serviceDate: isoDateOf(row.serviceDate),
    appointmentId: row.appointmentId,
    patientId: row.patientId,
    tokenNumber: row.tokenNumber,
    priority: row.priority,
    status: row.status,
    joinedAt: row.joinedAt,
    traceId: row.traceId,
  };
}
