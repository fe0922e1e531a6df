-- CreateTable
CREATE TABLE "auth_revocations" (
    "kind" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "revoked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "auth_revocations_pkey" PRIMARY KEY ("kind","subject")
);

-- CreateIndex
CREATE INDEX "auth_revocations_expires_at_idx" ON "auth_revocations"("expires_at");
