-- CreateTable
CREATE TABLE "auth_signin_failures" (
    "account_hash" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "failures" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "auth_signin_failures_pkey" PRIMARY KEY ("account_hash")
);

-- CreateIndex
CREATE INDEX "auth_signin_failures_window_start_idx" ON "auth_signin_failures"("window_start");
