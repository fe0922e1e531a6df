-- CreateTable
CREATE TABLE "service_keys" (
    "id" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "kid" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "service_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "scopes" TEXT[],
    "expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" JSONB NOT NULL,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);


-- By hand: the service keys issued before this migration (one per live signing key, without a `jti`)
-- stay valid until the first service-key rotation.
INSERT INTO "service_keys" ("id", "token", "kid", "created_at")
SELECT 'legacy-' || "kid", "service_token", "kid", "created_at" FROM "signing_keys" WHERE "retired_at" IS NULL;
