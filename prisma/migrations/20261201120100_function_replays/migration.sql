-- CreateTable
CREATE TABLE "function_replays" (
    "id" TEXT NOT NULL,
    "function_name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "from_sequence" BIGINT NOT NULL,
    "to_sequence" BIGINT NOT NULL,
    "from_time" TIMESTAMPTZ(3),
    "to_time" TIMESTAMPTZ(3),
    "force" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL,
    "total" INTEGER NOT NULL,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "skipped" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "cursor" BIGINT NOT NULL DEFAULT 0,
    "error" TEXT,
    "claimed_by" TEXT,
    "claimed_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "function_replays_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "function_replays_function_name_id_idx" ON "function_replays"("function_name", "id");

-- CreateIndex
CREATE INDEX "function_replays_status_idx" ON "function_replays"("status");

