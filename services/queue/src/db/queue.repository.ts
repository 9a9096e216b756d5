/**
 * QueueStore in SQL on the service's database. A doctor's day is one
 * queue_days row: locking it serializes every change of that queue, and the
 * unique index on (tenant, doctor, day, token) refuses a duplicate number
 * whatever the code does.
 */
import type { Database } from '@hms/platform';
import type { QueueStore } from '../domain/queue-store.js';
import type { QueueEntry, QueueEntryStatus } from '../domain/types.js';

interface EntryRow {
  id: string;
  tenant_id: string;
  doctor_id: string;
  service_date: string;
  appointment_id: string;
  patient_id: string;
  token_number: number;
  priority: number;
  status: QueueEntryStatus;
  joined_at: Date;
  trace_id: string;
}

const ENTRY_COLUMNS =
  'id, tenant_id, doctor_id, service_date, appointment_id, patient_id, token_number, priority, status, joined_at, trace_id';

export function createQueueStore(db: Database): QueueStore {
  return {
    change: (tenantId, fn) =>
      db.transaction(tenantId, (tx) =>
        fn({
          async lockDay(day) {
            const [row] = await tx.query<{ last_token: number }>(
              `INSERT INTO queue_days AS d (tenant_id, doctor_id, service_date, time_zone, last_token, updated_at)
               VALUES ($1, $2, $3, $4, 0, CURRENT_TIMESTAMP)
               ON CONFLICT (tenant_id, doctor_id, service_date) DO UPDATE
                 SET time_zone = EXCLUDED.time_zone, updated_at = EXCLUDED.updated_at
               RETURNING d.last_token`,
              [tenantId, day.doctorId, day.serviceDate, day.timeZone],
            );
            if (!row) throw new Error('queue_days upsert returned no row');
            return { lastToken: row.last_token };
          },
          async entryOfAppointment(appointmentId) {
            const [row] = await tx.query<EntryRow>(
              `SELECT ${ENTRY_COLUMNS} FROM queue_entries WHERE tenant_id = $1 AND appointment_id = $2`,
              [tenantId, appointmentId],
            );
            return row ? toEntry(row) : undefined;
          },
          async waiting(doctorId, serviceDate) {
            const rows = await tx.query<{ id: string; priority: number; token_number: number }>(
              `SELECT id, priority, token_number FROM queue_entries
               WHERE tenant_id = $1 AND doctor_id = $2 AND service_date = $3 AND status = 'WAITING'`,
              [tenantId, doctorId, serviceDate],
            );
            return rows.map((r) => ({
              id: r.id,
              status: 'WAITING' as const,
              priority: r.priority,
              tokenNumber: r.token_number,
            }));
          },
          async addEntry(entry, events) {
            await tx.execute(
              `INSERT INTO queue_entries
                 (id, tenant_id, doctor_id, service_date, appointment_id, patient_id, token_number, priority, status, joined_at, trace_id, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CURRENT_TIMESTAMP)`,
              [
                entry.id,
                entry.tenantId,
                entry.doctorId,
                entry.serviceDate,
                entry.appointmentId,
                entry.patientId,
                entry.tokenNumber,
                entry.priority,
                entry.status,
                entry.joinedAt,
                entry.traceId,
              ],
            );
            await tx.execute(
              `UPDATE queue_days SET last_token = $4
               WHERE tenant_id = $1 AND doctor_id = $2 AND service_date = $3 AND last_token < $4`,
              [entry.tenantId, entry.doctorId, entry.serviceDate, entry.tokenNumber],
            );
            tx.emit(...events);
          },
        }),
      ),

    latestTimeZone: (tenantId, doctorId) =>
      db.read(tenantId, async (sql) => {
        const [row] = await sql.query<{ time_zone: string }>(
          `SELECT time_zone FROM queue_days WHERE tenant_id = $1 AND doctor_id = $2 ORDER BY updated_at DESC LIMIT 1`,
          [tenantId, doctorId],
        );
        return row?.time_zone;
      }),

    listEntries: (tenantId, doctorId, serviceDate) =>
      db.read(tenantId, async (sql) => {
        const rows = await sql.query<EntryRow>(
          `SELECT ${ENTRY_COLUMNS} FROM queue_entries WHERE tenant_id = $1 AND doctor_id = $2 AND service_date = $3`,
          [tenantId, doctorId, serviceDate],
        );
        return rows.map(toEntry);
      }),
  };
}

function toEntry(row: EntryRow): QueueEntry {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    doctorId: row.doctor_id,
    serviceDate: row.service_date,
    appointmentId: row.appointment_id,
    patientId: row.patient_id,
    tokenNumber: row.token_number,
    priority: row.priority,
    status: row.status,
    joinedAt: row.joined_at,
    traceId: row.trace_id,
  };
}
