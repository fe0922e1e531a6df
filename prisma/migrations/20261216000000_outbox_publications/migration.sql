-- Outbox v2: an event is written twice (inserted by its producer, sequenced by the relay) instead of three
-- times. What the bus has taken is no longer a mark on every row (a third full row version, six more index
-- entries) but a row per published batch here: "everything up to `through_sequence` was published at
-- `published_at`". The relay publishes in sequence order, so what is published is always a prefix of the
-- sequence: an event is published when its sequence is at most the highest `through_sequence`, and it was
-- published at the first batch row at or above its sequence. Insert-only, like the outbox.

-- CreateTable
CREATE TABLE "outbox_publications" (
    "through_sequence" BIGINT NOT NULL,
    "published_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_publications_pkey" PRIMARY KEY ("through_sequence")
);

-- What the relay had marked before: the highest marked sequence becomes the watermark. Rows sequenced
-- above it but never marked (a crash between publish and mark) are published again, as before.
INSERT INTO "outbox_publications" ("through_sequence", "published_at")
SELECT max("sequence"), max("published_at") FROM "outbox" WHERE "published_at" IS NOT NULL
HAVING max("sequence") IS NOT NULL;

-- The indexes that named `published_at`: the relay's pending index now covers unsequenced rows only, the
-- trace index sequenced rows (the trace API keeps to the published prefix itself), and the index of
-- sequenced-but-unmarked rows goes (the relay reads `sequence > watermark` through the sequence index).
DROP INDEX "outbox_pending_idx";
DROP INDEX "outbox_sequenced_pending_idx";
DROP INDEX "outbox_trace_idx";
CREATE INDEX "outbox_pending_idx" ON "outbox"("id") WHERE "sequence" IS NULL;
CREATE INDEX "outbox_trace_idx" ON "outbox"(substr("traceparent", 4, 32), "sequence") WHERE "sequence" IS NOT NULL AND "traceparent" IS NOT NULL;

-- AlterTable
ALTER TABLE "outbox" DROP COLUMN "published_at";
