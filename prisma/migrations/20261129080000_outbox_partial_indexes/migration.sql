-- Each event is written three times: inserted by its producer, sequenced by the relay, marked published.
-- The sequence, type and subject indexes are only ever searched for sequenced rows (`sequence > …`,
-- `max(sequence)`), and the relay's pending index only for rows not yet sequenced, so each covers just
-- those row versions: 4 index entries fewer per event of 18 (about a fifth of the outbox's write cost).
-- Written by hand: Prisma has no partial indexes (schema.prisma keeps the plain @@index/@unique).

-- DropIndex
DROP INDEX "outbox_sequence_key";
DROP INDEX "outbox_type_sequence_idx";
DROP INDEX "outbox_subject_sequence_idx";
DROP INDEX "outbox_pending_idx";

-- CreateIndex
CREATE UNIQUE INDEX "outbox_sequence_key" ON "outbox"("sequence") WHERE "sequence" IS NOT NULL;
CREATE INDEX "outbox_type_sequence_idx" ON "outbox"("type", "sequence") WHERE "sequence" IS NOT NULL;
CREATE INDEX "outbox_subject_sequence_idx" ON "outbox"("subject", "sequence") WHERE "sequence" IS NOT NULL;
CREATE INDEX "outbox_pending_idx" ON "outbox"("id") WHERE "published_at" IS NULL AND "sequence" IS NULL;
