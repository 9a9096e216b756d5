-- Display tokens (issue 9): what a waiting-room screen authenticates with.
-- Read-only, scoped to chosen doctors' queues of one tenant, long-lived, revocable;
-- only a hash of the secret is stored.
CREATE TABLE "identity"."display_tokens" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "doctor_ids" UUID[] NOT NULL,
    "secret_hash" BYTEA NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "display_tokens_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "display_tokens_name_check" CHECK (length("name") BETWEEN 1 AND 100),
    CONSTRAINT "display_tokens_doctors_check" CHECK (cardinality("doctor_ids") BETWEEN 1 AND 5),
    CONSTRAINT "display_tokens_secret_hash_check" CHECK (length("secret_hash") = 32)
);

-- CreateIndex
CREATE INDEX "display_tokens_tenant_id_created_at_idx" ON "identity"."display_tokens"("tenant_id", "created_at");

-- AddForeignKey
ALTER TABLE "identity"."display_tokens" ADD CONSTRAINT "display_tokens_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "identity"."tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
