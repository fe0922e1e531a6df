-- CreateIndex
CREATE INDEX "auth_revocations_revoked_at_idx" ON "auth_revocations"("revoked_at");
