-- Identity: plans, users and their roles, a tenant's own roles, sessions with
-- rotating refresh tokens, and API keys (docs/security.md). Row-level security
-- on every table that belongs to a tenant; `tenants` itself is the registry the
-- gateway reads before it knows a tenant (a login names its tenant by slug).

-- Plans (seed 003): FREE, BASIC (what STANDARD was), PRO, ENTERPRISE.
ALTER TYPE "identity"."TenantPlan" RENAME VALUE 'STANDARD' TO 'BASIC';
ALTER TYPE "identity"."TenantPlan" ADD VALUE 'FREE' BEFORE 'BASIC';
ALTER TYPE "identity"."TenantPlan" ADD VALUE 'PRO' BEFORE 'ENTERPRISE';

-- A tenant's per-minute override gives way to its plan, and to a contract
-- multiplier of every budget of the plan (a load-test tenant, a negotiated contract).
ALTER TABLE "identity"."tenants" DROP CONSTRAINT "tenants_request_limit_per_minute_check";
ALTER TABLE "identity"."tenants" DROP COLUMN "request_limit_per_minute";
ALTER TABLE "identity"."tenants"
    ADD COLUMN "slug" TEXT,
    ADD COLUMN "permissions_version" BIGINT NOT NULL DEFAULT 1,
    ADD COLUMN "rate_limit_multiplier" INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN "is_platform" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
-- Tenants made before slugs: one from their id, which an operator may change.
UPDATE "identity"."tenants" SET "slug" = 't-' || replace("id"::text, '-', '') WHERE "slug" IS NULL;
ALTER TABLE "identity"."tenants" ALTER COLUMN "slug" SET NOT NULL;
ALTER TABLE "identity"."tenants"
    ADD CONSTRAINT "tenants_slug_check" CHECK ("slug" ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    ADD CONSTRAINT "tenants_rate_limit_multiplier_check" CHECK ("rate_limit_multiplier" BETWEEN 1 AND 1000000000),
    ADD CONSTRAINT "tenants_permissions_version_check" CHECK ("permissions_version" >= 1);

-- CreateIndex
CREATE UNIQUE INDEX "tenants_slug_key" ON "identity"."tenants"("slug");
-- At most one platform tenant: the operators' own, whose PLATFORM_ADMIN users manage tenants.
CREATE UNIQUE INDEX "tenants_is_platform_key" ON "identity"."tenants"("is_platform") WHERE "is_platform";

-- CreateEnum
CREATE TYPE "identity"."UserStatus" AS ENUM ('ACTIVE', 'DISABLED');

-- CreateTable
CREATE TABLE "identity"."users" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "username" TEXT NOT NULL,
    "email" TEXT,
    "display_name" TEXT NOT NULL DEFAULT '',
    "password_hash" TEXT NOT NULL,
    "status" "identity"."UserStatus" NOT NULL DEFAULT 'ACTIVE',
    "roles" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "password_changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "users_username_check" CHECK ("username" ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    CONSTRAINT "users_email_check" CHECK ("email" IS NULL OR ("email" = lower("email") AND "email" ~ '^[^@\s]+@[^@\s]+$' AND length("email") <= 254)),
    CONSTRAINT "users_password_hash_check" CHECK ("password_hash" LIKE '$argon2id$%'),
    CONSTRAINT "users_display_name_check" CHECK (length("display_name") <= 200),
    -- Lists are nullable columns in Prisma's mapping; the rule is kept all the same.
    CONSTRAINT "users_roles_check" CHECK ("roles" IS NOT NULL)
);

-- CreateTable
CREATE TABLE "identity"."roles" (
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "permissions" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "roles_pkey" PRIMARY KEY ("tenant_id","name"),
    CONSTRAINT "roles_permissions_check" CHECK ("permissions" IS NOT NULL),
    CONSTRAINT "roles_name_check" CHECK ("name" ~ '^[A-Z][A-Z0-9_]{1,39}$'),
    CONSTRAINT "roles_description_check" CHECK (length("description") <= 500)
);

-- CreateTable
CREATE TABLE "identity"."sessions" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "ip" TEXT NOT NULL DEFAULT '',
    "user_agent" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "last_refreshed_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "revoke_reason" TEXT,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "identity"."refresh_tokens" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "session_id" UUID NOT NULL,
    "secret_hash" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),

    CONSTRAINT "refresh_tokens_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "refresh_tokens_secret_hash_check" CHECK (length("secret_hash") = 32)
);

-- CreateTable
CREATE TABLE "identity"."api_keys" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "key_hash" BYTEA NOT NULL,
    "permissions" TEXT[],
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "api_keys_name_check" CHECK (length("name") BETWEEN 1 AND 100),
    CONSTRAINT "api_keys_key_hash_check" CHECK (length("key_hash") = 32),
    CONSTRAINT "api_keys_permissions_check" CHECK ("permissions" IS NOT NULL)
);

-- CreateIndex
CREATE UNIQUE INDEX "users_tenant_id_id_key" ON "identity"."users"("tenant_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "users_tenant_id_username_key" ON "identity"."users"("tenant_id", "username");

-- CreateIndex
CREATE UNIQUE INDEX "users_tenant_id_email_key" ON "identity"."users"("tenant_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "sessions_tenant_id_id_key" ON "identity"."sessions"("tenant_id", "id");

-- CreateIndex
CREATE INDEX "sessions_tenant_id_user_id_idx" ON "identity"."sessions"("tenant_id", "user_id");

-- CreateIndex
CREATE INDEX "refresh_tokens_tenant_id_session_id_idx" ON "identity"."refresh_tokens"("tenant_id", "session_id");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_tenant_id_id_key" ON "identity"."api_keys"("tenant_id", "id");

-- AddForeignKey
ALTER TABLE "identity"."users" ADD CONSTRAINT "users_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "identity"."tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "identity"."roles" ADD CONSTRAINT "roles_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "identity"."tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "identity"."sessions" ADD CONSTRAINT "sessions_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id") REFERENCES "identity"."users"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "identity"."refresh_tokens" ADD CONSTRAINT "refresh_tokens_tenant_id_session_id_fkey" FOREIGN KEY ("tenant_id", "session_id") REFERENCES "identity"."sessions"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "identity"."api_keys" ADD CONSTRAINT "api_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "identity"."tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Row-level security: a row is visible and writable only inside a transaction
-- scoped to its tenant (`SET LOCAL app.tenant_id`, packages/platform/src/db/database.ts).
-- The runtime role owns no table and has no BYPASSRLS, so this binds it.
ALTER TABLE "identity"."users" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "identity"."roles" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "identity"."sessions" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "identity"."refresh_tokens" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "identity"."api_keys" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "identity"."users"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "identity"."roles"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "identity"."sessions"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "identity"."refresh_tokens"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "identity"."api_keys"
    USING ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK ("tenant_id" = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
