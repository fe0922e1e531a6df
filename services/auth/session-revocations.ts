import type { Database, Sql } from '../db/database.ts'

/** Default of AUTH_REVOCATION_CHECK_MS: how long a node trusts its list of revoked sessions. */
export const REVOCATION_CHECK_MS = 5000

/** What ended: one session (its tokens' `sid`), or every token a user was issued so far. */
export type Revocation = { kind: 'session'; subject: string } | { kind: 'user'; subject: string }

/**
 * How often a node reads the whole list (dropping lapsed entries); in between it reads only the rows
 * revoked since its last read, less an overlap for transactions that committed after that read began.
 */
const FULL_READ_MS = 60_000
const OVERLAP_SECONDS = 30

interface ReadRow extends Record<string, unknown> {
  read_at: Date
  rows: { kind: string; subject: string; revoked_at: number }[]
}

/** The claims a revocation is checked against. */
export interface RevocableClaims {
  sub?: unknown
  sid?: unknown
  iat?: unknown
}

/**
 * Access tokens that must stop working before they expire: those of ended sessions (logout, reuse,
 * recovery, sign-out everywhere, a disabled user) and every token of a deleted user. A signature alone
 * would keep them valid for their whole lifetime on every service; this list, kept in
 * `auth_revocations` and re-read by every node at most every `checkMs` when a token is presented,
 * bounds that to `checkMs` cluster-wide. The node that revokes refuses at once.
 *
 * Rows live until the tokens they refuse would have expired anyway, so the list holds at most one
 * access-token lifetime of revocations; a node reads it whole once a minute, and only what is new in
 * between.
 */
export class SessionRevocations {
  private readonly db: Database
  /** The bound: how long this node trusts its list before reading it again (0 = every check). */
  readonly checkMs: number
  private sessions = new Set<string>()
  /** uid → unix seconds: tokens issued at or before it are refused. */
  private users = new Map<string, number>()
  /** Revoked here since the last read: kept across a read that started before them. */
  private local: { at: number; revocation: Revocation; revokedAt: number }[] = []
  private loadedAt = Number.NEGATIVE_INFINITY
  /** When the last full read began (this node's clock), and the database's clock at the last read. */
  private fullAt = Number.NEGATIVE_INFINITY
  private readAt: Date | undefined
  private started = 0
  private applied = 0
  private pending: Promise<void> | undefined

  constructor(db: Database, checkMs = REVOCATION_CHECK_MS) {
    this.db = db
    this.checkMs = checkMs
  }

  /**
   * Records revocations inside `sql` (the caller's transaction), each valid for `ttlSeconds` (the
   * longest an access token issued before now can still live), and refuses them on this node at once.
   */
  async record(sql: Sql, revocations: Revocation[], ttlSeconds: number): Promise<void> {
    if (revocations.length === 0) return
    await sql.query(
      `INSERT INTO auth_revocations (kind, subject, expires_at)
       SELECT kind, subject, now() + make_interval(secs => $3)
       FROM unnest($1::text[], $2::text[]) AS r(kind, subject)
       ON CONFLICT (kind, subject) DO UPDATE
         SET revoked_at = EXCLUDED.revoked_at, expires_at = EXCLUDED.expires_at`,
      [revocations.map((r) => r.kind), revocations.map((r) => r.subject), ttlSeconds],
    )
    const now = Date.now()
    for (const revocation of revocations) {
      const entry = { at: now, revocation, revokedAt: Math.ceil(now / 1000) }
      this.local.push(entry)
      this.apply(entry.revocation, entry.revokedAt)
    }
  }

  /** True when a token with these claims was revoked (as of at most `checkMs` ago). */
  async isRevoked(claims: RevocableClaims): Promise<boolean> {
    await this.refresh()
    return this.revokedAsRead(claims)
  }

  /** `isRevoked` on the list as last read (for sweeps that refresh once for many checks). */
  revokedAsRead(claims: RevocableClaims): boolean {
    if (typeof claims.sid === 'string' && this.sessions.has(claims.sid)) return true
    if (typeof claims.sub !== 'string') return false
    const until = this.users.get(claims.sub)
    return until !== undefined && (typeof claims.iat !== 'number' || claims.iat <= until)
  }

  /** Re-reads the list if it is older than the bound (concurrent callers share one read). */
  async refresh(): Promise<void> {
    if (this.checkMs > 0 && Date.now() - this.loadedAt < this.checkMs) return
    this.pending ??= this.reload().finally(() => {
      this.pending = undefined
    })
    await this.pending
  }

  /**
   * Reads the revocations now: every live one when the last full read is older than FULL_READ_MS,
   * otherwise those revoked since the previous read (by the database's clock, so node clocks don't
   * matter).
   */
  async reload(): Promise<void> {
    const ticket = ++this.started
    const startedAt = Date.now()
    const since = startedAt - this.fullAt < FULL_READ_MS ? this.readAt : undefined
    const [read] = await this.db.query<ReadRow>(
      `SELECT now() AS read_at, coalesce((
         SELECT json_agg(json_build_object(
           'kind', kind, 'subject', subject, 'revoked_at', extract(epoch FROM revoked_at)))
         FROM auth_revocations
         WHERE CASE WHEN $1::timestamptz IS NULL THEN expires_at > now()
                    ELSE revoked_at > $1::timestamptz - make_interval(secs => $2) END
       ), '[]'::json) AS rows`,
      [since ?? null, OVERLAP_SECONDS],
    )
    // A slower read that started before a newer one never replaces what the newer one saw.
    if (ticket < this.applied || !read) return
    this.applied = ticket
    if (since === undefined) {
      this.sessions = new Set()
      this.users = new Map()
      this.fullAt = startedAt
    }
    for (const row of read.rows) {
      this.apply({ kind: row.kind, subject: row.subject } as Revocation, Math.ceil(row.revoked_at))
    }
    // Local revocations the read may have missed (committed after it started) stay in force.
    this.local = this.local.filter((entry) => entry.at >= startedAt)
    for (const entry of this.local) this.apply(entry.revocation, entry.revokedAt)
    this.readAt = read.read_at
    this.loadedAt = startedAt
  }

  private apply(revocation: Revocation, revokedAt: number): void {
    if (revocation.kind === 'session') this.sessions.add(revocation.subject)
    else this.users.set(revocation.subject, Math.max(revokedAt, this.users.get(revocation.subject) ?? 0))
  }
}
