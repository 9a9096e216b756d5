-- CreateEnum
CREATE TYPE "appointments"."AppointmentStatus" AS ENUM ('BOOKED', 'CHECKED_IN', 'IN_CONSULTATION', 'COMPLETED', 'CANCELLED', 'NO_SHOW');

-- CreateTable
CREATE TABLE "appointments"."departments" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "departments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "appointments"."doctors" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "department_id" UUID NOT NULL,
    "full_name" TEXT NOT NULL,
    "consultation_fee_minor" BIGINT NOT NULL,
    "hospital_fee_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "time_zone" TEXT NOT NULL,
    "slot_minutes" INTEGER NOT NULL,
    "day_start_minute" INTEGER NOT NULL,
    "day_end_minute" INTEGER NOT NULL,
    "working_days" SMALLINT[],
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "doctors_pkey" PRIMARY KEY ("id"),
    -- Rules Prisma cannot express; kept in the database all the same.
    CONSTRAINT "doctors_fees_check" CHECK ("consultation_fee_minor" >= 0 AND "hospital_fee_minor" >= 0),
    CONSTRAINT "doctors_hours_check" CHECK ("slot_minutes" BETWEEN 5 AND 240 AND "day_start_minute" >= 0 AND "day_end_minute" <= 1440 AND "day_start_minute" < "day_end_minute"),
    CONSTRAINT "doctors_working_days_check" CHECK ("working_days" IS NOT NULL AND "working_days" <@ ARRAY[1,2,3,4,5,6,7]::SMALLINT[])
);

-- CreateTable
CREATE TABLE "appointments"."patients" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "mrn" TEXT NOT NULL,
    "full_name" TEXT NOT NULL,
    "phone" TEXT,
    "date_of_birth" DATE,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "patients_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "appointments"."appointments" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "patient_id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "department_id" UUID NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "service_date" DATE NOT NULL,
    "status" "appointments"."AppointmentStatus" NOT NULL DEFAULT 'BOOKED',
    "reason" TEXT NOT NULL DEFAULT '',
    "consultation_fee_minor" BIGINT NOT NULL,
    "hospital_fee_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "idempotency_key" TEXT,
    "trace_id" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checked_in_at" TIMESTAMPTZ(3),

    CONSTRAINT "appointments_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "appointments_period_check" CHECK ("ends_at" > "starts_at"),
    CONSTRAINT "appointments_fees_check" CHECK ("consultation_fee_minor" >= 0 AND "hospital_fee_minor" >= 0)
);

-- CreateTable
CREATE TABLE "appointments"."appointment_history" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "appointment_id" UUID NOT NULL,
    "from_status" "appointments"."AppointmentStatus",
    "to_status" "appointments"."AppointmentStatus" NOT NULL,
    "actor_id" TEXT NOT NULL DEFAULT '',
    "changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "appointment_history_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "departments_tenant_id_id_key" ON "appointments"."departments"("tenant_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "departments_tenant_id_name_key" ON "appointments"."departments"("tenant_id", "name");

-- CreateIndex
CREATE INDEX "doctors_tenant_id_department_id_idx" ON "appointments"."doctors"("tenant_id", "department_id");

-- CreateIndex
CREATE UNIQUE INDEX "doctors_tenant_id_id_key" ON "appointments"."doctors"("tenant_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "patients_tenant_id_id_key" ON "appointments"."patients"("tenant_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "patients_tenant_id_mrn_key" ON "appointments"."patients"("tenant_id", "mrn");

-- CreateIndex
CREATE INDEX "appointments_tenant_id_doctor_id_service_date_idx" ON "appointments"."appointments"("tenant_id", "doctor_id", "service_date");

-- CreateIndex
CREATE INDEX "appointments_tenant_id_patient_id_starts_at_idx" ON "appointments"."appointments"("tenant_id", "patient_id", "starts_at");

-- CreateIndex
CREATE UNIQUE INDEX "appointments_tenant_id_id_key" ON "appointments"."appointments"("tenant_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "appointments_tenant_id_idempotency_key_key" ON "appointments"."appointments"("tenant_id", "idempotency_key");

-- CreateIndex (db-only: no double booking of a doctor's slot while the appointment stands)
CREATE UNIQUE INDEX "appointments_doctor_slot_active_key" ON "appointments"."appointments"("tenant_id", "doctor_id", "starts_at") WHERE "status" <> 'CANCELLED';

-- CreateIndex
CREATE INDEX "appointment_history_tenant_id_appointment_id_changed_at_idx" ON "appointments"."appointment_history"("tenant_id", "appointment_id", "changed_at");

-- AddForeignKey
ALTER TABLE "appointments"."doctors" ADD CONSTRAINT "doctors_tenant_id_department_id_fkey" FOREIGN KEY ("tenant_id", "department_id") REFERENCES "appointments"."departments"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "appointments"."appointments" ADD CONSTRAINT "appointments_tenant_id_doctor_id_fkey" FOREIGN KEY ("tenant_id", "doctor_id") REFERENCES "appointments"."doctors"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "appointments"."appointments" ADD CONSTRAINT "appointments_tenant_id_patient_id_fkey" FOREIGN KEY ("tenant_id", "patient_id") REFERENCES "appointments"."patients"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "appointments"."appointment_history" ADD CONSTRAINT "appointment_history_tenant_id_appointment_id_fkey" FOREIGN KEY ("tenant_id", "appointment_id") REFERENCES "appointments"."appointments"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;
