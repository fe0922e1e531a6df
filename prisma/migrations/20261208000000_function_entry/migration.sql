-- Which export of a function version's module runs: `default` (every version deployed before portable
-- handlers), or `handler`, a Lambda-style handler. Decided once at deploy.
-- AlterTable
ALTER TABLE "function_versions" ADD COLUMN     "entry" TEXT NOT NULL DEFAULT 'default';
