-- AlterTable
ALTER TABLE "function_versions" ADD COLUMN     "deployed_by" TEXT;

-- CreateTable
CREATE TABLE "function_execution_origins" (
    "execution_id" TEXT NOT NULL,
    "function_name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "source_execution_id" TEXT,
    "event_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "function_execution_origins_pkey" PRIMARY KEY ("execution_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "function_execution_origins_function_name_event_key_key" ON "function_execution_origins"("function_name", "event_key");

