-- Row-level security on scheduling's tables, as on departments, doctors, patients
-- and appointments (20261126000200_row_level_security, which ran before most of
-- these existed): a row is visible and writable only inside a transaction scoped
-- to its tenant.
--
-- The recurring jobs (no-show sweep, due reminders, expired holds) find their work
-- across every tenant. They do so through the functions below, which run as the
-- schema's owner (not bound by the policies) and can do nothing but what they say;
-- every change then goes through a transaction scoped to its tenant like any other.

ALTER TABLE "appointments"."doctor_schedules" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "appointments"."doctor_schedules"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "appointments"."schedule_exceptions" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "appointments"."schedule_exceptions"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "appointments"."patient_name_words" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "appointments"."patient_name_words"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "appointments"."patient_mrn_counters" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "appointments"."patient_mrn_counters"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "appointments"."scheduling_settings" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "appointments"."scheduling_settings"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "appointments"."slot_claims" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "appointments"."slot_claims"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "appointments"."appointment_reminders" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "appointments"."appointment_reminders"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "appointments"."daily_stats" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "appointments"."daily_stats"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Appointments past their tenant's no-show grace after their slot, oldest first.
CREATE FUNCTION "appointments"."overdue_appointments"(as_of timestamptz, default_grace_minutes integer, max_rows integer)
    RETURNS TABLE (tenant_id uuid, id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT a.tenant_id, a.id FROM "appointments"."appointments" a
    LEFT JOIN "appointments"."scheduling_settings" s ON s.tenant_id = a.tenant_id
    WHERE a.status IN ('BOOKED', 'CHECKED_IN') AND a.ends_at <= as_of
      AND a.ends_at + make_interval(mins => coalesce(s.no_show_grace_minutes, default_grace_minutes)) <= as_of
    ORDER BY a.ends_at LIMIT max_rows
$$;
REVOKE ALL ON FUNCTION "appointments"."overdue_appointments"(timestamptz, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "appointments"."overdue_appointments"(timestamptz, integer, integer) TO hms_appointments;

-- Tenants with reminders due and not sent.
CREATE FUNCTION "appointments"."tenants_with_due_reminders"(as_of timestamptz, max_rows integer) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT DISTINCT tenant_id FROM "appointments"."appointment_reminders"
    WHERE sent_at IS NULL AND due_at <= as_of LIMIT max_rows
$$;
REVOKE ALL ON FUNCTION "appointments"."tenants_with_due_reminders"(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "appointments"."tenants_with_due_reminders"(timestamptz, integer) TO hms_appointments;

-- Deletes at most max_rows holds that expired before `before`; returns how many.
CREATE FUNCTION "appointments"."delete_expired_holds"(before timestamptz, max_rows integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    removed integer;
BEGIN
    DELETE FROM "appointments"."slot_claims" WHERE id IN (
        SELECT c.id FROM "appointments"."slot_claims" c
        WHERE c.kind = 'HOLD' AND c.hold_expires_at < before LIMIT max_rows);
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END;
$$;
REVOKE ALL ON FUNCTION "appointments"."delete_expired_holds"(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "appointments"."delete_expired_holds"(timestamptz, integer) TO hms_appointments;
