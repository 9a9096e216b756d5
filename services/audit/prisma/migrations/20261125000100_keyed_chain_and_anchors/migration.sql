-- The audit trail must reveal tampering, also by the service's own database
-- login (docs/audit-trail.md):
--   1. the runtime role (hms_audit) may only add and read records;
--   2. each record names the key its HMAC was made with (the chain is keyed
--      with a secret the database never holds, so it cannot be recomputed);
--   3. signed checkpoints of every chain are kept in audit_anchor, a schema
--      only the anchor role (hms_audit_anchor) may add to, and the results of
--      the scheduled verifications beside them.

-- 1. Records: INSERT and SELECT only, on the table, on every partition (a
-- DELETE aimed at a partition checks the partition's grants, not the parent's)
-- and on the partitions to come (the partition function runs as the owner, so
-- the owner's default privileges decide what a new partition grants).
ALTER DEFAULT PRIVILEGES FOR ROLE hms_audit_owner IN SCHEMA "audit"
    REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLES FROM hms_audit;
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA "audit" FROM hms_audit;
-- Appends move the chain head; the trigger below lets them move it forward only.
GRANT UPDATE ON "audit"."chain_heads" TO hms_audit;

CREATE FUNCTION "audit"."chain_heads_forward_only"() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.tenant_id <> OLD.tenant_id OR NEW.last_seq <= OLD.last_seq THEN
        RAISE EXCEPTION 'a chain head only moves forward (tenant %, seq % to %)', OLD.tenant_id, OLD.last_seq, NEW.last_seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER "chain_heads_forward_only"
    BEFORE UPDATE ON "audit"."chain_heads"
    FOR EACH ROW EXECUTE FUNCTION "audit"."chain_heads_forward_only"();

-- The partition function again, now also setting each new partition's grants
-- itself, so that they never depend on default privileges alone.
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
        created := created + 1;
    END LOOP;
    RETURN created;
END;
$$;

-- 2. The key of each record's HMAC, by id. Records written before the chain
-- was keyed have none ('') and fail verification: they were never sealed.
ALTER TABLE "audit"."audit_log" ADD COLUMN "key_id" TEXT NOT NULL DEFAULT '';
ALTER TABLE "audit"."audit_log" ALTER COLUMN "key_id" DROP DEFAULT;

-- 3. Anchors. The schema is created by scripts/bootstrap.ts (owned by
-- hms_audit_owner); the runtime role reads it, the anchor role adds to it,
-- nobody changes or removes a row.

-- CreateTable
CREATE TABLE "audit_anchor"."checkpoints" (
    "tenant_id" UUID NOT NULL,
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "anchored_at" TIMESTAMPTZ(3) NOT NULL,
    "key_id" TEXT NOT NULL,
    "signature" TEXT NOT NULL,

    CONSTRAINT "checkpoints_pkey" PRIMARY KEY ("tenant_id","seq"),
    CONSTRAINT "checkpoints_seq_check" CHECK ("seq" >= 1),
    CONSTRAINT "checkpoints_hashes_check" CHECK ("hash" ~ '^[0-9a-f]{64}$' AND "signature" ~ '^[0-9a-f]{64}$')
);

-- CreateTable
CREATE TABLE "audit_anchor"."verification_runs" (
    "id" UUID NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3) NOT NULL,
    "tenants" INTEGER NOT NULL,
    "records" BIGINT NOT NULL,
    "broken" JSONB NOT NULL,

    CONSTRAINT "verification_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "verification_runs_finished_at_idx" ON "audit_anchor"."verification_runs"("finished_at");

CREATE FUNCTION "audit_anchor"."refuse_change"() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION '% of audit anchors is refused: they are append-only', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "checkpoints_append_only"
    BEFORE UPDATE OR DELETE ON "audit_anchor"."checkpoints"
    FOR EACH ROW EXECUTE FUNCTION "audit_anchor"."refuse_change"();
CREATE TRIGGER "checkpoints_no_truncate"
    BEFORE TRUNCATE ON "audit_anchor"."checkpoints"
    FOR EACH STATEMENT EXECUTE FUNCTION "audit_anchor"."refuse_change"();
CREATE TRIGGER "verification_runs_append_only"
    BEFORE UPDATE OR DELETE ON "audit_anchor"."verification_runs"
    FOR EACH ROW EXECUTE FUNCTION "audit_anchor"."refuse_change"();
CREATE TRIGGER "verification_runs_no_truncate"
    BEFORE TRUNCATE ON "audit_anchor"."verification_runs"
    FOR EACH STATEMENT EXECUTE FUNCTION "audit_anchor"."refuse_change"();

GRANT USAGE ON SCHEMA "audit_anchor" TO hms_audit, hms_audit_anchor;
REVOKE ALL ON ALL TABLES IN SCHEMA "audit_anchor" FROM hms_audit, hms_audit_anchor;
GRANT SELECT ON ALL TABLES IN SCHEMA "audit_anchor" TO hms_audit;
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA "audit_anchor" TO hms_audit_anchor;
