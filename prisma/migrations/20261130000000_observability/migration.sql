-- CreateTable
CREATE TABLE "metrics_minutes" (
    "minute" TIMESTAMPTZ(3) NOT NULL,
    "metric" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "node_id" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "metrics_minutes_pkey" PRIMARY KEY ("minute","metric","labels","node_id")
);

-- CreateTable
CREATE TABLE "nodes" (
    "id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "heartbeat_ms" INTEGER NOT NULL,

    CONSTRAINT "nodes_pkey" PRIMARY KEY ("id")
);

