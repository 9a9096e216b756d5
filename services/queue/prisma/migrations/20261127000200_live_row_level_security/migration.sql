-- Row-level security on the live queue's tables, as on queue entries
-- (20261126000200_row_level_security): a row is visible and writable only inside a
-- transaction scoped to its tenant.

ALTER TABLE "queue"."doctor_stats" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "queue"."doctor_stats"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "queue"."queue_changes" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "queue"."queue_changes"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "queue"."queue_rules" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "queue"."queue_rules"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- The hourly prune of old change logs spans every tenant: it runs as the schema's owner
-- (not bound by the policies) and can do nothing but delete days older than it is given.
CREATE FUNCTION "queue"."prune_queue_changes"(before DATE) RETURNS INTEGER
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    removed INTEGER;
BEGIN
    DELETE FROM "queue"."queue_changes" WHERE service_date < before;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END;
$$;
REVOKE ALL ON FUNCTION "queue"."prune_queue_changes"(DATE) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "queue"."prune_queue_changes"(DATE) TO hms_queue;
