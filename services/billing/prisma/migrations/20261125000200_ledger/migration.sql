-- The billing ledger (issue 10): catalogue, discounts and taxes per line, issued
-- invoices with gapless numbers, payments, refunds, credit notes, read models.

-- AlterEnum
ALTER TYPE "billing"."BillStatus" ADD VALUE 'OVERDUE';
ALTER TYPE "billing"."BillItemKind" ADD VALUE 'PROCEDURE';
ALTER TYPE "billing"."BillItemKind" ADD VALUE 'LAB_TEST';
ALTER TYPE "billing"."BillItemKind" ADD VALUE 'PHARMACY';
ALTER TYPE "billing"."BillItemKind" ADD VALUE 'PACKAGE';

-- CreateEnum
CREATE TYPE "billing"."DiscountKind" AS ENUM ('PERCENT', 'AMOUNT');
CREATE TYPE "billing"."PaymentMethod" AS ENUM ('CASH', 'CARD', 'UPI', 'INSURANCE', 'WALLET');
CREATE TYPE "billing"."RefundStatus" AS ENUM ('REQUESTED', 'APPROVED', 'REJECTED', 'COMPLETED');
CREATE TYPE "billing"."NoShowPolicy" AS ENUM ('CHARGE', 'LATE_CANCELLATION');

-- AlterTable: bills. Existing bills had no discounts, taxes, refunds or credits.
ALTER TABLE "billing"."bills"
    ADD COLUMN "department_id" UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    ADD COLUMN "subtotal_minor" BIGINT,
    ADD COLUMN "discount_minor" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "tax_minor" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "refunded_minor" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "refund_reserved_minor" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "credited_minor" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "due_minor" BIGINT,
    ADD COLUMN "discount_kind" "billing"."DiscountKind",
    ADD COLUMN "discount_value" BIGINT,
    ADD COLUMN "discount_reason" TEXT,
    ADD COLUMN "discount_by" TEXT,
    ADD COLUMN "invoice_number" TEXT,
    ADD COLUMN "fiscal_year" TEXT,
    ADD COLUMN "issued_at" TIMESTAMPTZ(3),
    ADD COLUMN "issued_by" TEXT,
    ADD COLUMN "due_at" TIMESTAMPTZ(3),
    ADD COLUMN "overdue_at" TIMESTAMPTZ(3),
    ADD COLUMN "voided_at" TIMESTAMPTZ(3),
    ADD COLUMN "void_reason" TEXT;
UPDATE "billing"."bills" SET "subtotal_minor" = "total_minor", "due_minor" = "total_minor" - "paid_minor";
ALTER TABLE "billing"."bills"
    ALTER COLUMN "department_id" DROP DEFAULT,
    ALTER COLUMN "subtotal_minor" SET NOT NULL,
    ALTER COLUMN "due_minor" SET NOT NULL,
    -- Rules Prisma cannot express; kept in the database all the same.
    ADD CONSTRAINT "bills_amounts_check" CHECK (
        "subtotal_minor" >= 0 AND "discount_minor" >= 0 AND "tax_minor" >= 0
        AND "total_minor" = "subtotal_minor" - "discount_minor" + "tax_minor"),
    ADD CONSTRAINT "bills_refunded_check" CHECK (
        "refunded_minor" >= 0 AND "refund_reserved_minor" >= 0
        AND "refunded_minor" + "refund_reserved_minor" <= "paid_minor"),
    ADD CONSTRAINT "bills_credited_check" CHECK ("credited_minor" >= 0 AND "credited_minor" <= "total_minor"),
    ADD CONSTRAINT "bills_due_check" CHECK (
        "due_minor" = "total_minor" - "credited_minor" - "paid_minor" + "refunded_minor"),
    ADD CONSTRAINT "bills_discount_check" CHECK (
        ("discount_kind" IS NULL AND "discount_value" IS NULL AND "discount_reason" IS NULL AND "discount_by" IS NULL)
        OR ("discount_kind" IS NOT NULL AND "discount_reason" IS NOT NULL AND "discount_by" IS NOT NULL
            AND "discount_value" > 0 AND ("discount_kind" <> 'PERCENT' OR "discount_value" <= 10000))),
    ADD CONSTRAINT "bills_issued_check" CHECK (
        ("invoice_number" IS NULL) = ("issued_at" IS NULL)
        AND ("invoice_number" IS NULL) = ("fiscal_year" IS NULL)
        AND ("invoice_number" IS NULL) = ("due_at" IS NULL)
        AND ("overdue_at" IS NULL OR "invoice_number" IS NOT NULL)),
    ADD CONSTRAINT "bills_void_check" CHECK (("status" = 'VOID') = ("voided_at" IS NOT NULL));

-- AlterTable: bill_items. Existing lines: gross = amount, no discount, no tax.
ALTER TABLE "billing"."bill_items"
    DROP CONSTRAINT "bill_items_amount_check",
    ADD COLUMN "gross_minor" BIGINT,
    ADD COLUMN "line_discount_minor" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "bill_discount_minor" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "tax_rate_bp" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "tax_minor" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "catalogue_item_id" UUID,
    ADD COLUMN "catalogue_code" TEXT,
    ADD COLUMN "catalogue_version" INTEGER,
    ADD COLUMN "discount_kind" "billing"."DiscountKind",
    ADD COLUMN "discount_value" BIGINT,
    ADD COLUMN "discount_reason" TEXT,
    ADD COLUMN "discount_by" TEXT,
    ADD COLUMN "position" INTEGER NOT NULL DEFAULT 0;
UPDATE "billing"."bill_items" SET "gross_minor" = "amount_minor", "position" = CASE "kind" WHEN 'HOSPITAL_FEE' THEN 1 ELSE 0 END;
ALTER TABLE "billing"."bill_items"
    ALTER COLUMN "gross_minor" SET NOT NULL,
    ADD CONSTRAINT "bill_items_amount_check" CHECK (
        "unit_price_minor" >= 0 AND "gross_minor" = "quantity" * "unit_price_minor"
        AND "line_discount_minor" >= 0 AND "bill_discount_minor" >= 0
        AND "line_discount_minor" + "bill_discount_minor" <= "gross_minor"
        AND "tax_rate_bp" BETWEEN 0 AND 10000 AND "tax_minor" >= 0
        AND "amount_minor" = "gross_minor" - "line_discount_minor" - "bill_discount_minor" + "tax_minor"),
    ADD CONSTRAINT "bill_items_discount_check" CHECK (
        ("discount_kind" IS NULL AND "discount_value" IS NULL AND "discount_reason" IS NULL AND "discount_by" IS NULL)
        OR ("discount_kind" IS NOT NULL AND "discount_reason" IS NOT NULL AND "discount_by" IS NOT NULL
            AND "discount_value" > 0 AND ("discount_kind" <> 'PERCENT' OR "discount_value" <= 10000)));

-- CreateTable
CREATE TABLE "billing"."catalogue_items" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "kind" "billing"."BillItemKind" NOT NULL,
    "name" TEXT NOT NULL,
    "price_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "tax_rate_bp" INTEGER NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "catalogue_items_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "catalogue_items_check" CHECK (
        "version" >= 1 AND "price_minor" >= 0 AND "tax_rate_bp" BETWEEN 0 AND 10000
        AND "currency" ~ '^[A-Z]{3}$' AND "code" ~ '^[A-Z0-9][A-Z0-9._-]{0,39}$')
);

-- CreateTable
CREATE TABLE "billing"."billing_settings" (
    "tenant_id" UUID NOT NULL,
    "invoice_format" TEXT NOT NULL,
    "credit_note_format" TEXT NOT NULL,
    "receipt_format" TEXT NOT NULL,
    "fiscal_year_start_month" INTEGER NOT NULL,
    "time_zone" TEXT NOT NULL,
    "payment_terms_days" INTEGER NOT NULL,
    "late_cancellation_minutes" INTEGER NOT NULL,
    "no_show_policy" "billing"."NoShowPolicy" NOT NULL,
    "updated_by" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "billing_settings_pkey" PRIMARY KEY ("tenant_id"),
    CONSTRAINT "billing_settings_check" CHECK (
        "fiscal_year_start_month" BETWEEN 1 AND 12 AND "payment_terms_days" BETWEEN 0 AND 365
        AND "late_cancellation_minutes" BETWEEN 0 AND 10080)
);

-- CreateTable
CREATE TABLE "billing"."document_counters" (
    "tenant_id" UUID NOT NULL,
    "series" TEXT NOT NULL,
    "fiscal_year" TEXT NOT NULL,
    "last_value" BIGINT NOT NULL,

    CONSTRAINT "document_counters_pkey" PRIMARY KEY ("tenant_id","series","fiscal_year"),
    CONSTRAINT "document_counters_check" CHECK ("last_value" >= 1)
);

-- CreateTable
CREATE TABLE "billing"."payments" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "bill_id" UUID NOT NULL,
    "method" "billing"."PaymentMethod" NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "reference" TEXT NOT NULL DEFAULT '',
    "receipt_number" TEXT NOT NULL,
    "received_by" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payments_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "payments_amount_check" CHECK ("amount_minor" > 0)
);

-- CreateTable
CREATE TABLE "billing"."refunds" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "bill_id" UUID NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "status" "billing"."RefundStatus" NOT NULL,
    "reason" TEXT NOT NULL,
    "requested_by" TEXT NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    "decided_by" TEXT,
    "decided_at" TIMESTAMPTZ(3),
    "rejection_reason" TEXT,
    "completed_by" TEXT,
    "completed_at" TIMESTAMPTZ(3),
    "method" "billing"."PaymentMethod",
    "reference" TEXT,

    CONSTRAINT "refunds_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "refunds_amount_check" CHECK ("amount_minor" > 0),
    -- The two-person rule: whoever decides is not whoever asked.
    CONSTRAINT "refunds_two_person_check" CHECK ("decided_by" IS NULL OR "decided_by" <> "requested_by"),
    CONSTRAINT "refunds_status_check" CHECK (
        ("status" = 'REQUESTED' AND "decided_by" IS NULL AND "completed_by" IS NULL)
        OR ("status" = 'APPROVED' AND "decided_by" IS NOT NULL AND "completed_by" IS NULL)
        OR ("status" = 'REJECTED' AND "decided_by" IS NOT NULL AND "rejection_reason" IS NOT NULL AND "completed_by" IS NULL)
        OR ("status" = 'COMPLETED' AND "decided_by" IS NOT NULL AND "completed_by" IS NOT NULL AND "method" IS NOT NULL))
);

-- CreateTable
CREATE TABLE "billing"."credit_notes" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "bill_id" UUID NOT NULL,
    "number" TEXT NOT NULL,
    "fiscal_year" TEXT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "reason" TEXT NOT NULL,
    "issued_by" TEXT NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "credit_notes_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "credit_notes_amount_check" CHECK ("amount_minor" > 0)
);

-- CreateTable
CREATE TABLE "billing"."collections_daily" (
    "tenant_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "department_id" UUID NOT NULL,
    "method" "billing"."PaymentMethod" NOT NULL,
    "cashier_id" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "collected_minor" BIGINT NOT NULL DEFAULT 0,
    "payments" INTEGER NOT NULL DEFAULT 0,
    "refunded_minor" BIGINT NOT NULL DEFAULT 0,
    "refunds" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "collections_daily_pkey" PRIMARY KEY ("tenant_id","day","department_id","method","cashier_id","currency")
);

-- CreateTable
CREATE TABLE "billing"."dues_outstanding" (
    "tenant_id" UUID NOT NULL,
    "department_id" UUID NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "due_minor" BIGINT NOT NULL DEFAULT 0,
    "bills" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "dues_outstanding_pkey" PRIMARY KEY ("tenant_id","department_id","currency"),
    CONSTRAINT "dues_outstanding_check" CHECK ("due_minor" >= 0 AND "bills" >= 0)
);

-- CreateIndex
CREATE UNIQUE INDEX "bills_tenant_id_invoice_number_key" ON "billing"."bills"("tenant_id", "invoice_number");
CREATE INDEX "bills_tenant_id_status_id_idx" ON "billing"."bills"("tenant_id", "status", "id");
CREATE INDEX "bills_tenant_id_status_due_minor_idx" ON "billing"."bills"("tenant_id", "status", "due_minor");
CREATE INDEX "bills_overdue_candidates_idx" ON "billing"."bills"("tenant_id", "due_at")
    WHERE "status" IN ('OPEN', 'PARTIALLY_PAID') AND "invoice_number" IS NOT NULL;
CREATE UNIQUE INDEX "catalogue_items_tenant_id_code_version_key" ON "billing"."catalogue_items"("tenant_id", "code", "version");
CREATE UNIQUE INDEX "payments_tenant_id_receipt_number_key" ON "billing"."payments"("tenant_id", "receipt_number");
CREATE INDEX "payments_tenant_id_bill_id_idx" ON "billing"."payments"("tenant_id", "bill_id");
CREATE INDEX "refunds_tenant_id_status_id_idx" ON "billing"."refunds"("tenant_id", "status", "id");
CREATE INDEX "refunds_tenant_id_bill_id_idx" ON "billing"."refunds"("tenant_id", "bill_id");
CREATE UNIQUE INDEX "credit_notes_tenant_id_number_key" ON "billing"."credit_notes"("tenant_id", "number");
CREATE INDEX "credit_notes_tenant_id_bill_id_idx" ON "billing"."credit_notes"("tenant_id", "bill_id");

-- AddForeignKey
ALTER TABLE "billing"."payments" ADD CONSTRAINT "payments_tenant_id_bill_id_fkey" FOREIGN KEY ("tenant_id", "bill_id") REFERENCES "billing"."bills"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "billing"."refunds" ADD CONSTRAINT "refunds_tenant_id_bill_id_fkey" FOREIGN KEY ("tenant_id", "bill_id") REFERENCES "billing"."bills"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "billing"."credit_notes" ADD CONSTRAINT "credit_notes_tenant_id_bill_id_fkey" FOREIGN KEY ("tenant_id", "bill_id") REFERENCES "billing"."bills"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A bill's totals are the sums of its lines, checked when the transaction that
-- changed either commits (deferred, so a change may update lines and totals in
-- any order). SQLSTATE 23514, as a CHECK.
CREATE FUNCTION "billing"."check_bill_sums"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bill_tenant uuid;
  bill uuid;
  totals record;
  sums record;
BEGIN
  IF TG_TABLE_NAME = 'bills' THEN
    bill_tenant := NEW.tenant_id; bill := NEW.id;
  ELSIF TG_OP = 'DELETE' THEN
    bill_tenant := OLD.tenant_id; bill := OLD.bill_id;
  ELSE
    bill_tenant := NEW.tenant_id; bill := NEW.bill_id;
  END IF;
  SELECT subtotal_minor, discount_minor, tax_minor, total_minor INTO totals
    FROM "billing"."bills" WHERE tenant_id = bill_tenant AND id = bill;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT coalesce(sum(gross_minor), 0) AS subtotal,
         coalesce(sum(line_discount_minor + bill_discount_minor), 0) AS discount,
         coalesce(sum(tax_minor), 0) AS tax,
         coalesce(sum(amount_minor), 0) AS total
    INTO sums
    FROM "billing"."bill_items" WHERE tenant_id = bill_tenant AND bill_id = bill;
  IF totals.subtotal_minor <> sums.subtotal OR totals.discount_minor <> sums.discount
     OR totals.tax_minor <> sums.tax OR totals.total_minor <> sums.total THEN
    RAISE EXCEPTION 'bill % totals differ from the sum of its lines', bill
      USING ERRCODE = '23514', CONSTRAINT = 'bills_sum_of_lines';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER "bills_sum_of_lines"
    AFTER INSERT OR UPDATE OF "subtotal_minor", "discount_minor", "tax_minor", "total_minor" ON "billing"."bills"
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "billing"."check_bill_sums"();
CREATE CONSTRAINT TRIGGER "bill_items_sum_of_lines"
    AFTER INSERT OR UPDATE OR DELETE ON "billing"."bill_items"
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "billing"."check_bill_sums"();

-- The overdue job looks across tenants; with row-level security on the tables
-- the service's role sees one tenant at a time, so it asks this function (run
-- as the schema's owner) which tenants have bills past due.
CREATE FUNCTION "billing"."tenants_with_bills_past_due"(as_of timestamptz) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT DISTINCT tenant_id FROM "billing"."bills"
  WHERE status IN ('OPEN', 'PARTIALLY_PAID') AND invoice_number IS NOT NULL AND due_at < as_of AND due_minor > 0
$$;
REVOKE ALL ON FUNCTION "billing"."tenants_with_bills_past_due"(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "billing"."tenants_with_bills_past_due"(timestamptz) TO hms_billing;
