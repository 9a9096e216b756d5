-- CreateEnum
CREATE TYPE "queue"."QueueEntryStatus" AS ENUM ('WAITING', 'CALLED', 'IN_CONSULTATION', 'DONE', 'SKIPPED');

-- CreateTable
CREATE TABLE "queue"."queue_days" (
    "tenant_id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "service_date" DATE NOT NULL,
    "time_zone" TEXT NOT NULL,
    "last_token" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "queue_days_pkey" PRIMARY KEY ("tenant_id","doctor_id","service_date"),
    -- Rules Prisma cannot express; kept in the database all the same.
    CONSTRAINT "queue_days_last_token_check" CHECK ("last_token" >= 0)
);

-- CreateTable
CREATE TABLE "queue"."queue_entries" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "service_date" DATE NOT NULL,
    "appointment_id" UUID NOT NULL,
    "patient_id" UUID NOT NULL,
    "token_number" INTEGER NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "status" "queue"."QueueEntryStatus" NOT NULL DEFAULT 'WAITING',
    "joined_at" TIMESTAMPTZ(3) NOT NULL,
    "trace_id" TEXT NOT NULL DEFAULT '',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "queue_entries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "queue_entries_token_number_check" CHECK ("token_number" > 0)
);

-- CreateIndex
CREATE INDEX "queue_days_tenant_id_doctor_id_updated_at_idx" ON "queue"."queue_days"("tenant_id", "doctor_id", "updated_at");

-- CreateIndex
CREATE INDEX "queue_entries_tenant_id_doctor_id_service_date_status_idx" ON "queue"."queue_entries"("tenant_id", "doctor_id", "service_date", "status");

-- CreateIndex (one token number per queue and day)
CREATE UNIQUE INDEX "queue_entries_tenant_id_doctor_id_service_date_token_number_key" ON "queue"."queue_entries"("tenant_id", "doctor_id", "service_date", "token_number");

-- CreateIndex (one entry per appointment)
CREATE UNIQUE INDEX "queue_entries_tenant_id_appointment_id_key" ON "queue"."queue_entries"("tenant_id", "appointment_id");

-- AddForeignKey
ALTER TABLE "queue"."queue_entries" ADD CONSTRAINT "queue_entries_tenant_id_doctor_id_service_date_fkey" FOREIGN KEY ("tenant_id", "doctor_id", "service_date") REFERENCES "queue"."queue_days"("tenant_id", "doctor_id", "service_date") ON DELETE RESTRICT ON UPDATE CASCADE;
