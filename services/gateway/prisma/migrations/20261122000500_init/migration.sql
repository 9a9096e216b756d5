-- CreateEnum
CREATE TYPE "identity"."TenantStatus" AS ENUM ('ACTIVE', 'SUSPENDED');

-- CreateEnum
CREATE TYPE "identity"."TenantPlan" AS ENUM ('STANDARD', 'ENTERPRISE');

-- CreateTable
CREATE TABLE "identity"."tenants" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "status" "identity"."TenantStatus" NOT NULL DEFAULT 'ACTIVE',
    "plan" "identity"."TenantPlan" NOT NULL DEFAULT 'STANDARD',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "tenants_name_check" CHECK (length("name") BETWEEN 1 AND 200)
);

-- CreateIndex
CREATE UNIQUE INDEX "tenants_name_key" ON "identity"."tenants"("name");
