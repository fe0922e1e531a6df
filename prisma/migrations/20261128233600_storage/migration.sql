-- CreateTable
CREATE TABLE "storage_buckets" (
    "name" TEXT NOT NULL,
    "public" BOOLEAN NOT NULL DEFAULT false,
    "rules" JSONB NOT NULL DEFAULT '{}',
    "max_file_size" BIGINT,
    "allowed_content_types" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "storage_buckets_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "storage_objects" (
    "bucket" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "content_type" TEXT NOT NULL,
    "etag" TEXT NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "storage_objects_pkey" PRIMARY KEY ("bucket","key")
);

-- CreateTable
CREATE TABLE "storage_garbage" (
    "path" TEXT NOT NULL,
    "sweep_after" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "storage_garbage_pkey" PRIMARY KEY ("path")
);

-- CreateIndex
CREATE INDEX "storage_garbage_sweep_after_idx" ON "storage_garbage"("sweep_after");

-- AddForeignKey
ALTER TABLE "storage_objects" ADD CONSTRAINT "storage_objects_bucket_fkey" FOREIGN KEY ("bucket") REFERENCES "storage_buckets"("name") ON DELETE RESTRICT ON UPDATE CASCADE;

