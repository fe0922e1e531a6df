-- CreateTable
CREATE TABLE "deployments" (
    "id" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "deployed_by" TEXT NOT NULL,
    "changes" JSONB NOT NULL,
    "manifest" JSONB NOT NULL,
    "rollback_of" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployment_resources" (
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "deployment_id" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "protect" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "deployment_resources_pkey" PRIMARY KEY ("kind","name")
);

-- AddForeignKey
ALTER TABLE "deployment_resources" ADD CONSTRAINT "deployment_resources_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
