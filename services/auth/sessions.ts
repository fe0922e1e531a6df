import { StratusError } from '../core/errors.ts'
import { newId, newSecret } from '../core/ids.ts'
import type { Logger } from '../core/logger.ts'
import type { Database, Sql } from '../db/database.ts'
import { CLOCK_SKEW_SECONDS, type SigningKeys } from './signing-keys.ts'
import { hashToken, type UserRow, userColumns } from './users.ts'

/** A signed-in session as the API returns it (API.md). */
export interface Session {
  access_token: string
  refresh_token: string
  token_type: 'bearer'
  /** Seconds the access token lives. */
  expires_in: number
  /** Unix seconds at which the access token expires. */
  expires_at: number
}

/** Why a session ended, kept on the row for audits. */
export type RevokeReason =
  | 'logout'
  | 'reuse'
  | 'disabled'
  | 'recovery'
  | 'password-changed'
  /** Replaced by the aal2 session an MFA code (or recovery code) opened. */
  | 'mfa'
  /** A verified OAuth email claimed an account whose own email was never verified. */
  | 'email-claimed'
  /** An admin signed the user out everywhere (`DELETE /admin/v1/users/{id}/sessions`). */
  | 'admin'

/** Authenticator assurance level (the `aal` claim): aal2 once the session passed an MFA check. */
export type Aal = 'aal1' | 'aal2'

/** A live session (refresh-token family), as the admin API lists it. */
export interface SessionInfo {
  /** The access tokens' `sid` claim. */
  id: string
  createdAt: string
  /** The last refresh, or null when the first refresh token is still unspent. */
  refreshedAt: string | null
  aal: Aal
  /** When its refresh token expires: the session ends then unless it is refreshed before. */
  expiresAt: string
}

/** Options of the session store. */
export interface SessionsOptions {
  db: Database
  keys: SigningKeys
  logger: Logger
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
  /** Called with each user whose sessions were revoked (to drop cached session state). */
  onRevoke?: (uid: string) => void
}

interface SpentRow extends Record<string, unknown> {
  session_id: string
  expired: boolean
}

type SessionUserRow = UserRow & { session_revoked_at: Date | null; session_aal: Aal }

/**
 * Sessions and their refresh tokens. A session is one rotation family: each refresh spends the
 * presented token (single use) and issues the next one in the same family. Presenting a spent token
 * again means two parties hold it (a theft, or a client that raced itself): the whole family is revoked.
 */
export class Sessions {
  private readonly options: SessionsOptions

  constructor(options: SessionsOptions) {
    this.options = options
  }

  /**
   * Starts a session for `user` inside the caller's transaction (or statement): one statement inserts
   * the session and its first refresh token, and stamps the sign-in time when `signIn` is set. Its
   * access tokens, and those of its refreshes, carry `aal` (default aal1).
   */
  async issue(sql: Sql, user: UserRow, options: { signIn?: boolean; aal?: Aal } = {}): Promise<Session> {
    const sid = newId()
    const refreshToken = newSecret(32)
    const aal = options.aal ?? 'aal1'
    await sql.query(
      `WITH s AS (INSERT INTO auth_sessions (id, user_id, aal) VALUES ($1, $2, $6)),
       u AS (UPDATE auth_users SET last_sign_in_at = now() WHERE id = $2 AND $5::boolean)
       INSERT INTO auth_refresh_tokens (token_hash, session_id, expires_at)
       VALUES ($3, $1, now() + make_interval(secs => $4))`,
      [
        sid,
        user.id,
        hashToken(refreshToken),
        this.options.refreshTokenTtlSeconds,
        options.signIn === true,
        aal,
      ],
      { prepare: true },
    )
    return this.mint(user, sid, refreshToken, aal)
  }

  /**
   * Spends `refreshToken` and returns the next session of its family, with the user it belongs to.
   * The spend is one conditional UPDATE (`used_at IS NULL`): of two refreshes racing with one token,
   * exactly one wins (PostgreSQL re-checks the condition after the winner commits). The loser, like any
   * later presentation of a spent token, is a reuse: `auth/token-reused`, and the family is revoked.
   */
  async refresh(refreshToken: string): Promise<{ user: UserRow; session: Session }> {
    const tokenHash = hashToken(refreshToken)
    const next = newSecret(32)
    const spent = await this.options.db.tx(async (tx) => {
      const [row] = await tx.query<SpentRow>(
        `UPDATE auth_refresh_tokens SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL
         RETURNING session_id, expires_at <= now() AS expired`,
        [tokenHash],
      )
      if (!row) return undefined
      // Throwing rolls the spend back; the token stays unusable either way.
      if (row.expired)
        throw new StratusError('auth/token-expired', 'The refresh token has expired; sign in again')
      const [user] = await tx.query<SessionUserRow>(
        `SELECT ${userColumns('u')}, s.revoked_at AS session_revoked_at, s.aal AS session_aal
         FROM auth_sessions s JOIN auth_users u ON u.id = s.user_id WHERE s.id = $1`,
        [row.session_id],
      )
      if (user?.disabled_at) throw new StratusError('auth/user-disabled', 'This account is disabled')
      if (!user || user.session_revoked_at)
        throw new StratusError('auth/unauthenticated', 'The session has ended; sign in again')
      await tx.query(
        `WITH t AS (
           INSERT INTO auth_refresh_tokens (token_hash, session_id, expires_at)
           VALUES ($1, $2, now() + make_interval(secs => $3))
         )
         UPDATE auth_sessions SET refreshed_at = now() WHERE id = $2`,
        [hashToken(next), row.session_id, this.options.refreshTokenTtlSeconds],
      )
      return { user, sessionId: row.session_id }
    })
    if (!spent) return this.rejectUnspendable(tokenHash)
    const { session_revoked_at: _, session_aal: aal, ...user } = spent.user
    return { user: user as UserRow, session: await this.mint(user as UserRow, spent.sessionId, next, aal) }
  }

  /** The token was not spendable: a reuse (revoke its family) or not ours at all. */
  private async rejectUnspendable(tokenHash: string): Promise<never> {
    const [known] = await this.options.db.query<{ session_id: string }>(
      'SELECT session_id FROM auth_refresh_tokens WHERE token_hash = $1',
      [tokenHash],
    )
    if (!known) throw new StratusError('auth/unauthenticated', 'The refresh token is invalid')
    const revoked = await this.revoke(this.options.db, { sessionId: known.session_id }, 'reuse')
    if (revoked > 0) {
      this.options.logger.warn(
        { sessionId: known.session_id },
        'refresh token reused: session family revoked',
      )
    }
    throw new StratusError(
      'auth/token-reused',
      'This refresh token was already used; the session has been revoked, sign in again',
    )
  }

  /**
   * Revokes sessions (all of a user's, optionally but one; or a single one) that are still live;
   * returns how many. Their refresh tokens stop working at once; their access tokens are refused on
   * this node at once and on every other within AUTH_REVOCATION_CHECK_MS (SessionRevocations).
   */
  async revoke(
    sql: Sql,
    which: { sessionId: string } | { userId: string; exceptSessionId?: string },
    reason: RevokeReason,
  ): Promise<number> {
    const rows =
      'sessionId' in which
        ? await sql.query<{ user_id: string; id: string }>(
            `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2
             WHERE id = $1 AND revoked_at IS NULL RETURNING user_id, id`,
            [which.sessionId, reason],
          )
        : await sql.query<{ user_id: string; id: string }>(
            `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $3
             WHERE user_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR id <> $2) RETURNING user_id, id`,
            [which.userId, which.exceptSessionId ?? null, reason],
          )
    await this.options.keys.revocations.record(
      sql,
      rows.map((row) => ({ kind: 'session' as const, subject: row.id })),
      this.accessTokenLifetime(),
    )
    for (const uid of new Set(rows.map((row) => row.user_id))) this.options.onRevoke?.(uid)
    return rows.length
  }

  /**
   * A user's live sessions, newest first: not revoked, with an unspent refresh token that has not
   * expired (a session whose refresh token lapsed can never be refreshed again).
   */
  async list(sql: Sql, userId: string): Promise<SessionInfo[]> {
    const rows = await sql.query<{
      id: string
      created_at: Date
      refreshed_at: Date | null
      aal: Aal
      expires_at: Date
    }>(
      `SELECT s.id, s.created_at, s.refreshed_at, s.aal, max(t.expires_at) AS expires_at
       FROM auth_sessions s
       JOIN auth_refresh_tokens t ON t.session_id = s.id AND t.used_at IS NULL AND t.expires_at > now()
       WHERE s.user_id = $1 AND s.revoked_at IS NULL
       GROUP BY s.id, s.created_at, s.refreshed_at, s.aal
       ORDER BY s.created_at DESC, s.id`,
      [userId],
    )
    return rows.map((row) => ({
      id: row.id,
      createdAt: row.created_at.toISOString(),
      refreshedAt: row.refreshed_at?.toISOString() ?? null,
      aal: row.aal,
      expiresAt: row.expires_at.toISOString(),
    }))
  }

  /** The longest an access token issued now may still verify: its lifetime plus the clock skew. */
  accessTokenLifetime(): number {
    return this.options.accessTokenTtlSeconds + CLOCK_SKEW_SECONDS
  }

  /** Signs the access token of session `sid` for `user` and assembles the session answer. */
  private async mint(user: UserRow, sid: string, refreshToken: string, aal: Aal): Promise<Session> {
    const ttl = this.options.accessTokenTtlSeconds
    const now = Math.floor(Date.now() / 1000)
    const claims: Record<string, unknown> & { sub: string; role: string } = {
      sub: user.id,
      role: 'authenticated',
      sid,
      aal,
      is_anonymous: user.anonymous,
    }
    if (user.email) {
      claims.email = user.email
      claims.email_verified = user.email_verified_at !== null
    }
    const accessToken = await this.options.keys.sign(claims, ttl, now)
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      token_type: 'bearer',
      expires_in: ttl,
      expires_at: now + ttl,
    }
  }
}
