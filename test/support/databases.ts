import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { Database } from '../../services/db/database.ts'
import { migrate, readMigrations } from '../../services/db/migrate.ts'
import { PgDatabase } from '../../services/db/pg-database.ts'
import { PgliteDatabase } from '../../services/db/pglite-database.ts'
import { TEST_DATABASE_URL, uniqueName } from './lanes.ts'

/** A database lane: `embedded` (PGlite) always, `postgres` when TEST_DATABASE_URL is set. */
export type DbLane = 'embedded' | 'postgres'

/** The lanes to run database-backed suites on. */
export const DB_LANES: DbLane[] = TEST_DATABASE_URL ? ['embedded', 'postgres'] : ['embedded']

/** A fresh, migrated database for one suite, and how to remove it. */
export interface TestDatabase {
  lane: DbLane
  /** The DATABASE_URL for a Stratus process on this database (postgres lane), or its PGlite data dir. */
  url?: string
  dataDir?: string
  open(): Promise<Database>
  cleanup(): Promise<void>
}

function templateDir(): string {
  const key = readMigrations()
    .map((m) => m.checksum.slice(0, 8))
    .join('')
  return path.join(os.tmpdir(), 'stratus-test-templates', key.slice(-32))
}

/**
 * Creates (once per migration set, across runs) a migrated PGlite directory: a new data directory costs
 * seconds to initialise, a copy of the template costs milliseconds.
 */
export async function ensurePgliteTemplate(): Promise<string> {
  const dir = templateDir()
  if (existsSync(path.join(dir, 'READY'))) return dir
  const building = `${dir}.${process.pid}.tmp`
  rmSync(building, { recursive: true, force: true })
  const db = await PgliteDatabase.open({ dataDir: building })
  await migrate(db)
  await db.close()
  rmSync(dir, { recursive: true, force: true })
  cpSync(building, dir, { recursive: true })
  rmSync(building, { recursive: true, force: true })
  cpSync(path.join(dir, 'PG_VERSION'), path.join(dir, 'READY'))
  return dir
}

/** A copy of the migrated template in a new temporary directory. */
export async function copyPgliteTemplate(): Promise<string> {
  const template = await ensurePgliteTemplate()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stratus-test-db-'))
  cpSync(template, dir, { recursive: true })
  rmSync(path.join(dir, 'READY'), { force: true })
  rmSync(path.join(dir, 'stratus.lock'), { force: true })
  return dir
}

/** Creates a new, empty (unmigrated) PostgreSQL database and returns its URL. */
export async function createPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set')
  const name = uniqueName('stratus_test').toLowerCase()
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`)
  await admin.end()
  const url = new URL(TEST_DATABASE_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)
      await c.end()
    },
  }
}

/** A fresh migrated database on `lane`. */
export async function createTestDatabase(
  lane: DbLane,
  options: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  const migrated = options.migrated ?? true
  if (lane === 'embedded') {
    const dataDir = migrated
      ? await copyPgliteTemplate()
      : mkdtempSync(path.join(os.tmpdir(), 'stratus-test-db-'))
    return {
      lane,
      dataDir,
      open: () => PgliteDatabase.open({ dataDir }),
      cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
    }
  }
  const { url, drop } = await createPgDatabase()
  if (migrated) {
    const db = new PgDatabase({ url, poolSize: 2 })
    await migrate(db)
    await db.close()
  }
  return { lane, url, open: async () => new PgDatabase({ url, poolSize: 10 }), cleanup: drop }
}
