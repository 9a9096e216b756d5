-- Row-level security as defence in depth: a row of a tenant table is visible
-- and writable only inside a transaction scoped to its tenant (the platform's
-- write path runs `SET LOCAL app.tenant_id` in every transaction,
-- packages/platform/src/db/database.ts). A query without a tenant sees no rows;
-- a query that forgets its tenant filter still sees only its own tenant's rows.
-- The runtime role owns no table and has no BYPASSRLS, so this binds it; the
-- schema's owner (migrations) is not bound (no FORCE), and the platform's
-- tables in the messaging schema (outbox, processed events, idempotency keys),
-- which the relay and the pruner read across tenants, are left out.

ALTER TABLE "queue"."queue_days" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "queue"."queue_entries" ENABLE ROW LEVEL SECURITY;

CREATE POLICY "tenant_isolation" ON "queue"."queue_days"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "queue"."queue_entries"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
