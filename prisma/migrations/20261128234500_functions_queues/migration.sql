
-- CreateTable
CREATE TABLE "functions" (
    "name" TEXT NOT NULL,
    "live_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "functions_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "function_versions" (
    "function_name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "env" JSONB NOT NULL DEFAULT '{}',
    "timeout_ms" INTEGER NOT NULL,
    "memory_mb" INTEGER NOT NULL,
    "concurrency" INTEGER NOT NULL,
    "retries" INTEGER NOT NULL,
    "triggers" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "function_versions_pkey" PRIMARY KEY ("function_name","version")
);

-- CreateTable
CREATE TABLE "function_executions" (
    "id" TEXT NOT NULL,
    "function_name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "trigger" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "duration_ms" DOUBLE PRECISION NOT NULL,
    "logs" JSONB NOT NULL DEFAULT '[]',
    "error" JSONB,
    "cold_start" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "function_executions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "function_dead_letters" (
    "id" TEXT NOT NULL,
    "function_name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "trigger" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "event" JSONB NOT NULL,
    "attempts" INTEGER NOT NULL,
    "error" JSONB NOT NULL,
    "queue" TEXT,
    "failed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "redriven_at" TIMESTAMPTZ(3),

    CONSTRAINT "function_dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "queues" (
    "name" TEXT NOT NULL,
    "rules" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "queues_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "queue_messages" (
    "id" TEXT NOT NULL,
    "queue" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "dedup_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "available_at" TIMESTAMPTZ(3) NOT NULL,
    "dispatched_at" TIMESTAMPTZ(3),

    CONSTRAINT "queue_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "queue_dedup" (
    "queue" TEXT NOT NULL,
    "dedup_id" TEXT NOT NULL,
    "message_id" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "queue_dedup_pkey" PRIMARY KEY ("queue","dedup_id")
);

-- CreateIndex
CREATE INDEX "function_executions_function_name_id_idx" ON "function_executions"("function_name", "id");

-- CreateIndex
CREATE INDEX "function_dead_letters_function_name_id_idx" ON "function_dead_letters"("function_name", "id");

-- CreateIndex
CREATE INDEX "function_dead_letters_queue_idx" ON "function_dead_letters"("queue");

-- CreateIndex
CREATE INDEX "queue_messages_queue_dispatched_at_idx" ON "queue_messages"("queue", "dispatched_at");

-- CreateIndex
CREATE INDEX "queue_messages_created_at_idx" ON "queue_messages"("created_at");

-- AddForeignKey
ALTER TABLE "function_versions" ADD CONSTRAINT "function_versions_function_name_fkey" FOREIGN KEY ("function_name") REFERENCES "functions"("name") ON DELETE CASCADE ON UPDATE CASCADE;


-- At most one succeeded execution per (function, version, event): a retried or re-run delivery of an
-- event that already succeeded cannot record a second success. HTTP invocations are never re-delivered
-- (each has its own event id), so they stay out of this index. Written by hand: Prisma has no partial indexes.
CREATE UNIQUE INDEX "function_executions_succeeded_once" ON "function_executions"("function_name", "version", "event_id") WHERE "status" = 'succeeded' AND "trigger" <> 'http';
