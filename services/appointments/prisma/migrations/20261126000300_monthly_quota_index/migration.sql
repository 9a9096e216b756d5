-- hms:no-transaction
-- The count behind the plan's appointments-per-month quota (and its use in
-- GET /admin/quota): a tenant's bookings since the month began, by index.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "appointments_tenant_id_created_at_idx" ON "appointments"."appointments"("tenant_id", "created_at");
