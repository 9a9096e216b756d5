/**
 * Bills in bulk for the daily report benchmark: `count` issued bills of a
 * tenant over the past year, in SQL (generate_series), as the service's own
 * login would hold them: two lines each, 70 % paid in full, 10 % in part, the
 * rest unpaid; ten departments, five methods, twenty cashiers. Loaded in
 * batches (each bill's lines are checked against its totals at commit by the
 * database's trigger, as for any bill), then the two read models of the
 * tenant are rebuilt from the rows, as an operator would after a restore.
 */
import pg from 'pg';
import { databaseUrl, type StackEnv } from './stack.js';

const BATCH = 50_000;

export async function loadBills(
  env: StackEnv,
  tenantId: string,
  count: number,
): Promise<{ bills: number; payments: number; ms: number }> {
  const started = Date.now();
  const db = new pg.Client({ connectionString: databaseUrl(env, 'hms_billing', 'HMS_DB_PASSWORD_BILLING') });
  await db.connect();
  try {
    await db.query("SET statement_timeout = '10min'");
    for (let from = 1; from <= count; from += BATCH) {
      const to = Math.min(count, from + BATCH - 1);
      await db.query('BEGIN');
      // Row-level security: the tenant's rows are written in a transaction scoped to it.
      await db.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
      await db.query(
        `WITH g AS (
           SELECT n, gen_random_uuid() AS id,
             ('00000000-0000-4000-8000-' || lpad((n % 10)::text, 12, '0'))::uuid AS department_id,
             now() - (n % 365) * interval '1 day' - (n % 600) * interval '1 minute' AS at,
             CASE WHEN n % 10 < 7 THEN 60000 WHEN n % 10 = 7 THEN 20000 ELSE 0 END AS paid
           FROM generate_series($2::int, $3::int) AS n),
         bills AS (
           INSERT INTO billing.bills (id, tenant_id, appointment_id, patient_id, department_id, status, currency,
             subtotal_minor, total_minor, paid_minor, due_minor, invoice_number, fiscal_year, issued_at, issued_by,
             due_at, created_at, updated_at)
           SELECT id, $1, gen_random_uuid(), gen_random_uuid(), department_id,
             (CASE WHEN paid = 60000 THEN 'PAID' WHEN paid > 0 THEN 'PARTIALLY_PAID' ELSE 'OPEN' END)::billing."BillStatus",
             'INR', 60000, 60000, paid, 60000 - paid, 'BENCH/' || n, 'bench', at, 'bench',
             at + interval '3650 days', at, at
           FROM g RETURNING id),
         items AS (
           INSERT INTO billing.bill_items (id, tenant_id, bill_id, kind, description, quantity, unit_price_minor,
             gross_minor, amount_minor, position)
           SELECT gen_random_uuid(), $1, g.id, k.kind::billing."BillItemKind", k.description, 1, k.price, k.price,
             k.price, k.position
           FROM g CROSS JOIN (VALUES ('CONSULTATION_FEE', 'Consultation fee', 50000, 0),
                                     ('HOSPITAL_FEE', 'Hospital fee', 10000, 1)) AS k(kind, description, price, position))
         INSERT INTO billing.payments (id, tenant_id, bill_id, method, amount_minor, currency, reference, receipt_number,
           received_by, received_at)
         SELECT gen_random_uuid(), $1, id,
           (ARRAY['CASH', 'CARD', 'UPI', 'INSURANCE', 'WALLET'])[1 + n % 5]::billing."PaymentMethod",
           paid, 'INR', 'bench-' || n, 'BENCH-R/' || n, 'cashier-' || (n % 20), at
         FROM g WHERE paid > 0`,
        [tenantId, from, to],
      );
      await db.query('COMMIT');
    }
    await db.query('BEGIN');
    // As the tenant: under row-level security a session without it sees no rows, and the read
    // models were left as they were (the report then read a near-empty day).
    await db.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    await db.query('DELETE FROM billing.collections_daily WHERE tenant_id = $1', [tenantId]);
    await db.query(
      `INSERT INTO billing.collections_daily (tenant_id, day, department_id, method, cashier_id, currency,
         collected_minor, payments)
       SELECT p.tenant_id, (p.received_at AT TIME ZONE 'Asia/Kolkata')::date, b.department_id, p.method, p.received_by,
         p.currency, sum(p.amount_minor), count(*)
       FROM billing.payments p JOIN billing.bills b ON b.tenant_id = p.tenant_id AND b.id = p.bill_id
       WHERE p.tenant_id = $1 GROUP BY 1, 2, 3, 4, 5, 6`,
      [tenantId],
    );
    await db.query(
      `UPDATE billing.collections_daily c SET refunded_minor = r.amount, refunds = r.n
       FROM (SELECT (rf.completed_at AT TIME ZONE 'Asia/Kolkata')::date AS day, b.department_id, rf.method,
               rf.completed_by AS cashier, rf.currency, sum(rf.amount_minor) AS amount, count(*) AS n
             FROM billing.refunds rf JOIN billing.bills b ON b.tenant_id = rf.tenant_id AND b.id = rf.bill_id
             WHERE rf.tenant_id = $1 AND rf.status = 'COMPLETED' GROUP BY 1, 2, 3, 4, 5) r
       WHERE c.tenant_id = $1 AND c.day = r.day AND c.department_id = r.department_id AND c.method = r.method
         AND c.cashier_id = r.cashier AND c.currency = r.currency`,
      [tenantId],
    );
    await db.query('DELETE FROM billing.dues_outstanding WHERE tenant_id = $1', [tenantId]);
    await db.query(
      `INSERT INTO billing.dues_outstanding (tenant_id, department_id, currency, due_minor, bills)
       SELECT tenant_id, department_id, currency, sum(due_minor), count(*)
       FROM billing.bills WHERE tenant_id = $1 AND status <> 'VOID' AND due_minor > 0 GROUP BY 1, 2, 3`,
      [tenantId],
    );
    await db.query('COMMIT');
    // Counted as the tenant (row-level security shows a session without it nothing).
    await db.query('BEGIN READ ONLY');
    await db.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    const { rows } = await db.query<{ bills: string; payments: string }>(
      `SELECT (SELECT count(*) FROM billing.bills WHERE tenant_id = $1) AS bills,
              (SELECT count(*) FROM billing.payments WHERE tenant_id = $1) AS payments`,
      [tenantId],
    );
    await db.query('COMMIT');
    return { bills: Number(rows[0]!.bills), payments: Number(rows[0]!.payments), ms: Date.now() - started };
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await db.end();
  }
}
