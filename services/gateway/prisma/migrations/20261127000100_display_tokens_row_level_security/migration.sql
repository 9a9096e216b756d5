-- Row-level security for display tokens, as for every tenant table of the schema
-- (20261126000100_identity): a tenant's transactions see and write only its own.
-- A screen presents `hmsd_<id>_<secret>`, which names no tenant, so the one look-up
-- by id (and the heartbeat's check of revocations) reads across tenants through
-- the platform's explicit read-only scope (ALL_TENANTS, `app.all_tenants`); the
-- secret is then checked against the row's hash in the gateway.
ALTER TABLE "identity"."display_tokens" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "identity"."display_tokens"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "token_lookup" ON "identity"."display_tokens" FOR SELECT
    USING (current_setting('app.all_tenants', true) = 'on');
