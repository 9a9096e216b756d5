/**
 * BillStore in SQL on the service's database (the write path of @hms/platform).
 * Besides the rows, a transaction keeps the two read models of the daily
 * report: collections per day (payments and completed refunds) and dues
 * outstanding per department (from each bill's due amount before and after).
 */
import {
  claimIdempotencyKey,
  Conditions,
  ConflictError,
  violates,
  type Database,
  type Sql,
  type Transaction,
  GENERIC_PLANS,
} from '@hms/platform';
import type { BillChanges, BillStore, CollectionLine, RefundFilter } from '../domain/bill-store.js';
import {
  DEFAULT_SETTINGS,
  type Bill,
  type BillingSettings,
  type BillItem,
  type CatalogueItem,
  type CreditNote,
  type Discount,
  type Payment,
  type Refund,
} from '../domain/types.js';

const BILL_COLUMNS = `b.id, b.tenant_id, b.appointment_id, b.patient_id, b.department_id, b.status, b.currency,
  b.subtotal_minor, b.discount_minor, b.tax_minor, b.total_minor, b.paid_minor, b.refunded_minor,
  b.refund_reserved_minor, b.credited_minor, b.due_minor, b.discount_kind, b.discount_value, b.discount_reason,
  b.discount_by, b.invoice_number, b.fiscal_year, b.issued_at, b.issued_by, b.due_at, b.overdue_at, b.voided_at,
  b.void_reason, b.trace_id, b.created_at`;
const ITEM_COLUMNS = `i.id AS i_id, i.bill_id AS i_bill_id, i.kind AS i_kind, i.description AS i_description,
  i.quantity AS i_quantity, i.unit_price_minor AS i_unit_price_minor, i.gross_minor AS i_gross_minor,
  i.line_discount_minor AS i_line_discount_minor, i.bill_discount_minor AS i_bill_discount_minor,
  i.tax_rate_bp AS i_tax_rate_bp, i.tax_minor AS i_tax_minor, i.amount_minor AS i_amount_minor,
  i.catalogue_item_id AS i_catalogue_item_id, i.catalogue_code AS i_catalogue_code,
  i.catalogue_version AS i_catalogue_version, i.discount_kind AS i_discount_kind,
  i.discount_value AS i_discount_value, i.discount_reason AS i_discount_reason, i.discount_by AS i_discount_by,
  i.position AS i_position`;
/** A bill joined with its lines: one row per line (one row with null lines for a bill without any). */
const BILL_WITH_ITEMS = `SELECT ${BILL_COLUMNS}, ${ITEM_COLUMNS}
  FROM bills b LEFT JOIN bill_items i ON i.tenant_id = b.tenant_id AND i.bill_id = b.id`;
const ITEM_ORDER = 'ORDER BY b.id DESC, i.position, i.id';

type Row = Record<string, unknown>;

export function createBillStore(db: Database): BillStore {
  return {
    // Changes run fixed statements: generic plans, or a connection that first served a new tenant
    // goes on planning them for it, finding a bill by id through a tenant-only index.
    change: (tenantId, fn) => db.transaction(tenantId, (tx) => fn(changesIn(tx)), GENERIC_PLANS),

    // Bills with their items: generic plans, or a tenant the statistics have not seen yet walks
    // all its items per bill (PlanOptions.genericPlans).
    find: (tenantId, id) =>
      db.read(
        tenantId,
        async (sql) => {
          const rows = await sql.query<Row>(`${BILL_WITH_ITEMS} WHERE b.tenant_id = $1 AND b.id = $2 ${ITEM_ORDER}`, [
            tenantId,
            id,
          ]);
          return billsOf(rows)[0];
        },
        GENERIC_PLANS,
      ),

    list: (tenantId, filter, limit, afterId) =>
      db.read(
        tenantId,
        async (sql) => {
          // Only the filters given, so each combination has a plan that uses its index.
          const where = new Conditions();
          where.and(`tenant_id = ${where.param(tenantId)}`);
          where.when(filter.appointmentId, (p) => `appointment_id = ${p}`);
          where.when(filter.patientId, (p) => `patient_id = ${p}`);
          where.when(filter.status, (p) => `status = ${p}::"BillStatus"`);
          where.when(afterId, (p) => `id < ${p}`);
          const rows = await sql.query<Row>(
            `WITH page AS (SELECT id FROM bills WHERE ${where.sql} ORDER BY id DESC LIMIT ${where.param(limit)})
           ${BILL_WITH_ITEMS} WHERE b.tenant_id = $1 AND b.id IN (SELECT id FROM page) ${ITEM_ORDER}`,
            where.values,
          );
          return billsOf(rows);
        },
        GENERIC_PLANS,
      ),

    payments: (tenantId, billId) =>
      db.read(tenantId, async (sql) =>
        (
          await sql.query<Row>(
            `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE tenant_id = $1 AND bill_id = $2 ORDER BY received_at, id`,
            [tenantId, billId],
          )
        ).map(toPayment),
      ),

    findPayment: (tenantId, id) => db.read(tenantId, (sql) => selectPayment(sql, tenantId, id)),

    refunds: (tenantId, filter: RefundFilter, limit, afterId) =>
      db.read(tenantId, async (sql) => {
        const where = new Conditions();
        where.and(`tenant_id = ${where.param(tenantId)}`);
        where.when(filter.status || undefined, (p) => `status = ${p}::"RefundStatus"`);
        where.when(filter.billId || undefined, (p) => `bill_id = ${p}`);
        where.when(afterId || undefined, (p) => `id < ${p}`);
        const rows = await sql.query<Row>(
          `SELECT ${REFUND_COLUMNS} FROM refunds WHERE ${where.sql} ORDER BY id DESC LIMIT ${where.param(limit)}`,
          where.values,
        );
        return rows.map(toRefund);
      }),

    creditNotes: (tenantId, billId) =>
      db.read(tenantId, async (sql) =>
        (
          await sql.query<Row>(
            `SELECT ${CREDIT_NOTE_COLUMNS} FROM credit_notes WHERE tenant_id = $1 AND bill_id = $2 ORDER BY issued_at, id`,
            [tenantId, billId],
          )
        ).map(toCreditNote),
      ),

    catalogue: (tenantId, limit, afterCode, includeInactive) =>
      db.read(tenantId, async (sql) => {
        const rows = await sql.query<Row>(
          `SELECT * FROM (
             SELECT DISTINCT ON (code) ${CATALOGUE_COLUMNS} FROM catalogue_items
             WHERE tenant_id = $1 AND ($2::text IS NULL OR code > $2)
             ORDER BY code, version DESC) current
           WHERE $3 OR active ORDER BY code LIMIT $4`,
          [tenantId, afterCode ?? null, includeInactive, limit],
        );
        return rows.map(toCatalogueItem);
      }),

    settings: (tenantId) => db.read(tenantId, (sql) => selectSettings(sql, tenantId)),

    dailyReport: (tenantId, date, timeZone) =>
      db.read(tenantId, async (sql) => {
        const [collections, dues] = await Promise.all([
          sql.query<Row>(
            `SELECT department_id, method, cashier_id, currency, collected_minor, payments, refunded_minor, refunds
             FROM collections_daily WHERE tenant_id = $1 AND day = $2`,
            [tenantId, date],
          ),
          sql.query<Row>(
            `SELECT department_id, currency, due_minor, bills FROM dues_outstanding
             WHERE tenant_id = $1 AND bills > 0 ORDER BY department_id, currency`,
            [tenantId],
          ),
        ]);
        const group = (key: (r: Row) => string) => grouped(collections, key);
        return {
          date,
          timeZone,
          byDepartment: group((r) => r.department_id as string),
          byMethod: group((r) => r.method as string),
          byCashier: group((r) => r.cashier_id as string),
          totals: group(() => 'total'),
          outstanding: dues.map((r) => ({
            departmentId: r.department_id as string,
            currency: r.currency as string,
            dueMinor: r.due_minor as number,
            bills: r.bills as number,
          })),
        };
      }),

    tenantsWithBillsPastDue: (asOf) =>
      db.read(null, async (sql) =>
        (
          await sql.query<{ tenant_id: string }>(
            'SELECT tenant_id FROM billing.tenants_with_bills_past_due($1) AS tenant_id',
            [asOf],
          )
        ).map((r) => r.tenant_id),
      ),
  };
}

/** Collection rows summed per key and currency, in key order. */
function grouped(rows: Row[], keyOf: (r: Row) => string): CollectionLine[] {
  const lines = new Map<string, CollectionLine>();
  for (const r of rows) {
    const key = keyOf(r);
    const currency = r.currency as string;
    const id = `${key}\n${currency}`;
    const line = lines.get(id) ?? { key, currency, collectedMinor: 0, payments: 0, refundedMinor: 0, refunds: 0 };
    line.collectedMinor += r.collected_minor as number;
    line.payments += r.payments as number;
    line.refundedMinor += r.refunded_minor as number;
    line.refunds += r.refunds as number;
    lines.set(id, line);
  }
  return [...lines.values()].sort((a, b) =>
    a.key === b.key ? a.currency.localeCompare(b.currency) : a.key < b.key ? -1 : 1,
  );
}

const CATALOGUE_KEY = 'catalogue_items_tenant_id_code_version_key';

function changesIn(tx: Transaction): BillChanges {
  const tenantId = tx.tenantId!;
  /** The bills as locked (before this transaction changed them): what saveBill compares with. */
  const locked = new Map<string, Bill>();
  let settings: BillingSettings | undefined;

  async function lockWhere(condition: string, values: unknown[]): Promise<Bill[]> {
    const rows = await tx.query<Row>(
      `${BILL_WITH_ITEMS} WHERE b.tenant_id = $1 AND ${condition} ${ITEM_ORDER} FOR UPDATE OF b`,
      [tenantId, ...values],
    );
    const bills = billsOf(rows);
    for (const bill of bills) locked.set(bill.id, bill);
    return bills;
  }

  return {
    async insertUnlessBilled(bill, events) {
      // The bill, its lines and its dues in one statement; nothing is written when the bill was not.
      const [row] = await tx.query<{ lines: number }>(
        `WITH bill AS (
           INSERT INTO bills (id, tenant_id, appointment_id, patient_id, department_id, status, currency,
             subtotal_minor, discount_minor, tax_minor, total_minor, paid_minor, due_minor, trace_id, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $11, $12, $13, $13)
           ON CONFLICT (tenant_id, appointment_id) DO NOTHING RETURNING id, department_id, currency, due_minor),
         lines AS (
           INSERT INTO bill_items (id, tenant_id, bill_id, kind, description, quantity, unit_price_minor, gross_minor,
             amount_minor, position, created_at)
           SELECT i.id, $2, bill.id, i.kind::"BillItemKind", i.description, i.quantity, i.unit_price, i.gross, i.amount,
             i.position, $13
           FROM bill, unnest($14::uuid[], $15::text[], $16::text[], $17::int[], $18::bigint[], $19::bigint[],
             $20::bigint[], $21::int[]) AS i(id, kind, description, quantity, unit_price, gross, amount, position)
           RETURNING 1),
         dues AS (
           INSERT INTO dues_outstanding (tenant_id, department_id, currency, due_minor, bills)
           SELECT $2, department_id, currency, due_minor, 1 FROM bill WHERE due_minor > 0
           ON CONFLICT (tenant_id, department_id, currency) DO UPDATE
             SET due_minor = dues_outstanding.due_minor + EXCLUDED.due_minor, bills = dues_outstanding.bills + 1)
         SELECT count(*)::int AS lines FROM lines`,
        [
          bill.id,
          bill.tenantId,
          bill.appointmentId,
          bill.patientId,
          bill.departmentId,
          bill.status,
          bill.currency,
          bill.subtotalMinor,
          bill.discountMinor,
          bill.taxMinor,
          bill.totalMinor,
          bill.traceId,
          bill.createdAt,
          bill.items.map((i) => i.id),
          bill.items.map((i) => i.kind),
          bill.items.map((i) => i.description),
          bill.items.map((i) => i.quantity),
          bill.items.map((i) => i.unitPriceMinor),
          bill.items.map((i) => i.grossMinor),
          bill.items.map((i) => i.amountMinor),
          bill.items.map((i) => i.position),
        ],
      );
      if (!row || row.lines === 0) return false;
      tx.emit(...events);
      return true;
    },

    lockBill: async (id) => (await lockWhere('b.id = $2', [id]))[0],
    lockBillOfAppointment: async (appointmentId) => (await lockWhere('b.appointment_id = $2', [appointmentId]))[0],
    lockBillsPastDue: (asOf, limit) =>
      lockWhere(
        `b.id IN (SELECT id FROM bills WHERE tenant_id = $1 AND status IN ('OPEN', 'PARTIALLY_PAID')
           AND invoice_number IS NOT NULL AND due_at < $2 AND due_minor > 0
           ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)`,
        [asOf, limit],
      ),

    async saveBill(bill, events) {
      const before = locked.get(bill.id);
      if (!before) throw new Error(`bill ${bill.id} was not locked in this transaction`);
      const dueBefore = outstanding(before);
      const dueAfter = outstanding(bill);
      await tx.execute(
        `WITH saved AS (
           UPDATE bills SET status = $3, subtotal_minor = $4, discount_minor = $5, tax_minor = $6, total_minor = $7,
             paid_minor = $8, refunded_minor = $9, refund_reserved_minor = $10, credited_minor = $11, due_minor = $12,
             discount_kind = $13, discount_value = $14, discount_reason = $15, discount_by = $16,
             invoice_number = $17, fiscal_year = $18, issued_at = $19, issued_by = $20, due_at = $21,
             overdue_at = $22, voided_at = $23, void_reason = $24, updated_at = now()
           WHERE tenant_id = $1 AND id = $2 RETURNING id),
         -- The dues row exists whenever a delta is negative (a bill counted before); a new one
         -- is inserted only for a positive delta, as a CHECK judges the row proposed for insert.
         dues AS (
           UPDATE dues_outstanding SET due_minor = due_minor + $27::bigint, bills = bills + $28::int
           WHERE tenant_id = $1 AND department_id = $25 AND currency = $26 AND ($27::bigint <> 0 OR $28::int <> 0)
             AND EXISTS (SELECT 1 FROM saved)
           RETURNING 1)
         INSERT INTO dues_outstanding (tenant_id, department_id, currency, due_minor, bills)
         SELECT $1, $25, $26, $27::bigint, $28::int FROM saved
         WHERE ($27::bigint <> 0 OR $28::int <> 0) AND NOT EXISTS (SELECT 1 FROM dues)
         ON CONFLICT (tenant_id, department_id, currency) DO UPDATE
           SET due_minor = dues_outstanding.due_minor + EXCLUDED.due_minor,
               bills = dues_outstanding.bills + EXCLUDED.bills`,
        [
          tenantId,
          bill.id,
          bill.status,
          bill.subtotalMinor,
          bill.discountMinor,
          bill.taxMinor,
          bill.totalMinor,
          bill.paidMinor,
          bill.refundedMinor,
          bill.refundReservedMinor,
          bill.creditedMinor,
          bill.dueMinor,
          bill.discount?.kind ?? null,
          bill.discount?.value ?? null,
          bill.discount?.reason ?? null,
          bill.discount?.appliedBy ?? null,
          bill.issue?.invoiceNumber ?? null,
          bill.issue?.fiscalYear ?? null,
          bill.issue?.issuedAt ?? null,
          bill.issue?.issuedBy ?? null,
          bill.issue?.dueAt ?? null,
          bill.overdueAt ?? null,
          bill.voided?.at ?? null,
          bill.voided?.reason ?? null,
          bill.departmentId,
          bill.currency,
          dueAfter.due - dueBefore.due,
          dueAfter.bills - dueBefore.bills,
        ],
      );
      if (JSON.stringify(before.items) !== JSON.stringify(bill.items)) await saveItems(tx, bill);
      locked.set(bill.id, bill);
      tx.emit(...events);
    },

    async settings() {
      settings ??= await selectSettings(tx, tenantId);
      return settings;
    },

    async saveSettings(s, updatedBy) {
      await tx.execute(
        `INSERT INTO billing_settings (tenant_id, invoice_format, credit_note_format, receipt_format,
           fiscal_year_start_month, time_zone, payment_terms_days, late_cancellation_minutes, no_show_policy,
           updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
         ON CONFLICT (tenant_id) DO UPDATE SET invoice_format = $2, credit_note_format = $3, receipt_format = $4,
           fiscal_year_start_month = $5, time_zone = $6, payment_terms_days = $7, late_cancellation_minutes = $8,
           no_show_policy = $9, updated_by = $10, updated_at = now()`,
        [
          tenantId,
          s.invoiceFormat,
          s.creditNoteFormat,
          s.receiptFormat,
          s.fiscalYearStartMonth,
          s.timeZone,
          s.paymentTermsDays,
          s.lateCancellationMinutes,
          s.noShowPolicy,
          updatedBy,
        ],
      );
      settings = s;
    },

    async catalogueItem(code) {
      const [row] = await tx.query<Row>(
        `SELECT ${CATALOGUE_COLUMNS} FROM catalogue_items WHERE tenant_id = $1 AND code = $2 ORDER BY version DESC LIMIT 1`,
        [tenantId, code],
      );
      return row ? toCatalogueItem(row) : undefined;
    },

    async insertCatalogueItem(item) {
      try {
        await tx.execute(
          `INSERT INTO catalogue_items (id, tenant_id, code, version, kind, name, price_minor, currency, tax_rate_bp,
             active, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [
            item.id,
            tenantId,
            item.code,
            item.version,
            item.kind,
            item.name,
            item.priceMinor,
            item.currency,
            item.taxRateBp,
            item.active,
            item.createdBy,
            item.createdAt,
          ],
        );
      } catch (error) {
        if (violates(error, 'unique', CATALOGUE_KEY)) {
          throw new ConflictError(`catalogue entry ${item.code} was changed at the same time; try again`, [
            { field: 'code', message: 'changed concurrently' },
          ]);
        }
        throw error;
      }
    },

    async nextNumber(series, fiscalYear) {
      // The counter row stays locked until commit; a rollback undoes the increment: no gaps.
      const [row] = await tx.query<{ last_value: number }>(
        `INSERT INTO document_counters (tenant_id, series, fiscal_year, last_value) VALUES ($1, $2, $3, 1)
         ON CONFLICT (tenant_id, series, fiscal_year) DO UPDATE SET last_value = document_counters.last_value + 1
         RETURNING last_value`,
        [tenantId, series, fiscalYear],
      );
      return row!.last_value;
    },

    async replayOf(claim) {
      const earlier = await claimIdempotencyKey(tx, claim);
      return earlier === undefined ? undefined : (earlier as { paymentId: string });
    },

    async insertPayment(p, book, claim) {
      await tx.execute(
        `WITH payment AS (
           INSERT INTO payments (id, tenant_id, bill_id, method, amount_minor, currency, reference, receipt_number,
             received_by, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id),
         collected AS (
           INSERT INTO collections_daily (tenant_id, day, department_id, method, cashier_id, currency, collected_minor, payments)
           SELECT $2, $11, $12, $4, $9, $6, $5, 1 FROM payment
           ON CONFLICT (tenant_id, day, department_id, method, cashier_id, currency) DO UPDATE
             SET collected_minor = collections_daily.collected_minor + EXCLUDED.collected_minor,
                 payments = collections_daily.payments + 1)
         UPDATE idempotency_key SET result = $13
         WHERE $13::jsonb IS NOT NULL AND tenant_id = $2 AND operation = $14 AND key = $15`,
        [
          p.id,
          tenantId,
          p.billId,
          p.method,
          p.amountMinor,
          p.currency,
          p.reference,
          p.receiptNumber,
          p.receivedBy,
          p.receivedAt,
          book.day,
          book.departmentId,
          claim ? JSON.stringify({ paymentId: p.id }) : null,
          claim?.operation ?? null,
          claim?.key ?? null,
        ],
      );
    },

    findPayment: (id) => selectPayment(tx, tenantId, id),

    async insertRefund(r) {
      await tx.execute(
        `INSERT INTO refunds (id, tenant_id, bill_id, amount_minor, currency, status, reason, requested_by, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [r.id, tenantId, r.billId, r.amountMinor, r.currency, r.status, r.reason, r.requestedBy, r.requestedAt],
      );
    },

    async lockRefund(id) {
      const [row] = await tx.query<Row>(
        `SELECT ${REFUND_COLUMNS} FROM refunds WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [tenantId, id],
      );
      return row ? toRefund(row) : undefined;
    },

    async saveRefund(r, book) {
      await tx.execute(
        `WITH saved AS (
           UPDATE refunds SET status = $3, decided_by = $4, decided_at = $5, rejection_reason = $6, completed_by = $7,
             completed_at = $8, method = $9, reference = $10
           WHERE tenant_id = $1 AND id = $2 RETURNING id)
         INSERT INTO collections_daily (tenant_id, day, department_id, method, cashier_id, currency, refunded_minor, refunds)
         SELECT $1, $11, $12, $9, $7, $13, $14, 1 FROM saved WHERE $11::date IS NOT NULL
         ON CONFLICT (tenant_id, day, department_id, method, cashier_id, currency) DO UPDATE
           SET refunded_minor = collections_daily.refunded_minor + EXCLUDED.refunded_minor,
               refunds = collections_daily.refunds + 1`,
        [
          tenantId,
          r.id,
          r.status,
          r.decidedBy ?? null,
          r.decidedAt ?? null,
          r.rejectionReason ?? null,
          r.completedBy ?? null,
          r.completedAt ?? null,
          r.method ?? null,
          r.reference ?? null,
          book?.day ?? null,
          book?.departmentId ?? null,
          r.currency,
          r.amountMinor,
        ],
      );
    },

    async insertCreditNote(n) {
      await tx.execute(
        `INSERT INTO credit_notes (id, tenant_id, bill_id, number, fiscal_year, amount_minor, currency, reason, issued_by,
           issued_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [n.id, tenantId, n.billId, n.number, n.fiscalYear, n.amountMinor, n.currency, n.reason, n.issuedBy, n.issuedAt],
      );
    },
  };
}

/** What a bill adds to the dues outstanding: its due when positive and not void. */
function outstanding(bill: Bill): { due: number; bills: number } {
  return !bill.voided && bill.dueMinor > 0 ? { due: bill.dueMinor, bills: 1 } : { due: 0, bills: 0 };
}

/** The bill's lines as they are now: changed and new ones upserted, the others deleted, in one statement. */
async function saveItems(tx: Transaction, bill: Bill): Promise<void> {
  const items = bill.items;
  const col = <T>(f: (i: BillItem) => T) => items.map(f);
  await tx.execute(
    `WITH removed AS (
       DELETE FROM bill_items WHERE tenant_id = $1 AND bill_id = $2 AND NOT (id = ANY($3::uuid[])))
     INSERT INTO bill_items (id, tenant_id, bill_id, kind, description, quantity, unit_price_minor, gross_minor,
       line_discount_minor, bill_discount_minor, tax_rate_bp, tax_minor, amount_minor, catalogue_item_id,
       catalogue_code, catalogue_version, discount_kind, discount_value, discount_reason, discount_by, position)
     SELECT i.id, $1, $2, i.kind::"BillItemKind", i.description, i.quantity, i.unit_price, i.gross, i.line_discount,
       i.bill_discount, i.tax_rate, i.tax, i.amount, i.catalogue_item_id, i.catalogue_code, i.catalogue_version,
       i.discount_kind::"DiscountKind", i.discount_value, i.discount_reason, i.discount_by, i.position
     FROM unnest($3::uuid[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[],
       $11::int[], $12::bigint[], $13::bigint[], $14::uuid[], $15::text[], $16::int[], $17::text[], $18::bigint[],
       $19::text[], $20::text[], $21::int[])
       AS i(id, kind, description, quantity, unit_price, gross, line_discount, bill_discount, tax_rate, tax, amount,
         catalogue_item_id, catalogue_code, catalogue_version, discount_kind, discount_value, discount_reason,
         discount_by, position)
     ON CONFLICT (id) DO UPDATE SET line_discount_minor = EXCLUDED.line_discount_minor,
       bill_discount_minor = EXCLUDED.bill_discount_minor, tax_minor = EXCLUDED.tax_minor,
       amount_minor = EXCLUDED.amount_minor, discount_kind = EXCLUDED.discount_kind,
       discount_value = EXCLUDED.discount_value, discount_reason = EXCLUDED.discount_reason,
       discount_by = EXCLUDED.discount_by`,
    [
      bill.tenantId,
      bill.id,
      col((i) => i.id),
      col((i) => i.kind),
      col((i) => i.description),
      col((i) => i.quantity),
      col((i) => i.unitPriceMinor),
      col((i) => i.grossMinor),
      col((i) => i.lineDiscountMinor),
      col((i) => i.billDiscountMinor),
      col((i) => i.taxRateBp),
      col((i) => i.taxMinor),
      col((i) => i.amountMinor),
      col((i) => i.catalogue?.itemId ?? null),
      col((i) => i.catalogue?.code ?? null),
      col((i) => i.catalogue?.version ?? null),
      col((i) => i.discount?.kind ?? null),
      col((i) => i.discount?.value ?? null),
      col((i) => i.discount?.reason ?? null),
      col((i) => i.discount?.appliedBy ?? null),
      col((i) => i.position),
    ],
  );
}

async function selectSettings(sql: Sql, tenantId: string): Promise<BillingSettings> {
  const [row] = await sql.query<Row>(
    `SELECT invoice_format, credit_note_format, receipt_format, fiscal_year_start_month, time_zone, payment_terms_days,
       late_cancellation_minutes, no_show_policy FROM billing_settings WHERE tenant_id = $1`,
    [tenantId],
  );
  if (!row) return DEFAULT_SETTINGS;
  return {
    invoiceFormat: row.invoice_format as string,
    creditNoteFormat: row.credit_note_format as string,
    receiptFormat: row.receipt_format as string,
    fiscalYearStartMonth: row.fiscal_year_start_month as number,
    timeZone: row.time_zone as string,
    paymentTermsDays: row.payment_terms_days as number,
    lateCancellationMinutes: row.late_cancellation_minutes as number,
    noShowPolicy: row.no_show_policy as BillingSettings['noShowPolicy'],
  };
}

function discountOf(r: Row, prefix = ''): Discount | undefined {
  const kind = r[`${prefix}discount_kind`];
  if (!kind) return undefined;
  return {
    kind: kind as Discount['kind'],
    value: r[`${prefix}discount_value`] as number,
    reason: r[`${prefix}discount_reason`] as string,
    appliedBy: r[`${prefix}discount_by`] as string,
  };
}

/** Rows of BILL_WITH_ITEMS, grouped into bills in the rows' order. */
function billsOf(rows: Row[]): Bill[] {
  const bills = new Map<string, Bill>();
  for (const r of rows) {
    let bill = bills.get(r.id as string);
    if (!bill) {
      bill = toBill(r);
      bills.set(bill.id, bill);
    }
    if (r.i_id) bill.items.push(toItem(r));
  }
  return [...bills.values()];
}

function toBill(r: Row): Bill {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    appointmentId: r.appointment_id as string,
    patientId: r.patient_id as string,
    departmentId: r.department_id as string,
    status: r.status as Bill['status'],
    currency: r.currency as string,
    subtotalMinor: r.subtotal_minor as number,
    discountMinor: r.discount_minor as number,
    taxMinor: r.tax_minor as number,
    totalMinor: r.total_minor as number,
    paidMinor: r.paid_minor as number,
    refundedMinor: r.refunded_minor as number,
    refundReservedMinor: r.refund_reserved_minor as number,
    creditedMinor: r.credited_minor as number,
    dueMinor: r.due_minor as number,
    discount: discountOf(r),
    issue: r.invoice_number
      ? {
          invoiceNumber: r.invoice_number as string,
          fiscalYear: r.fiscal_year as string,
          issuedAt: r.issued_at as Date,
          issuedBy: r.issued_by as string,
          dueAt: r.due_at as Date,
        }
      : undefined,
    overdueAt: (r.overdue_at as Date | null) ?? undefined,
    voided: r.voided_at ? { at: r.voided_at as Date, reason: (r.void_reason as string | null) ?? '' } : undefined,
    traceId: r.trace_id as string,
    createdAt: r.created_at as Date,
    items: [],
  };
}

function toItem(r: Row): BillItem {
  return {
    id: r.i_id as string,
    kind: r.i_kind as BillItem['kind'],
    description: r.i_description as string,
    quantity: r.i_quantity as number,
    unitPriceMinor: r.i_unit_price_minor as number,
    grossMinor: r.i_gross_minor as number,
    lineDiscountMinor: r.i_line_discount_minor as number,
    billDiscountMinor: r.i_bill_discount_minor as number,
    taxRateBp: r.i_tax_rate_bp as number,
    taxMinor: r.i_tax_minor as number,
    amountMinor: r.i_amount_minor as number,
    catalogue: r.i_catalogue_code
      ? {
          itemId: r.i_catalogue_item_id as string,
          code: r.i_catalogue_code as string,
          version: r.i_catalogue_version as number,
        }
      : undefined,
    discount: discountOf(r, 'i_'),
    position: r.i_position as number,
  };
}

const PAYMENT_COLUMNS =
  'id, tenant_id, bill_id, method, amount_minor, currency, reference, receipt_number, received_by, received_at';

async function selectPayment(sql: Sql, tenantId: string, id: string): Promise<Payment | undefined> {
  const [row] = await sql.query<Row>(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE tenant_id = $1 AND id = $2`, [
    tenantId,
    id,
  ]);
  return row ? toPayment(row) : undefined;
}

function toPayment(r: Row): Payment {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    billId: r.bill_id as string,
    method: r.method as Payment['method'],
    amountMinor: r.amount_minor as number,
    currency: r.currency as string,
    reference: r.reference as string,
    receiptNumber: r.receipt_number as string,
    receivedBy: r.received_by as string,
    receivedAt: r.received_at as Date,
  };
}

const REFUND_COLUMNS = `id, tenant_id, bill_id, amount_minor, currency, status, reason, requested_by, requested_at,
  decided_by, decided_at, rejection_reason, completed_by, completed_at, method, reference`;

function toRefund(r: Row): Refund {
  const optional = <T>(v: unknown) => (v === null ? undefined : (v as T));
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    billId: r.bill_id as string,
    amountMinor: r.amount_minor as number,
    currency: r.currency as string,
    status: r.status as Refund['status'],
    reason: r.reason as string,
    requestedBy: r.requested_by as string,
    requestedAt: r.requested_at as Date,
    decidedBy: optional(r.decided_by),
    decidedAt: optional(r.decided_at),
    rejectionReason: optional(r.rejection_reason),
    completedBy: optional(r.completed_by),
    completedAt: optional(r.completed_at),
    method: optional(r.method),
    reference: optional(r.reference),
  };
}

const CREDIT_NOTE_COLUMNS =
  'id, tenant_id, bill_id, number, fiscal_year, amount_minor, currency, reason, issued_by, issued_at';

function toCreditNote(r: Row): CreditNote {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    billId: r.bill_id as string,
    number: r.number as string,
    fiscalYear: r.fiscal_year as string,
    amountMinor: r.amount_minor as number,
    currency: r.currency as string,
    reason: r.reason as string,
    issuedBy: r.issued_by as string,
    issuedAt: r.issued_at as Date,
  };
}

const CATALOGUE_COLUMNS =
  'id, tenant_id, code, version, kind, name, price_minor, currency, tax_rate_bp, active, created_by, created_at';

function toCatalogueItem(r: Row): CatalogueItem {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    code: r.code as string,
    version: r.version as number,
    kind: r.kind as CatalogueItem['kind'],
    name: r.name as string,
    priceMinor: r.price_minor as number,
    currency: r.currency as string,
    taxRateBp: r.tax_rate_bp as number,
    active: r.active as boolean,
    createdBy: r.created_by as string,
    createdAt: r.created_at as Date,
  };
}
