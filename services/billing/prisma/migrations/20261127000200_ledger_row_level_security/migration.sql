-- Row-level security on the ledger's tables, as on bills and bill items
-- (20261126000200_row_level_security): a row is visible and writable only inside a
-- transaction scoped to its tenant. The overdue sweep finds its tenants through
-- billing.tenants_with_bills_past_due, which runs as the schema's owner (not bound),
-- then works tenant by tenant like every other write.

ALTER TABLE "billing"."billing_settings" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "billing"."billing_settings"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "billing"."catalogue_items" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "billing"."catalogue_items"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "billing"."collections_daily" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "billing"."collections_daily"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "billing"."credit_notes" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "billing"."credit_notes"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "billing"."document_counters" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "billing"."document_counters"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "billing"."dues_outstanding" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "billing"."dues_outstanding"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "billing"."payments" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "billing"."payments"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE "billing"."refunds" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "billing"."refunds"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
