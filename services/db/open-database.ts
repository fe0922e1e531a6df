import path from 'node:path'
import type { Config } from '../core/config.ts'
import type { Database } from './database.ts'
import { PgDatabase } from './pg-database.ts'
import { PgliteDatabase } from './pglite-database.ts'

/** Opens the database the configuration names: PostgreSQL when DATABASE_URL is set, else embedded PGlite. */
export async function openDatabase(config: Pick<Config, 'database' | 'dataDir'>): Promise<Database> {
  if (config.database.url) {
    return new PgDatabase({ url: config.database.url, poolSize: config.database.poolSize })
  }
  return PgliteDatabase.open({ dataDir: path.join(config.dataDir, 'db') })
}
