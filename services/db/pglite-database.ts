import { mkdirSync } from 'node:fs'
import { PGlite, type Transaction } from '@electric-sql/pglite'
import { BaseDatabase, type Database, type DatabaseCapabilities, type Row, type Sql } from './database.ts'
import { acquireDirLock, type DirLock } from './dir-lock.ts'

/** Options of the embedded driver. */
export interface PgliteDatabaseOptions {
  /** Data directory, or `memory://` for a throw-away database. */
  dataDir: string
}

// int8 as number, matching the PostgreSQL driver.
const INT8_OID = 20
const parsers = { [INT8_OID]: (value: string) => Number(value) }

function sqlOn(client: PGlite | Transaction, outboxWritten: () => void): Sql {
  return {
    outboxWritten,
    async query<R extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<R[]> {
      const result = await client.query<R>(text, params as unknown[])
      return result.rows
    },
    async exec(script: string): Promise<void> {
      await client.exec(script)
    },
  }
}

/**
 * The embedded database: Postgres compiled to WASM, persisted in a directory. It has a single
 * connection, which PGlite serialises (queries and transactions queue behind each other), so it suits
 * one process: a lock file refuses a second process on the same directory.
 */
export class PgliteDatabase extends BaseDatabase implements Database {
  readonly driver = 'pglite' as const
  readonly capabilities: DatabaseCapabilities = { connections: 'single', autovacuum: 'nobody' }
  private readonly pg: PGlite
  protected readonly sql: Sql
  private readonly lock: DirLock | undefined
  private readonly locks = new Map<number, Promise<unknown>>()

  private constructor(pg: PGlite, lock: DirLock | undefined) {
    super()
    this.pg = pg
    this.lock = lock
    this.sql = sqlOn(pg, () => this.committed.emit())
  }

  /** Opens (creating on first use) the database in `dataDir`. */
  static async open(options: PgliteDatabaseOptions): Promise<PgliteDatabase> {
    const inMemory = options.dataDir.startsWith('memory://')
    let lock: DirLock | undefined
    if (!inMemory) {
      mkdirSync(options.dataDir, { recursive: true })
      lock = acquireDirLock(options.dataDir)
    }
    try {
      const pg = await PGlite.create(inMemory ? options.dataDir : options.dataDir, { parsers })
      return new PgliteDatabase(pg, lock)
    } catch (error) {
      lock?.release()
      throw error
    }
  }

  tx<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.inTransaction((outboxWritten) => this.pg.transaction((tx) => fn(sqlOn(tx, outboxWritten))))
  }

  async withAdvisoryLock<T>(key: number, fn: () => Promise<T>): Promise<T> {
    // One process owns the directory, so an in-process queue per key gives the same exclusion.
    const previous = this.locks.get(key) ?? Promise.resolve()
    const run = previous.catch(() => {}).then(fn)
    this.locks.set(key, run)
    try {
      return await run
    } finally {
      if (this.locks.get(key) === run) this.locks.delete(key)
    }
  }

  async ping(): Promise<void> {
    await this.pg.query('SELECT 1')
  }

  async close(): Promise<void> {
    await this.pg.close()
    this.lock?.release()
  }
}
