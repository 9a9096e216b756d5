/** BillStore in SQL on the service's database (the write path of @hms/platform). */
import type { Database, Sql } from '@hms/platform';
import type { BillStore } from '../domain/bill-store.js';
import type { Bill, BillItemKind, BillStatus } from '../domain/types.js';

interface BillRow {
  id: string;
  tenant_id: string;
  appointment_id: string;
  patient_id: string;
  status: BillStatus;
  currency: string;
  total_minor: number;
  paid_minor: number;
  trace_id: string;
  created_at: Date;
}

interface ItemRow {
  id: string;
  bill_id: string;
  kind: BillItemKind;
  description: string;
  quantity: number;
  unit_price_minor: number;
  amount_minor: number;
}

const BILL_COLUMNS =
  'id, tenant_id, appointment_id, patient_id, status, currency, total_minor, paid_minor, trace_id, created_at';
const ITEM_COLUMNS = 'id, bill_id, kind, description, quantity, unit_price_minor, amount_minor';

export function createBillStore(db: Database): BillStore {
  return {
    change: (tenantId, fn) =>
      db.transaction(tenantId, (tx) =>
        fn({
          async insertUnlessBilled(bill, events) {
            // The bill and its lines in one statement; no line is written when the bill was not.
            const lines = await tx.query(
              `WITH bill AS (
                 INSERT INTO bills (id, tenant_id, appointment_id, patient_id, status, currency, total_minor, paid_minor,
                   trace_id, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
                 ON CONFLICT (tenant_id, appointment_id) DO NOTHING RETURNING id)
               INSERT INTO bill_items (id, tenant_id, bill_id, kind, description, quantity, unit_price_minor, amount_minor, created_at)
               SELECT i.id, $2, bill.id, i.kind::"BillItemKind", i.description, i.quantity, i.unit_price, i.amount, $10
               FROM bill, unnest($11::uuid[], $12::text[], $13::text[], $14::int[], $15::bigint[], $16::bigint[])
                 AS i(id, kind, description, quantity, unit_price, amount)
               RETURNING 1`,
              [
                bill.id,
                bill.tenantId,
                bill.appointmentId,
                bill.patientId,
                bill.status,
                bill.currency,
                bill.totalMinor,
                bill.paidMinor,
                bill.traceId,
                bill.createdAt,
                bill.items.map((i) => i.id),
                bill.items.map((i) => i.kind),
                bill.items.map((i) => i.description),
                bill.items.map((i) => i.quantity),
                bill.items.map((i) => i.unitPriceMinor),
                bill.items.map((i) => i.amountMinor),
              ],
            );
            if (lines.length === 0) return false;
            tx.emit(...events);
            return true;
          },
        }),
      ),

    find: (tenantId, id) =>
      db.read(tenantId, async (sql) => {
        const [row] = await sql.query<BillRow>(`SELECT ${BILL_COLUMNS} FROM bills WHERE tenant_id = $1 AND id = $2`, [
          tenantId,
          id,
        ]);
        return row ? (await withItems(sql, tenantId, [row]))[0] : undefined;
      }),

    list: (tenantId, filter, limit, afterId) =>
      db.read(tenantId, async (sql) => {
        const rows = await sql.query<BillRow>(
          `SELECT ${BILL_COLUMNS} FROM bills
           WHERE tenant_id = $1
             AND ($2::uuid IS NULL OR appointment_id = $2)
             AND ($3::uuid IS NULL OR patient_id = $3)
             AND ($4::uuid IS NULL OR id < $4)
           ORDER BY id DESC LIMIT $5`,
          [tenantId, filter.appointmentId ?? null, filter.patientId ?? null, afterId ?? null, limit],
        );
        return withItems(sql, tenantId, rows);
      }),
  };
}

/** The bills with their lines, in one more query whatever the number of bills. */
async function withItems(sql: Sql, tenantId: string, rows: BillRow[]): Promise<Bill[]> {
  if (rows.length === 0) return [];
  const items = await sql.query<ItemRow>(
    `SELECT ${ITEM_COLUMNS} FROM bill_items WHERE tenant_id = $1 AND bill_id = ANY($2::uuid[]) ORDER BY bill_id, id`,
    [tenantId, rows.map((r) => r.id)],
  );
  const byBill = new Map<string, ItemRow[]>();
  for (const item of items) {
    const list = byBill.get(item.bill_id) ?? [];
    list.push(item);
    byBill.set(item.bill_id, list);
  }
  return rows.map((row) => ({
    id: row.id,
    tenantId: row.tenant_id,
    appointmentId: row.appointment_id,
    patientId: row.patient_id,
    status: row.status,
    currency: row.currency,
    totalMinor: row.total_minor,
    paidMinor: row.paid_minor,
    traceId: row.trace_id,
    createdAt: row.created_at,
    items: (byBill.get(row.id) ?? []).map((item) => ({
      id: item.id,
      kind: item.kind,
      description: item.description,
      quantity: item.quantity,
      unitPriceMinor: item.unit_price_minor,
      amountMinor: item.amount_minor,
    })),
  }));
}
