-- The clinical record of an outpatient visit (docs/clinical-record.md): vitals,
-- the consultation (draft, signed, addenda) with ICD-10-CM diagnoses, the
-- tenant's formulary, patients' allergies, prescriptions and their dispensing,
-- and the tenant's clinical settings. Each visit table is keyed by
-- (tenant_id, appointment_id) so a visit's part is read with one index scan.
-- The ICD-10-CM code list itself is in the next migration (data only).

-- CreateEnum
CREATE TYPE "appointments"."ConsultationStatus" AS ENUM ('DRAFT', 'SIGNED');

-- CreateEnum
CREATE TYPE "appointments"."PrescriptionStatus" AS ENUM ('ISSUED', 'DISPENSED');

-- ICD-10-CM codes (reference data of every tenant, so no tenant_id): searched by
-- code prefix (the pattern index) and by words of the title (trigrams).
CREATE TABLE "appointments"."diagnosis_codes" (
    "code" TEXT NOT NULL,
    "title" TEXT NOT NULL,

    CONSTRAINT "diagnosis_codes_pkey" PRIMARY KEY ("code")
);
CREATE INDEX "diagnosis_codes_code_pattern_idx" ON "appointments"."diagnosis_codes" ("code" text_pattern_ops);
CREATE INDEX "diagnosis_codes_title_trgm_idx" ON "appointments"."diagnosis_codes" USING gin (lower("title") extensions.gin_trgm_ops);

-- CreateTable
CREATE TABLE "appointments"."formulary_items" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "generic_name" TEXT NOT NULL,
    "form" TEXT NOT NULL,
    "strength" TEXT NOT NULL,
    "billing_code" TEXT NOT NULL DEFAULT '',
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "formulary_items_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "formulary_items_tenant_id_code_key" ON "appointments"."formulary_items"("tenant_id", "code");
CREATE UNIQUE INDEX "formulary_items_tenant_id_id_key" ON "appointments"."formulary_items"("tenant_id", "id");

-- CreateTable
CREATE TABLE "appointments"."patient_allergies" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "patient_id" UUID NOT NULL,
    "substance" TEXT NOT NULL,
    "reaction" TEXT NOT NULL DEFAULT '',
    "severity" TEXT NOT NULL,
    "recorded_by" TEXT NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "patient_allergies_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "patient_allergies_severity_check" CHECK ("severity" IN ('mild', 'moderate', 'severe'))
);
CREATE INDEX "patient_allergies_tenant_id_patient_id_idx" ON "appointments"."patient_allergies"("tenant_id", "patient_id");
ALTER TABLE "appointments"."patient_allergies" ADD CONSTRAINT "patient_allergies_tenant_id_patient_id_fkey"
    FOREIGN KEY ("tenant_id", "patient_id") REFERENCES "appointments"."patients"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- CreateTable: the readings are checked by the service (a 400 naming the field);
-- these bounds only keep impossible numbers out whatever writes.
CREATE TABLE "appointments"."visit_vitals" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "appointment_id" UUID NOT NULL,
    "patient_id" UUID NOT NULL,
    "taken_at" TIMESTAMPTZ(3) NOT NULL,
    "taken_by" TEXT NOT NULL,
    "temperature_c" DECIMAL(4,1),
    "pulse_bpm" INTEGER,
    "systolic_mmhg" INTEGER,
    "diastolic_mmhg" INTEGER,
    "respiratory_rate_per_min" INTEGER,
    "spo2_percent" INTEGER,
    "weight_kg" DECIMAL(6,2),
    "height_cm" DECIMAL(5,1),
    "bmi" DECIMAL(4,1),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "visit_vitals_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "visit_vitals_bounds_check" CHECK (
        ("temperature_c" IS NULL OR "temperature_c" BETWEEN 25 AND 45)
        AND ("pulse_bpm" IS NULL OR "pulse_bpm" BETWEEN 20 AND 250)
        AND ("spo2_percent" IS NULL OR "spo2_percent" BETWEEN 50 AND 100)
        AND ("weight_kg" IS NULL OR "weight_kg" > 0)
        AND ("height_cm" IS NULL OR "height_cm" > 0))
);
CREATE INDEX "visit_vitals_tenant_id_appointment_id_taken_at_idx" ON "appointments"."visit_vitals"("tenant_id", "appointment_id", "taken_at");
ALTER TABLE "appointments"."visit_vitals" ADD CONSTRAINT "visit_vitals_tenant_id_appointment_id_fkey"
    FOREIGN KEY ("tenant_id", "appointment_id") REFERENCES "appointments"."appointments"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- CreateTable: one consultation per visit; diagnoses inline ([{code, title, primary}]).
CREATE TABLE "appointments"."consultations" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "appointment_id" UUID NOT NULL,
    "patient_id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "status" "appointments"."ConsultationStatus" NOT NULL DEFAULT 'DRAFT',
    "chief_complaint" TEXT NOT NULL DEFAULT '',
    "history" TEXT NOT NULL DEFAULT '',
    "examination" TEXT NOT NULL DEFAULT '',
    "notes" TEXT NOT NULL DEFAULT '',
    "diagnoses" JSONB NOT NULL DEFAULT '[]',
    "follow_up_advice" TEXT NOT NULL DEFAULT '',
    "follow_up_date" DATE,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "signed_at" TIMESTAMPTZ(3),
    "signed_by" TEXT,

    CONSTRAINT "consultations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "consultations_signed_check" CHECK (("status" = 'SIGNED') = ("signed_at" IS NOT NULL AND "signed_by" IS NOT NULL)),
    CONSTRAINT "consultations_diagnoses_check" CHECK (jsonb_typeof("diagnoses") = 'array')
);
CREATE UNIQUE INDEX "consultations_tenant_id_appointment_id_key" ON "appointments"."consultations"("tenant_id", "appointment_id");
CREATE UNIQUE INDEX "consultations_tenant_id_id_key" ON "appointments"."consultations"("tenant_id", "id");
ALTER TABLE "appointments"."consultations" ADD CONSTRAINT "consultations_tenant_id_appointment_id_fkey"
    FOREIGN KEY ("tenant_id", "appointment_id") REFERENCES "appointments"."appointments"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A signed consultation is immutable, whatever writes: later changes are addenda.
CREATE FUNCTION "appointments"."consultations_signed_immutable"() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consultation % is signed and cannot change; add an addendum', OLD.id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'consultations_signed_immutable';
END;
$$;
CREATE TRIGGER "consultations_signed_immutable" BEFORE UPDATE OR DELETE ON "appointments"."consultations"
    FOR EACH ROW WHEN (OLD."status" = 'SIGNED') EXECUTE FUNCTION "appointments"."consultations_signed_immutable"();

-- CreateTable: addenda are only ever added.
CREATE TABLE "appointments"."consultation_addenda" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "consultation_id" UUID NOT NULL,
    "appointment_id" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "diagnoses" JSONB NOT NULL DEFAULT '[]',
    "author_id" TEXT NOT NULL,
    "added_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "consultation_addenda_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "consultation_addenda_tenant_id_appointment_id_added_at_idx" ON "appointments"."consultation_addenda"("tenant_id", "appointment_id", "added_at");
ALTER TABLE "appointments"."consultation_addenda" ADD CONSTRAINT "consultation_addenda_tenant_id_consultation_id_fkey"
    FOREIGN KEY ("tenant_id", "consultation_id") REFERENCES "appointments"."consultations"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;
REVOKE UPDATE, DELETE ON "appointments"."consultation_addenda" FROM hms_appointments;

-- CreateTable: items inline ([{medicineId, medicineCode, genericName, form, strength,
-- dose, route, frequency, durationDays, quantity, instructions}]); active_until is the
-- end of the longest item's course, for the duplicate-medicine check.
CREATE TABLE "appointments"."prescriptions" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "appointment_id" UUID NOT NULL,
    "patient_id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "status" "appointments"."PrescriptionStatus" NOT NULL DEFAULT 'ISSUED',
    "items" JSONB NOT NULL,
    "warnings" JSONB NOT NULL DEFAULT '[]',
    "active_until" TIMESTAMPTZ(3) NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL,
    "issued_by" TEXT NOT NULL,
    "dispensed_at" TIMESTAMPTZ(3),
    "dispensed_by" TEXT,

    CONSTRAINT "prescriptions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "prescriptions_items_check" CHECK (jsonb_typeof("items") = 'array' AND jsonb_array_length("items") >= 1),
    CONSTRAINT "prescriptions_dispensed_check" CHECK (("status" = 'DISPENSED') = ("dispensed_at" IS NOT NULL))
);
CREATE INDEX "prescriptions_tenant_id_appointment_id_issued_at_idx" ON "appointments"."prescriptions"("tenant_id", "appointment_id", "issued_at");
CREATE INDEX "prescriptions_tenant_id_patient_id_active_until_idx" ON "appointments"."prescriptions"("tenant_id", "patient_id", "active_until");
ALTER TABLE "appointments"."prescriptions" ADD CONSTRAINT "prescriptions_tenant_id_appointment_id_fkey"
    FOREIGN KEY ("tenant_id", "appointment_id") REFERENCES "appointments"."appointments"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "appointments"."clinical_settings" (
    "tenant_id" UUID NOT NULL,
    "pharmacy_enabled" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "clinical_settings_pkey" PRIMARY KEY ("tenant_id")
);

-- Row-level security as on the other tenant tables: a row is visible and writable
-- only in a transaction scoped to its tenant (`SET LOCAL app.tenant_id`, the
-- platform's write path). The runtime role owns nothing and has no BYPASSRLS.
-- diagnosis_codes belong to no tenant and the runtime role may only read them.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "appointments"."diagnosis_codes" FROM hms_appointments;

ALTER TABLE "appointments"."formulary_items" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "appointments"."patient_allergies" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "appointments"."visit_vitals" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "appointments"."consultations" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "appointments"."consultation_addenda" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "appointments"."prescriptions" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "appointments"."clinical_settings" ENABLE ROW LEVEL SECURITY;

CREATE POLICY "tenant_isolation" ON "appointments"."formulary_items"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "appointments"."patient_allergies"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "appointments"."visit_vitals"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "appointments"."consultations"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "appointments"."consultation_addenda"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "appointments"."prescriptions"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "appointments"."clinical_settings"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
