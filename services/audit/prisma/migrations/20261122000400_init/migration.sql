-- What `prisma migrate dev` generates for schema.prisma, adapted by hand where
-- Prisma cannot speak: audit_log is partitioned by month on occurred_at.
--
-- Why partitions: the trail only grows (lakhs of rows a day across a chain of
-- hospitals) and is searched by time. Monthly partitions keep each index a
-- month deep, let queries with a time window skip whole months, and let
-- retention drop or archive a month at once instead of deleting row by row.

-- CreateTable
CREATE TABLE "audit"."audit_log" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "seq" BIGINT NOT NULL,
    "event_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "entity_type" TEXT NOT NULL,
    "entity_id" TEXT NOT NULL,
    "actor_kind" TEXT NOT NULL,
    "actor_id" TEXT NOT NULL,
    "patient_id" UUID,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "trace_id" TEXT NOT NULL DEFAULT '',
    "data" JSONB NOT NULL,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id","occurred_at"),
    -- Rules Prisma cannot express; kept in the database all the same.
    CONSTRAINT "audit_log_seq_check" CHECK ("seq" >= 1),
    CONSTRAINT "audit_log_hashes_check" CHECK ("prev_hash" ~ '^[0-9a-f]{64}$' AND "hash" ~ '^[0-9a-f]{64}$')
) PARTITION BY RANGE ("occurred_at");

-- CreateTable
CREATE TABLE "audit"."chain_heads" (
    "tenant_id" UUID NOT NULL,
    "last_seq" BIGINT NOT NULL,
    "last_hash" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "chain_heads_pkey" PRIMARY KEY ("tenant_id"),
    CONSTRAINT "chain_heads_last_seq_check" CHECK ("last_seq" >= 0)
);

-- CreateIndex (created on the partitioned table: every partition gets its own)
CREATE INDEX "audit_log_tenant_id_entity_id_occurred_at_idx" ON "audit"."audit_log"("tenant_id", "entity_id", "occurred_at");

-- CreateIndex
CREATE INDEX "audit_log_tenant_id_actor_id_occurred_at_idx" ON "audit"."audit_log"("tenant_id", "actor_id", "occurred_at");

-- CreateIndex
CREATE INDEX "audit_log_tenant_id_patient_id_occurred_at_idx" ON "audit"."audit_log"("tenant_id", "patient_id", "occurred_at");

-- CreateIndex
CREATE INDEX "audit_log_tenant_id_occurred_at_idx" ON "audit"."audit_log"("tenant_id", "occurred_at");

-- CreateIndex
CREATE INDEX "audit_log_tenant_id_seq_idx" ON "audit"."audit_log"("tenant_id", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "audit_log_tenant_id_event_id_occurred_at_key" ON "audit"."audit_log"("tenant_id", "event_id", "occurred_at");

-- Partitions (by hand). Rows whose month has no partition yet land in the
-- default one instead of failing the insert: an audit record is never refused.
CREATE TABLE "audit"."audit_log_default" PARTITION OF "audit"."audit_log" DEFAULT;

-- Creates the partitions audit_log_YYYY_MM of `months` months from the month of
-- `from_month` on, where missing; returns how many it created. The service
-- calls it at start and daily for the previous, current and next two months,
-- so a month's partition exists before its first record and inserts normally
-- never land in the default partition (which every new partition must scan,
-- and which would make partition pruning useless if it grew). Rows that did
-- land in the default partition for a month are moved into that month's
-- partition when it is created, as PostgreSQL refuses the new partition
-- otherwise. Bounds are UTC months, whatever the session's time zone. The
-- advisory lock lets replicas run it at once; the lock timeout keeps it from
-- queueing inserts behind it for long (it retries on its next run).
CREATE FUNCTION "audit"."ensure_monthly_partitions"(from_month DATE, months INTEGER) RETURNS INTEGER
LANGUAGE plpgsql
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
        created := created + 1;
    END LOOP;
    RETURN created;
END;
$$;

-- Records are append-only: an UPDATE is a bug (or worse), refused outright. The
-- hash chain still catches what a superuser changes behind this trigger's back.
CREATE FUNCTION "audit"."audit_log_refuse_update"() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (record % of tenant %)', OLD.seq, OLD.tenant_id
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "audit_log_refuse_update"
    BEFORE UPDATE ON "audit"."audit_log"
    FOR EACH ROW EXECUTE FUNCTION "audit"."audit_log_refuse_update"();
