-- Object listings in code point (UTF-8 byte) order on every database, whatever its default collation:
-- keyset pages, a prefix read as one range, and the folder view (delimiter) stepping over a folder in one
-- range. Written by hand: Prisma cannot declare a collation.
CREATE INDEX "storage_objects_bucket_key_c_idx" ON "storage_objects" ("bucket", "key" COLLATE "C");
