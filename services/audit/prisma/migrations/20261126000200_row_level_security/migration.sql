-- Row-level security as defence in depth: a record is visible (and may be
-- added) only inside a transaction scoped to its tenant (`SET LOCAL
-- app.tenant_id`, packages/platform/src/db/database.ts). A query without a
-- tenant sees no rows; a query that forgets its tenant filter still sees only
-- its own tenant's records. Neither the runtime role nor the anchor role owns a
-- table or has BYPASSRLS, so this binds both; the owner (migrations, and the
-- partition function that runs as it) is not bound.
--
-- The trail's scheduled jobs must list the chains of every tenant (verification
-- and anchoring, one replica for all tenants): chain heads and checkpoints, and
-- only those, may be read across tenants by a read-only transaction that says
-- so (`app.all_tenants`, the platform's ALL_TENANTS scope). They hold sequence
-- numbers and hashes, nothing about anyone.

-- Records: the partitioned table, every partition (a query may name one), and
-- the partitions to come (the partition function below).
ALTER TABLE "audit"."audit_log" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "audit"."audit_log"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

DO $$
DECLARE
    part REGCLASS;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = '"audit"."audit_log"'::regclass LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', part);
        EXECUTE format(
            'CREATE POLICY "tenant_isolation" ON %s USING ("tenant_id" = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid) WITH CHECK ("tenant_id" = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)',
            part);
    END LOOP;
END;
$$;

ALTER TABLE "audit"."chain_heads" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "audit"."chain_heads"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "platform_jobs_read" ON "audit"."chain_heads" FOR SELECT
    USING (current_setting('app.all_tenants', true) = 'on');

ALTER TABLE "audit_anchor"."checkpoints" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "audit_anchor"."checkpoints"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "platform_jobs_read" ON "audit_anchor"."checkpoints" FOR SELECT
    USING (current_setting('app.all_tenants', true) = 'on');

-- The partition function once more: each new partition gets the same policy.
CREATE OR REPLACE FUNCTION "audit"."ensure_monthly_partitions"(from_month DATE, months INTEGER) RETURNS INTEGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = "audit", pg_temp
SET lock_timeout = '5s'
AS $$
DECLARE
    first_month DATE := date_trunc('month', from_month::TIMESTAMP)::DATE;
    month_start DATE;
    lower_bound TIMESTAMPTZ;
    upper_bound TIMESTAMPTZ;
    partition_name TEXT;
    created INTEGER := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('audit.ensure_monthly_partitions'));
    FOR i IN 0 .. months - 1 LOOP
        month_start := (first_month + make_interval(months => i))::DATE;
        partition_name := 'audit_log_' || to_char(month_start, 'YYYY_MM');
        CONTINUE WHEN to_regclass(format('audit.%I', partition_name)) IS NOT NULL;
        lower_bound := month_start::TIMESTAMP AT TIME ZONE 'UTC';
        upper_bound := (month_start + INTERVAL '1 month')::TIMESTAMP AT TIME ZONE 'UTC';
        IF EXISTS (SELECT 1 FROM "audit"."audit_log_default" WHERE occurred_at >= lower_bound AND occurred_at < upper_bound) THEN
            EXECUTE format('CREATE TABLE audit.%I (LIKE audit.audit_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', partition_name);
            EXECUTE format(
                'WITH moved AS (DELETE FROM audit.audit_log_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING *) INSERT INTO audit.%I SELECT * FROM moved',
                lower_bound, upper_bound, partition_name);
            EXECUTE format('ALTER TABLE audit.audit_log ATTACH PARTITION audit.%I FOR VALUES FROM (%L) TO (%L)',
                partition_name, lower_bound, upper_bound);
        ELSE
            EXECUTE format('CREATE TABLE audit.%I PARTITION OF audit.audit_log FOR VALUES FROM (%L) TO (%L)',
                partition_name, lower_bound, upper_bound);
        END IF;
        EXECUTE format('REVOKE ALL ON audit.%I FROM hms_audit', partition_name);
        EXECUTE format('GRANT SELECT, INSERT ON audit.%I TO hms_audit', partition_name);
        EXECUTE format('ALTER TABLE audit.%I ENABLE ROW LEVEL SECURITY', partition_name);
        EXECUTE format(
            'CREATE POLICY "tenant_isolation" ON audit.%I USING ("tenant_id" = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid) WITH CHECK ("tenant_id" = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)',
            partition_name);
        created := created + 1;
    END LOOP;
    RETURN created;
END;
$$;

-- The months that have records stranded in the default partition, across tenants:
-- partition upkeep must see them all, and the runtime role sees only a tenant's
-- records. It runs as the owner and answers month names, nothing about anyone.
CREATE FUNCTION "audit"."stranded_months"() RETURNS SETOF TEXT
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = "audit", pg_temp
AS $$
    SELECT DISTINCT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-01') FROM "audit"."audit_log_default"
$$;
REVOKE ALL ON FUNCTION "audit"."stranded_months"() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "audit"."stranded_months"() TO hms_audit;
