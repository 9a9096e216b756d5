-- CreateEnum
CREATE TYPE "billing"."BillStatus" AS ENUM ('OPEN', 'PARTIALLY_PAID', 'PAID', 'VOID');

-- CreateEnum
CREATE TYPE "billing"."BillItemKind" AS ENUM ('CONSULTATION_FEE', 'HOSPITAL_FEE', 'OTHER');

-- CreateTable
CREATE TABLE "billing"."bills" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "appointment_id" UUID NOT NULL,
    "patient_id" UUID NOT NULL,
    "status" "billing"."BillStatus" NOT NULL DEFAULT 'OPEN',
    "currency" CHAR(3) NOT NULL,
    "total_minor" BIGINT NOT NULL,
    "paid_minor" BIGINT NOT NULL DEFAULT 0,
    "trace_id" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bills_pkey" PRIMARY KEY ("id"),
    -- Rules Prisma cannot express; kept in the database all the same.
    CONSTRAINT "bills_total_check" CHECK ("total_minor" >= 0),
    CONSTRAINT "bills_paid_check" CHECK ("paid_minor" >= 0 AND "paid_minor" <= "total_minor"),
    CONSTRAINT "bills_currency_check" CHECK ("currency" ~ '^[A-Z]{3}$')
);

-- CreateTable
CREATE TABLE "billing"."bill_items" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "bill_id" UUID NOT NULL,
    "kind" "billing"."BillItemKind" NOT NULL,
    "description" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price_minor" BIGINT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bill_items_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "bill_items_quantity_check" CHECK ("quantity" > 0),
    CONSTRAINT "bill_items_amount_check" CHECK ("unit_price_minor" >= 0 AND "amount_minor" = "quantity" * "unit_price_minor")
);

-- CreateIndex
CREATE UNIQUE INDEX "bills_tenant_id_id_key" ON "billing"."bills"("tenant_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "bills_tenant_id_appointment_id_key" ON "billing"."bills"("tenant_id", "appointment_id");

-- CreateIndex
CREATE INDEX "bills_tenant_id_patient_id_id_idx" ON "billing"."bills"("tenant_id", "patient_id", "id");

-- CreateIndex
CREATE INDEX "bill_items_tenant_id_bill_id_idx" ON "billing"."bill_items"("tenant_id", "bill_id");

-- AddForeignKey
ALTER TABLE "billing"."bill_items" ADD CONSTRAINT "bill_items_tenant_id_bill_id_fkey" FOREIGN KEY ("tenant_id", "bill_id") REFERENCES "billing"."bills"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;
