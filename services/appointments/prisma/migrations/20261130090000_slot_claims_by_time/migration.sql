-- Slot claims found by time through b-tree indexes the runtime role can use (issue 6).
--
-- Row-level security keeps a condition off the runtime role's index scans unless its
-- functions are leakproof, and `&&` on ranges and tstzrange() are not. So the booking's
-- check for a taken slot, its clearing of expired holds and the availability read
-- searched the exclusion constraints' GiST indexes by (tenant_id, doctor_id) alone and
-- read every claim the doctor ever had: 226 buffers for a doctor of 29 claims, and a
-- year of a busy doctor's bookings would be thousands, on every booking. They now
-- compare starts_at and ends_at (leakproof operators) through a b-tree per doctor and
-- per patient: a claim that overlaps [s, e) starts before e and after s less the
-- longest a claim may last, which the check below bounds (a claim is one slot, and a
-- slot is at most 240 minutes: the schedules' and exceptions' checks).
ALTER TABLE "appointments"."slot_claims"
    ADD CONSTRAINT "slot_claims_length_check" CHECK ("ends_at" - "starts_at" <= interval '4 hours') NOT VALID;
ALTER TABLE "appointments"."slot_claims" VALIDATE CONSTRAINT "slot_claims_length_check";

CREATE INDEX "slot_claims_tenant_id_doctor_id_starts_at_idx"
    ON "appointments"."slot_claims"("tenant_id", "doctor_id", "starts_at");
CREATE INDEX "slot_claims_tenant_id_patient_id_starts_at_idx"
    ON "appointments"."slot_claims"("tenant_id", "patient_id", "starts_at");

-- A doctor, and a patient, belongs to one tenant. Not told, the planner multiplies the
-- two equalities' selectivities, weighs a doctor's claims at one row, and finds the
-- GiST index's (tenant_id, doctor_id) as cheap as the b-tree's (tenant_id, doctor_id,
-- starts_at): measured, it kept the GiST index.
CREATE STATISTICS "appointments"."slot_claims_tenant_doctor_stats" (dependencies)
    ON "tenant_id", "doctor_id" FROM "appointments"."slot_claims";
CREATE STATISTICS "appointments"."slot_claims_tenant_patient_stats" (dependencies)
    ON "tenant_id", "patient_id" FROM "appointments"."slot_claims";
ANALYZE "appointments"."slot_claims";
