import { createHash, randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Database } from './database.ts'

/** Where the SQL migrations live: `prisma/migrations/<timestamp>_<name>/migration.sql`. */
export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../prisma/migrations')

// An arbitrary constant, the same on every node: whoever holds it migrates, the others wait.
const MIGRATION_LOCK_KEY = 727_274_001

// Prisma's own bookkeeping table, so `prisma migrate status` and `deploy` keep working elsewhere.
const PRISMA_MIGRATIONS_DDL = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`

/** One migration on disk. */
export interface Migration {
  name: string
  sql: string
  /** sha256 hex of the file, as Prisma computes it. */
  checksum: string
}

/** The migrations in `dir`, in name (timestamp) order. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8')
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') }
    })
}

/** A migration that changed on disk after it was applied, or failed half-way earlier. */
export class MigrationError extends Error {
  override name = 'MigrationError'
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so that N nodes can
 * boot at once: the first migrates, the others wait and then find nothing to do. We run the SQL
 * ourselves (rather than `prisma migrate deploy`) because the Prisma CLI's adapter path cannot run on
 * every database here (see DESIGN.md); the bookkeeping rows are Prisma's, so its CLI agrees with us.
 * Returns the names applied by this call.
 */
export async function migrate(db: Database, migrations = readMigrations()): Promise<string[]> {
  return db.withAdvisoryLock(MIGRATION_LOCK_KEY, async () => {
    await db.exec(PRISMA_MIGRATIONS_DDL)
    const rows = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    )
    const applied = new Map(rows.map((row) => [row.migration_name, row]))
    const done: string[] = []
    for (const migration of migrations) {
      const previous = applied.get(migration.name)
      if (previous) {
        if (previous.finished_at === null) {
          throw new MigrationError(
            `Migration ${migration.name} failed earlier and was not finished; fix the database by hand, then mark it rolled back in _prisma_migrations.`,
          )
        }
        if (previous.checksum !== migration.checksum) {
          throw new MigrationError(
            `Migration ${migration.name} was changed after it was applied; never edit an applied migration, add a new one.`,
          )
        }
        continue
      }
      await db.tx(async (tx) => {
        await tx.exec(migration.sql)
        await tx.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        )
      })
      done.push(migration.name)
    }
    return done
  })
}
