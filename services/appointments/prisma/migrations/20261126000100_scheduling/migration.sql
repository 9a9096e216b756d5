-- Scheduling (docs/scheduling.md): departments and doctors in full, weekly calendars
-- with exceptions, slot holds and appointments as claims on a doctor's time that the
-- database keeps from overlapping, the whole appointment lifecycle with reminders,
-- the day's read model, patients with search, and per-tenant settings.

-- The administrator creates these (scripts/bootstrap.ts, or the cluster's DBA); the
-- owner may not, so these only check that they are there.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA extensions;

-- CreateEnum
CREATE TYPE "appointments"."ConsultationMode" AS ENUM ('IN_PERSON', 'VIDEO');

-- CreateEnum
CREATE TYPE "appointments"."ScheduleExceptionKind" AS ENUM ('LEAVE', 'EXTRA', 'BLOCKED');

-- CreateEnum
CREATE TYPE "appointments"."SlotClaimKind" AS ENUM ('HOLD', 'APPOINTMENT');

-- CreateEnum
CREATE TYPE "appointments"."CancelledBy" AS ENUM ('PATIENT', 'STAFF');

-- Departments: described, deactivatable, versioned (the version is what caches compare).
ALTER TABLE "appointments"."departments"
    ADD COLUMN "description" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true,
    ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- Doctors: the profile patients choose by; working hours move to doctor_schedules.
ALTER TABLE "appointments"."doctors"
    ADD COLUMN "specialization" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "qualifications" TEXT[] DEFAULT ARRAY[]::TEXT[],
    ADD COLUMN "languages" TEXT[] DEFAULT ARRAY[]::TEXT[],
    ADD COLUMN "consultation_modes" "appointments"."ConsultationMode"[] DEFAULT ARRAY['IN_PERSON']::"appointments"."ConsultationMode"[],
    ADD COLUMN "years_of_experience" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- (Prisma's lists are nullable columns; these never are.)
    ADD CONSTRAINT "doctors_profile_check" CHECK (
        "years_of_experience" BETWEEN 0 AND 80 AND "qualifications" IS NOT NULL AND "languages" IS NOT NULL
        AND "consultation_modes" IS NOT NULL AND cardinality("consultation_modes") >= 1);

-- CreateTable
CREATE TABLE "appointments"."doctor_schedules" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "valid_from" DATE NOT NULL,
    "valid_to" DATE,
    "slot_minutes" INTEGER NOT NULL,
    "sessions" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "doctor_schedules_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "doctor_schedules_shape_check" CHECK ("slot_minutes" BETWEEN 5 AND 240 AND ("valid_to" IS NULL OR "valid_to" >= "valid_from") AND jsonb_typeof("sessions") = 'array'),
    -- One weekly template at a time per doctor.
    CONSTRAINT "doctor_schedules_no_overlap" EXCLUDE USING gist ("tenant_id" WITH =, "doctor_id" WITH =, daterange("valid_from", "valid_to", '[]') WITH &&)
);

-- The hours each doctor had become a template valid from the start of time.
-- (Ids are UUIDv7, spelled out: PostgreSQL 15 has no function for them.)
INSERT INTO "appointments"."doctor_schedules" ("id", "tenant_id", "doctor_id", "valid_from", "valid_to", "slot_minutes", "sessions")
SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3) || to_hex(8 + floor(random() * 4)::int) || substr(md5(random()::text), 1, 15))::uuid, d."tenant_id", d."id", DATE '2000-01-01', NULL, d."slot_minutes",
       (SELECT coalesce(jsonb_agg(jsonb_build_object('weekday', w, 'startMinute', d."day_start_minute", 'endMinute', d."day_end_minute") ORDER BY w), '[]'::jsonb)
        FROM unnest(d."working_days") AS w)
FROM "appointments"."doctors" d;

ALTER TABLE "appointments"."doctors"
    DROP CONSTRAINT "doctors_hours_check",
    DROP CONSTRAINT "doctors_working_days_check",
    DROP COLUMN "slot_minutes",
    DROP COLUMN "day_start_minute",
    DROP COLUMN "day_end_minute",
    DROP COLUMN "working_days";

-- CreateTable
CREATE TABLE "appointments"."schedule_exceptions" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "date" DATE NOT NULL,
    "kind" "appointments"."ScheduleExceptionKind" NOT NULL,
    "start_minute" INTEGER,
    "end_minute" INTEGER,
    "slot_minutes" INTEGER,
    "reason" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "schedule_exceptions_pkey" PRIMARY KEY ("id"),
    -- A leave day is the whole day; extra sessions and blocked hours are a span of it.
    CONSTRAINT "schedule_exceptions_shape_check" CHECK (
        CASE "kind"
            WHEN 'LEAVE' THEN "start_minute" IS NULL AND "end_minute" IS NULL AND "slot_minutes" IS NULL
            WHEN 'BLOCKED' THEN "start_minute" >= 0 AND "end_minute" <= 1440 AND "start_minute" < "end_minute" AND "slot_minutes" IS NULL
            ELSE "start_minute" >= 0 AND "end_minute" <= 1440 AND "start_minute" < "end_minute" AND ("slot_minutes" IS NULL OR "slot_minutes" BETWEEN 5 AND 240)
        END)
);

-- Patients: deactivatable, versioned, E.164 phones, and the normalised name search reads.
ALTER TABLE "appointments"."patients"
    ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true,
    ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ADD COLUMN "search_name" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "name_tokens" TEXT[] DEFAULT ARRAY[]::TEXT[],
    ADD CONSTRAINT "patients_name_tokens_check" CHECK ("name_tokens" IS NOT NULL);

UPDATE "appointments"."patients"
SET "search_name" = btrim(lower(regexp_replace("full_name", '[^[:alnum:]]+', ' ', 'g'))),
    "name_tokens" = regexp_split_to_array(btrim(lower(regexp_replace("full_name", '[^[:alnum:]]+', ' ', 'g'))), ' ');

-- The words of patients' names, per tenant: a query word finds the words it may mean
-- (typos, prefixes) here by trigram, then the patients holding them by name_tokens.
CREATE TABLE "appointments"."patient_name_words" (
    "tenant_id" UUID NOT NULL,
    "word" TEXT NOT NULL,

    CONSTRAINT "patient_name_words_pkey" PRIMARY KEY ("tenant_id", "word")
);

INSERT INTO "appointments"."patient_name_words" ("tenant_id", "word")
SELECT DISTINCT "tenant_id", unnest("name_tokens") FROM "appointments"."patients"
ON CONFLICT DO NOTHING;

-- CreateTable
CREATE TABLE "appointments"."patient_mrn_counters" (
    "tenant_id" UUID NOT NULL,
    "last_value" BIGINT NOT NULL,

    CONSTRAINT "patient_mrn_counters_pkey" PRIMARY KEY ("tenant_id")
);

-- CreateTable
CREATE TABLE "appointments"."scheduling_settings" (
    "tenant_id" UUID NOT NULL,
    "hold_minutes" INTEGER NOT NULL,
    "cancellation_window_minutes" INTEGER NOT NULL,
    "no_show_grace_minutes" INTEGER NOT NULL,
    "reminder_offsets_minutes" INTEGER[],
    "mrn_format" TEXT NOT NULL,
    "phone_region" CHAR(2) NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scheduling_settings_pkey" PRIMARY KEY ("tenant_id"),
    CONSTRAINT "scheduling_settings_check" CHECK (
        "hold_minutes" BETWEEN 1 AND 60 AND "cancellation_window_minutes" BETWEEN 0 AND 10080
        AND "no_show_grace_minutes" BETWEEN 0 AND 1440 AND "reminder_offsets_minutes" IS NOT NULL
        AND cardinality("reminder_offsets_minutes") <= 5)
);

-- Appointments: how it is held, why and by whom its status last changed, and when.
ALTER TABLE "appointments"."appointments"
    ADD COLUMN "mode" "appointments"."ConsultationMode" NOT NULL DEFAULT 'IN_PERSON',
    ADD COLUMN "status_reason" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "cancelled_by" "appointments"."CancelledBy",
    ADD COLUMN "cancelled_at" TIMESTAMPTZ(3),
    ADD COLUMN "consultation_started_at" TIMESTAMPTZ(3),
    ADD COLUMN "completed_at" TIMESTAMPTZ(3);

-- Double booking is now refused over time ranges by slot_claims (below).
DROP INDEX "appointments"."appointments_doctor_slot_active_key";

-- A doctor's day in order, and a tenant's day in order (the lists and the dashboard).
DROP INDEX "appointments"."appointments_tenant_id_doctor_id_service_date_idx";
CREATE INDEX "appointments_tenant_id_doctor_id_service_date_starts_at_idx" ON "appointments"."appointments"("tenant_id", "doctor_id", "service_date", "starts_at");
CREATE INDEX "appointments_tenant_id_service_date_starts_at_idx" ON "appointments"."appointments"("tenant_id", "service_date", "starts_at");
-- db-only: what the no-show sweep reads, and nothing else.
CREATE INDEX "appointments_open_ends_at_idx" ON "appointments"."appointments"("ends_at") WHERE "status" IN ('BOOKED', 'CHECKED_IN');

-- History rows say why, and where a reschedule moved the slot.
ALTER TABLE "appointments"."appointment_history"
    ADD COLUMN "reason" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "moved_from" TIMESTAMPTZ(3),
    ADD COLUMN "moved_to" TIMESTAMPTZ(3);

-- CreateTable: holds and appointments as claims on a doctor's (and a patient's) time.
CREATE TABLE "appointments"."slot_claims" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "patient_id" UUID NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "kind" "appointments"."SlotClaimKind" NOT NULL,
    "hold_expires_at" TIMESTAMPTZ(3),
    "appointment_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slot_claims_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "slot_claims_shape_check" CHECK (
        "ends_at" > "starts_at"
        AND ("kind" = 'HOLD') = ("hold_expires_at" IS NOT NULL)
        AND ("kind" = 'APPOINTMENT') = ("appointment_id" IS NOT NULL)),
    -- No two claims on one doctor's time overlap, whatever their slot lengths; nor on one patient's.
    CONSTRAINT "slot_claims_doctor_no_overlap" EXCLUDE USING gist ("tenant_id" WITH =, "doctor_id" WITH =, tstzrange("starts_at", "ends_at") WITH &&),
    CONSTRAINT "slot_claims_patient_no_overlap" EXCLUDE USING gist ("tenant_id" WITH =, "patient_id" WITH =, tstzrange("starts_at", "ends_at") WITH &&)
);

-- The appointments standing today claim their time (where two of one patient overlap,
-- the later-booked keeps no claim: the constraint cannot hold data that breaks it).
INSERT INTO "appointments"."slot_claims" ("id", "tenant_id", "doctor_id", "patient_id", "starts_at", "ends_at", "kind", "appointment_id", "created_at")
SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3) || to_hex(8 + floor(random() * 4)::int) || substr(md5(random()::text), 1, 15))::uuid, "tenant_id", "doctor_id", "patient_id", "starts_at", "ends_at", 'APPOINTMENT', "id", "created_at"
FROM "appointments"."appointments"
WHERE "status" NOT IN ('CANCELLED', 'NO_SHOW')
ORDER BY "created_at"
ON CONFLICT DO NOTHING;

-- CreateTable
CREATE TABLE "appointments"."appointment_reminders" (
    "tenant_id" UUID NOT NULL,
    "appointment_id" UUID NOT NULL,
    "offset_minutes" INTEGER NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "appointment_reminders_pkey" PRIMARY KEY ("tenant_id", "appointment_id", "offset_minutes")
);

-- CreateTable: the day's read model (docs/scheduling.md, "The day's dashboard").
CREATE TABLE "appointments"."daily_stats" (
    "tenant_id" UUID NOT NULL,
    "service_date" DATE NOT NULL,
    "doctor_id" UUID NOT NULL,
    "department_id" UUID NOT NULL,
    "booked" INTEGER NOT NULL DEFAULT 0,
    "checked_in" INTEGER NOT NULL DEFAULT 0,
    "in_consultation" INTEGER NOT NULL DEFAULT 0,
    "seen" INTEGER NOT NULL DEFAULT 0,
    "no_show" INTEGER NOT NULL DEFAULT 0,
    "cancelled" INTEGER NOT NULL DEFAULT 0,
    "wait_seconds_total" BIGINT NOT NULL DEFAULT 0,
    "waits" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "daily_stats_pkey" PRIMARY KEY ("tenant_id", "service_date", "doctor_id")
);

-- CreateIndex
CREATE INDEX "departments_tenant_id_active_idx" ON "appointments"."departments"("tenant_id", "active");

-- CreateIndex
CREATE INDEX "doctors_tenant_id_specialization_idx" ON "appointments"."doctors"("tenant_id", "specialization");

-- CreateIndex
CREATE INDEX "doctor_schedules_tenant_id_doctor_id_valid_from_idx" ON "appointments"."doctor_schedules"("tenant_id", "doctor_id", "valid_from");

-- CreateIndex
CREATE UNIQUE INDEX "doctor_schedules_tenant_id_id_key" ON "appointments"."doctor_schedules"("tenant_id", "id");

-- CreateIndex
CREATE INDEX "schedule_exceptions_tenant_id_doctor_id_date_idx" ON "appointments"."schedule_exceptions"("tenant_id", "doctor_id", "date");

-- CreateIndex
CREATE UNIQUE INDEX "schedule_exceptions_tenant_id_id_key" ON "appointments"."schedule_exceptions"("tenant_id", "id");

-- db-only: name search (tenant and word in one GIN, so a tenant's share of a common word is found in the index).
CREATE INDEX "patients_name_tokens_idx" ON "appointments"."patients" USING gin ("tenant_id", "name_tokens");

-- db-only: phone search by the whole number or its last digits (a prefix of the reversed number).
CREATE INDEX "patients_phone_reverse_idx" ON "appointments"."patients"("tenant_id", reverse("phone") text_pattern_ops) WHERE "phone" IS NOT NULL;

-- db-only: the words a query word may mean, by trigram similarity or prefix.
CREATE INDEX "patient_name_words_word_trgm_idx" ON "appointments"."patient_name_words" USING gin ("word" extensions.gin_trgm_ops);

-- CreateIndex
CREATE UNIQUE INDEX "slot_claims_tenant_id_id_key" ON "appointments"."slot_claims"("tenant_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "slot_claims_tenant_id_appointment_id_key" ON "appointments"."slot_claims"("tenant_id", "appointment_id");

-- db-only: expired holds, for the clean-up job.
CREATE INDEX "slot_claims_hold_expires_at_idx" ON "appointments"."slot_claims"("hold_expires_at") WHERE "kind" = 'HOLD';

-- db-only: reminders not yet sent, by when they are due.
CREATE INDEX "appointment_reminders_due_idx" ON "appointments"."appointment_reminders"("due_at") WHERE "sent_at" IS NULL;

-- CreateIndex
CREATE INDEX "daily_stats_tenant_id_service_date_department_id_idx" ON "appointments"."daily_stats"("tenant_id", "service_date", "department_id");

-- AddForeignKey
ALTER TABLE "appointments"."doctor_schedules" ADD CONSTRAINT "doctor_schedules_tenant_id_doctor_id_fkey" FOREIGN KEY ("tenant_id", "doctor_id") REFERENCES "appointments"."doctors"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "appointments"."schedule_exceptions" ADD CONSTRAINT "schedule_exceptions_tenant_id_doctor_id_fkey" FOREIGN KEY ("tenant_id", "doctor_id") REFERENCES "appointments"."doctors"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "appointments"."slot_claims" ADD CONSTRAINT "slot_claims_tenant_id_doctor_id_fkey" FOREIGN KEY ("tenant_id", "doctor_id") REFERENCES "appointments"."doctors"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "appointments"."slot_claims" ADD CONSTRAINT "slot_claims_tenant_id_patient_id_fkey" FOREIGN KEY ("tenant_id", "patient_id") REFERENCES "appointments"."patients"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "appointments"."slot_claims" ADD CONSTRAINT "slot_claims_tenant_id_appointment_id_fkey" FOREIGN KEY ("tenant_id", "appointment_id") REFERENCES "appointments"."appointments"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "appointments"."appointment_reminders" ADD CONSTRAINT "appointment_reminders_tenant_id_appointment_id_fkey" FOREIGN KEY ("tenant_id", "appointment_id") REFERENCES "appointments"."appointments"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;
