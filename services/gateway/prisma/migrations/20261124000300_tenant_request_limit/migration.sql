-- A tenant's own request budget, when its contract differs from the default
-- (RATE_LIMIT_PER_TENANT_PER_MINUTE): e.g. the tenant a load test runs as,
-- which must not need the limit raised for everyone. Plans replace this with
-- the identity work; until then NULL means the default.
ALTER TABLE "identity"."tenants" ADD COLUMN "request_limit_per_minute" INTEGER;
ALTER TABLE "identity"."tenants" ADD CONSTRAINT "tenants_request_limit_per_minute_check"
    CHECK ("request_limit_per_minute" IS NULL OR "request_limit_per_minute" > 0);
