import type { Database, Sql } from '../db/database.ts'

/**
 * How long a node trusts its list of live service keys before reading it again. A service-key rotation
 * made through another node (or by `stratus keys rotate-service`) refuses the old key here within this
 * bound; the node that rotates refuses it at once.
 */
export const SERVICE_KEY_RECHECK_MS = 5000

interface ServiceKeyRow extends Record<string, unknown> {
  id: string
  token: string
  kid: string
  created_at: Date
}

/** A service key as it is issued: its id (the JWT's `jti`), the token, and the signing key it names. */
export interface IssuedServiceKey {
  id: string
  token: string
  kid: string
}

/**
 * The service-role JWTs that are valid now, read from `service_keys` and re-read at most every
 * `recheckMs` when one is presented. A token is live when it is exactly one of the stored tokens (so
 * tokens issued before service keys had a `jti` are matched too); the newest live one is "the" service
 * key that `stratus keys` prints. Revocation is by rotation: `add(…, {revokeOthers: true})`.
 */
export class ServiceKeys {
  private readonly db: Database
  private readonly recheckMs: number
  /** Live keys, newest first. */
  private rows: ServiceKeyRow[] = []
  private tokens = new Set<string>()
  /** When the list in use was read (the start of its query), epoch ms. */
  private loadedAt = 0
  // Reloads are numbered: a slow read that started before a rotation never replaces the list read after it.
  private started = 0
  private applied = 0
  private pending: Promise<void> | undefined

  constructor(db: Database, recheckMs = SERVICE_KEY_RECHECK_MS) {
    this.db = db
    this.recheckMs = recheckMs
  }

  /** Reads the live keys now. */
  async reload(): Promise<void> {
    const ticket = ++this.started
    const startedAt = Date.now()
    const rows = await this.db.query<ServiceKeyRow>(
      'SELECT id, token, kid, created_at FROM service_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, id',
    )
    if (ticket < this.applied) return
    this.applied = ticket
    this.rows = rows
    this.tokens = new Set(rows.map((row) => row.token))
    this.loadedAt = startedAt
  }

  /** Re-reads the live keys if the list is older than the recheck bound (concurrent callers share one read). */
  async refresh(): Promise<void> {
    if (Date.now() - this.loadedAt < this.recheckMs) return
    this.pending ??= this.reload().finally(() => {
      this.pending = undefined
    })
    await this.pending
  }

  /** True when `token` is a live service key (as of at most `recheckMs` ago). */
  async isLive(token: string): Promise<boolean> {
    await this.refresh()
    return this.tokens.has(token)
  }

  /** The newest live service key as last read, or undefined when there is none. */
  current(): IssuedServiceKey | undefined {
    const newest = this.rows[0]
    return newest && { id: newest.id, token: newest.token, kid: newest.kid }
  }

  /**
   * Stores `key` as live inside `sql` (the caller's transaction); with `revokeOthers`, every other key
   * stops being live in the same statement batch. Call `reload` once the transaction commits.
   */
  static async add(sql: Sql, key: IssuedServiceKey, options: { revokeOthers: boolean }): Promise<void> {
    await sql.query('INSERT INTO service_keys (id, token, kid) VALUES ($1, $2, $3)', [
      key.id,
      key.token,
      key.kid,
    ])
    if (options.revokeOthers) {
      await sql.query('UPDATE service_keys SET revoked_at = now() WHERE revoked_at IS NULL AND id <> $1', [
        key.id,
      ])
    }
  }
}
