import pg from 'pg'
import {
  BaseDatabase,
  type Database,
  type DatabaseCapabilities,
  type QueryOptions,
  type Row,
  type Sql,
} from './database.ts'

/** Options of the PostgreSQL driver. */
export interface PgDatabaseOptions {
  url: string
  poolSize: number
  /** Milliseconds to wait for a connection before failing a query (keeps /ready and requests from hanging). */
  connectTimeoutMs?: number
}

// Parse int8 (sequences, counts) as numbers, as PGlite does: every value we store in one fits in 2^53.
const INT8_OID = 20
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
}

/** Names of the statements run with `prepare` (pg keeps a named statement prepared per connection). */
const preparedNames = new Map<string, string>()

function statementName(text: string): string {
  let name = preparedNames.get(text)
  if (name === undefined) {
    name = `stratus_${preparedNames.size + 1}`
    preparedNames.set(text, name)
  }
  return name
}

function sqlOn(client: pg.Pool | pg.PoolClient, outboxWritten: () => void): Sql {
  return {
    outboxWritten,
    async query<R extends Row = Row>(
      text: string,
      params: readonly unknown[] = [],
      options?: QueryOptions,
    ): Promise<R[]> {
      const name = options?.prepare ? statementName(text) : undefined
      const result = await client.query<R>({ name, text, values: params as unknown[], types })
      return result.rows
    },
    async exec(script: string): Promise<void> {
      // No values: the simple-query protocol, which runs several statements.
      await client.query(script)
    },
  }
}

/** The production database driver: a `pg` pool. */
export class PgDatabase extends BaseDatabase implements Database {
  readonly driver = 'postgres' as const
  readonly capabilities: DatabaseCapabilities = { connections: 'pool', autovacuum: 'server' }
  private readonly pool: pg.Pool
  protected readonly sql: Sql

  constructor(options: PgDatabaseOptions) {
    super()
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      application_name: 'stratus',
    })
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => {})
    this.sql = sqlOn(this.pool, () => this.committed.emit())
  }

  tx<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.inTransaction((outboxWritten) =>
      this.holdClient(async (client, markBroken) => {
        try {
          await client.query('BEGIN')
          const result = await fn(sqlOn(client, outboxWritten))
          await client.query('COMMIT')
          return result
        } catch (error) {
          try {
            await client.query('ROLLBACK')
          } catch {
            markBroken()
          }
          throw error
        }
      }),
    )
  }

  withAdvisoryLock<T>(key: number, fn: () => Promise<T>): Promise<T> {
    return this.holdClient(async (client) => {
      await client.query('SELECT pg_advisory_lock($1)', [key])
      try {
        return await fn()
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key])
      }
    })
  }

  /**
   * Checks out a client for `fn`'s whole run, then releases it, dropping it from the pool when its
   * connection broke. The pool listens for errors on idle clients only: a server that ends the
   * connection while this one is checked out but between queries (a PostgreSQL restart) would
   * otherwise emit an 'error' nobody handles, and crash the process. The next query fails instead.
   */
  private async holdClient<T>(fn: (client: pg.PoolClient, markBroken: () => void) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    let broken = false
    const markBroken = () => {
      broken = true
    }
    client.on('error', markBroken)
    try {
      return await fn(client, markBroken)
    } finally {
      client.off('error', markBroken)
      client.release(broken)
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1')
  }

  async close(): Promise<void> {
    await this.pool.end()
  }
}
