-- The schema now belongs to a migration role the running service does not log
-- in as (hms_audit_owner), so the service cannot create tables. Creating next
-- month's partition is the one DDL it must still trigger: the function runs
-- with its owner's rights, on a fixed search path, and only hms_audit may call it.
ALTER FUNCTION "audit"."ensure_monthly_partitions"(DATE, INTEGER) SECURITY DEFINER;
ALTER FUNCTION "audit"."ensure_monthly_partitions"(DATE, INTEGER) SET search_path = "audit", pg_temp;
REVOKE ALL ON FUNCTION "audit"."ensure_monthly_partitions"(DATE, INTEGER) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "audit"."ensure_monthly_partitions"(DATE, INTEGER) TO hms_audit;
