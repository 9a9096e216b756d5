-- The live queue (issue 9): priorities, calls, skips, transfers, pauses; each
-- change of a queue day numbered (queue_days.seq) and kept in a bounded log for
-- live streams; the tenant's queue rules; doctors' consultation history.

-- CreateEnum
CREATE TYPE "queue"."QueuePriority" AS ENUM ('NORMAL', 'SENIOR', 'DISABLED', 'EMERGENCY');

-- AlterTable: entries. Walk-ins have no appointment; the priority is a class now.
ALTER TABLE "queue"."queue_entries"
    ALTER COLUMN "appointment_id" DROP NOT NULL,
    DROP COLUMN "priority",
    ADD COLUMN "priority" "queue"."QueuePriority" NOT NULL DEFAULT 'NORMAL',
    ADD COLUMN "room" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "skip_count" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "recall_count" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "called_at" TIMESTAMPTZ(3),
    ADD COLUMN "completed_at" TIMESTAMPTZ(3),
    ADD COLUMN "call_number" INTEGER,
    ADD COLUMN "held_until_call" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "transferred_from_entry_id" UUID,
    ADD COLUMN "transferred_to_doctor_id" UUID,
    ADD CONSTRAINT "queue_entries_counts_check" CHECK ("skip_count" BETWEEN 0 AND 2 AND "recall_count" >= 0 AND "held_until_call" >= 0);

-- One live entry per appointment: a transfer leaves its old entry behind (db-only, partial).
DROP INDEX "queue"."queue_entries_tenant_id_appointment_id_key";
CREATE UNIQUE INDEX "queue_entries_live_appointment_key" ON "queue"."queue_entries"("tenant_id", "appointment_id")
    WHERE "status" <> 'TRANSFERRED';

-- AlterTable: days count their changes and calls, and may be paused.
ALTER TABLE "queue"."queue_days"
    ADD COLUMN "seq" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "calls" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "paused_at" TIMESTAMPTZ(3),
    ADD COLUMN "resume_expected_at" TIMESTAMPTZ(3),
    ADD COLUMN "pause_reason" TEXT NOT NULL DEFAULT '',
    ADD CONSTRAINT "queue_days_counters_check" CHECK ("seq" >= 0 AND "calls" >= 0);

-- CreateTable: the bounded change log of each queue day.
CREATE TABLE "queue"."queue_changes" (
    "tenant_id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "service_date" DATE NOT NULL,
    "seq" BIGINT NOT NULL,
    "type" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "body" JSONB NOT NULL,

    CONSTRAINT "queue_changes_pkey" PRIMARY KEY ("tenant_id","doctor_id","service_date","seq")
);

-- CreateIndex (pruning old days)
CREATE INDEX "queue_changes_service_date_idx" ON "queue"."queue_changes"("service_date");

-- AddForeignKey
ALTER TABLE "queue"."queue_changes" ADD CONSTRAINT "queue_changes_tenant_id_doctor_id_service_date_fkey" FOREIGN KEY ("tenant_id", "doctor_id", "service_date") REFERENCES "queue"."queue_days"("tenant_id", "doctor_id", "service_date") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable: each tenant's queue rules (defaults until set).
CREATE TABLE "queue"."queue_rules" (
    "tenant_id" UUID NOT NULL,
    "max_priority_passes" INTEGER NOT NULL,
    "skip_return_after" INTEGER NOT NULL,
    "default_consultation_seconds" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "queue_rules_pkey" PRIMARY KEY ("tenant_id"),
    CONSTRAINT "queue_rules_bounds_check" CHECK ("max_priority_passes" BETWEEN 1 AND 50 AND "skip_return_after" BETWEEN 1 AND 50
        AND "default_consultation_seconds" BETWEEN 60 AND 7200)
);

-- CreateTable: each doctor's consultation pace: a mean over past days, and the current day's sums.
CREATE TABLE "queue"."doctor_stats" (
    "tenant_id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "mean_seconds" DOUBLE PRECISION NOT NULL,
    "samples" INTEGER NOT NULL,
    "day" DATE NOT NULL,
    "day_seconds" DOUBLE PRECISION NOT NULL,
    "day_count" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "doctor_stats_pkey" PRIMARY KEY ("tenant_id","doctor_id"),
    CONSTRAINT "doctor_stats_check" CHECK ("mean_seconds" >= 0 AND "samples" >= 0 AND "day_seconds" >= 0 AND "day_count" >= 0)
);
