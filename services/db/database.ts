/** A result row as the drivers return it: int8 → number, timestamptz → Date, json/jsonb → parsed. */
export type Row = Record<string, unknown>

/** How a statement is run. */
export interface QueryOptions {
  /**
   * Keep it prepared on each connection (PostgreSQL): later runs skip parsing and, once Postgres settles
   * on a generic plan, planning. For the few fixed statements every event runs (outbox, relay,
   * execution records); never for text built per call, since each distinct text stays prepared.
   */
  prepare?: boolean
}

/** Something that runs SQL: the database itself, or one transaction. Values are always parameters. */
export interface Sql {
  /** Runs one statement with `$1…$n` parameters and returns its rows. */
  query<R extends Row = Row>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<R[]>
  /** Runs a script of several statements with no parameters (migrations). */
  exec(script: string): Promise<void>
  /**
   * Records that this unit of work wrote outbox rows: once it commits (at once, outside a transaction),
   * the database's `onOutboxCommit` listeners run, so a relay in this process publishes without waiting
   * for its next poll. (Not NOTIFY: Postgres serialises every committing transaction that notifies,
   * which cut commit throughput threefold here.)
   */
  outboxWritten(): void
}

/**
 * The database contract. Two drivers implement it on one schema and one set of migrations:
 * PostgreSQL (`pg` pool) and the embedded PGlite. Services write raw, parameterised SQL through `query`
 * and `tx`. Prisma is the schema and migration source only, not a run-time client
 * (docs/architecture-decisions.md).
 */
export interface Database extends Sql {
  /** `postgres` or `pglite`, for logs and metrics. */
  readonly driver: 'postgres' | 'pglite'
  /** What the driver can do: callers switch on these, never on which driver it is. */
  readonly capabilities: DatabaseCapabilities
  /**
   * Runs `fn` in one transaction (READ COMMITTED): committed if it resolves, rolled back if it throws.
   * Everything a service writes together with its outbox event goes through here.
   */
  tx<T>(fn: (tx: Sql) => Promise<T>): Promise<T>
  /**
   * Holds a session-level advisory lock on `key` while `fn` runs, so that one process at a time does it
   * across every node sharing the database (migrations at boot).
   */
  withAdvisoryLock<T>(key: number, fn: () => Promise<T>): Promise<T>
  /** Calls `listener` after each commit that wrote outbox rows in this process; returns an unsubscribe. */
  onOutboxCommit(listener: () => void): () => void
  /** Resolves when the database answers a trivial query; rejects otherwise (used by /ready). */
  ping(): Promise<void>
  close(): Promise<void>
}

/** What a database driver can do, declared by the driver. */
export interface DatabaseCapabilities {
  /**
   * `pool`: statements and transactions of different callers run at once on several connections
   * (PostgreSQL), so a long statement such as an index build should let writes through (CONCURRENTLY).
   * `single`: one connection runs everything in turn (PGlite), so nothing runs beside a statement and
   * building in place is all there is.
   */
  readonly connections: 'pool' | 'single'
  /**
   * Who removes dead row versions and keeps planner statistics: `server` — PostgreSQL's autovacuum, when
   * its `autovacuum` setting is on (an operator may turn it off); `nobody` — PGlite runs no background
   * workers, whatever its setting says. See services/maintenance/vacuum.ts.
   */
  readonly autovacuum: 'server' | 'nobody'
}

/** The SQLSTATE of a driver error (both drivers expose `code`), if any. */
export function sqlState(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return /^[0-9A-Z]{5}$/.test(error.code) ? error.code : undefined
  }
  return undefined
}

/** True for a unique-constraint violation (23505), optionally on the named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (sqlState(error) !== '23505') return false
  if (constraint === undefined) return true
  return (
    typeof error === 'object' && error !== null && 'constraint' in error && error.constraint === constraint
  )
}

/** The listeners of `onOutboxCommit`. */
class CommitSignal {
  private readonly listeners = new Set<() => void>()

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit(): void {
    for (const listener of this.listeners) listener()
  }
}

/**
 * What both drivers share: statements outside a transaction run on `sql`, and outbox commits are
 * signalled to `onOutboxCommit` listeners. A driver supplies `sql` and wraps each transaction with
 * `inTransaction`, which signals once the driver has committed.
 */
export abstract class BaseDatabase {
  protected readonly committed = new CommitSignal()
  protected abstract readonly sql: Sql

  query<R extends Row = Row>(
    text: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<R[]> {
    return this.sql.query<R>(text, params, options)
  }

  exec(script: string): Promise<void> {
    return this.sql.exec(script)
  }

  outboxWritten(): void {
    this.committed.emit()
  }

  onOutboxCommit(listener: () => void): () => void {
    return this.committed.subscribe(listener)
  }

  /**
   * Runs `commit(outboxWritten)`, whose callback goes into the transaction's `Sql`; once it resolves
   * (the driver committed), signals listeners if outbox rows were written.
   */
  protected async inTransaction<T>(commit: (outboxWritten: () => void) => Promise<T>): Promise<T> {
    let wroteOutbox = false
    const result = await commit(() => {
      wroteOutbox = true
    })
    if (wroteOutbox) this.committed.emit()
    return result
  }
}
