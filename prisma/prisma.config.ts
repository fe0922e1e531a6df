import path from 'node:path'
import { PrismaPg } from '@prisma/adapter-pg'
import { defineConfig } from 'prisma/config'

// The Prisma CLI's own engine cannot be downloaded on every machine, so the CLI runs on the JS engine
// through the pg adapter. Stratus applies migrations itself (services/db/migrate.ts); this config is
// for `prisma generate`, `prisma migrate diff` and, where it works, the stock `prisma migrate` commands.
// The schema's datasource reads DATABASE_URL; `prisma generate` needs no database, but the CLI fails to
// read the schema (and then tries to download an engine) when the variable is unset.
process.env.DATABASE_URL ??= 'postgres://127.0.0.1:5432/postgres'

export default defineConfig({
  schema: path.join(import.meta.dirname, 'schema.prisma'),
  migrations: { path: path.join(import.meta.dirname, 'migrations') },
  engine: 'js',
  experimental: { adapter: true },
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }),
})
