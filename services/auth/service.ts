import { StratusError } from '../core/errors.ts'
import { newId } from '../core/ids.ts'
import type { Logger } from '../core/logger.ts'
import { type Database, isUniqueViolation, type Sql } from '../db/database.ts'
import { addToOutbox } from '../outbox/outbox.ts'
import { AccountMail } from './account-mail.ts'
import type { MailTransport } from './mail/mail-transport.ts'
import { MfaService } from './mfa/mfa-service.ts'
import { OAuthService } from './oauth/oauth-service.ts'
import { checkPasswordStrength, PasswordHasher } from './passwords.ts'
import type { SecretBox } from './secret-box.ts'
import { type Session, type SessionInfo, Sessions } from './sessions.ts'
import { SigninThrottle } from './signin-throttle.ts'
import type { AuthContext, SigningKeys } from './signing-keys.ts'
import { UserCache } from './user-cache.ts'
import {
  type AdminUser,
  normalizeEmail,
  toAdminUser,
  toUser,
  USER_COLUMNS,
  type User,
  type UserRow,
  userColumns,
  userEvent,
} from './users.ts'

export type { AdminUser, Session, SessionInfo, User }

/** What the auth service needs; built by the composition root. */
export interface AuthServiceOptions {
  db: Database
  keys: SigningKeys
  mail: MailTransport
  logger: Logger
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
  /** Mail a verification token on sign-up and on an email change. */
  emailVerification: boolean
  siteUrl?: string
  /** How long this node may answer GET /user from memory (see `UserCache`); 0 = always read. */
  userCacheMs: number
  /** Failed password sign-ins per account (any address) per window; absent or 0 = unlimited. */
  signinThrottle?: { maxFailures: number; windowSeconds: number }
  /** Encrypts OAuth client secrets and TOTP secrets at rest. */
  secrets: SecretBox
  /** The `redirect_to` allow-list from the environment (AUTH_REDIRECT_URLS). */
  redirectUrls: readonly string[]
  /** Public base URL of the API, for the OAuth callback (AUTH_EXTERNAL_URL); unset = the request's. */
  externalUrl?: string
  /** The issuer name authenticator apps show next to TOTP codes (default "Stratus"). */
  mfaIssuer?: string
}

/** The fields a user (or an admin) may change. Absent fields stay as they are; `data` is merged. */
export interface UserPatch {
  email?: string
  password?: string
  data?: Record<string, unknown>
}

/** What an admin may change besides a user's own fields. */
export interface AdminUserPatch extends UserPatch {
  disabled?: boolean
}

/** The admin user list's filters and page. */
export interface UserQuery {
  limit: number
  cursor?: string
  /** Users whose email contains this text, in any case (a prefix is one such text). */
  email?: string
  anonymous?: boolean
  disabled?: boolean
}

/** One page of the admin user list. */
export interface UserPage {
  users: AdminUser[]
  nextCursor: string | null
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const MAX_EMAIL_LENGTH = 254

function checkEmail(email: string): string {
  const normalized = normalizeEmail(email)
  if (normalized.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(normalized)) {
    throw new StratusError('request/invalid', 'The email address is not valid', {
      details: { field: 'email' },
    })
  }
  return normalized
}

const emailTaken = () => new StratusError('auth/email-taken', 'An account with this email already exists')
const invalidCredentials = () => new StratusError('auth/invalid-credentials', 'Invalid email or password')
const userNotFound = (id: string) => new StratusError('auth/user-not-found', `No user ${id}`)

/**
 * Accounts and sessions: sign-up, password and anonymous sign-in, refresh, logout, the signed-in
 * user's profile, recovery and email verification, and the admin operations. Every change to a user
 * writes its `auth.user.*` event to the outbox in the same transaction. Knows nothing of HTTP.
 */
export class AuthService {
  private readonly options: AuthServiceOptions
  private readonly db: Database
  private readonly passwords: PasswordHasher
  private readonly cache: UserCache
  private readonly signinThrottle: SigninThrottle
  /** Sessions and refresh-token families. */
  readonly sessions: Sessions
  /** One-time tokens and the mail that carries them. */
  readonly accountMail: AccountMail
  /** OAuth/OIDC providers and sign-in. */
  readonly oauth: OAuthService
  /** TOTP factors, aal2 sessions and recovery codes. */
  readonly mfa: MfaService

  private constructor(options: AuthServiceOptions, passwords: PasswordHasher) {
    this.options = options
    this.db = options.db
    this.passwords = passwords
    this.cache = new UserCache({ ttlMs: options.userCacheMs })
    this.signinThrottle = new SigninThrottle({
      db: options.db,
      maxFailures: options.signinThrottle?.maxFailures ?? 0,
      windowSeconds: options.signinThrottle?.windowSeconds ?? 300,
    })
    this.sessions = new Sessions({ ...options, onRevoke: (uid) => this.cache.forget(uid) })
    this.accountMail = new AccountMail(options)
    const onUserChanged = (uid: string) => this.cache.forget(uid)
    this.oauth = new OAuthService({
      db: options.db,
      sessions: this.sessions,
      secrets: options.secrets,
      logger: options.logger,
      redirectUrls: options.redirectUrls,
      siteUrl: options.siteUrl,
      externalUrl: options.externalUrl,
      onUserChanged,
    })
    this.mfa = new MfaService({
      db: options.db,
      sessions: this.sessions,
      secrets: options.secrets,
      issuer: options.mfaIssuer ?? 'Stratus',
      loadSignedIn: (sql, auth, forUpdate) => this.loadSignedIn(sql, auth, forUpdate),
      onUserChanged,
    })
  }

  static async create(options: AuthServiceOptions): Promise<AuthService> {
    return new AuthService(options, await PasswordHasher.create())
  }

  /** The signing keys' public half, for the JWKS endpoint. */
  jwks() {
    return this.options.keys.jwks()
  }

  // ---- sign-up and sign-in ----

  /** Creates an email/password account and signs it in. */
  async signUp(input: {
    email: string
    password: string
    data?: Record<string, unknown>
  }): Promise<{ user: User; session: Session }> {
    const email = checkEmail(input.email)
    checkPasswordStrength(input.password)
    const passwordHash = await this.passwords.hash(input.password)
    const { row, session } = await this.db.tx(async (tx) => {
      const row = await this.insertUser(tx, { email, passwordHash, data: input.data ?? {} })
      return { row, session: await this.sessions.issue(tx, row, { signIn: true }) }
    })
    this.mailVerification(row)
    return { user: toUser(row), session }
  }

  /** Creates an anonymous user (no email, no password) and signs it in. */
  async signInAnonymously(input: { data?: Record<string, unknown> } = {}): Promise<{
    user: User
    session: Session
  }> {
    const { row, session } = await this.db.tx(async (tx) => {
      const row = await this.insertUser(tx, { anonymous: true, data: input.data ?? {} })
      return { row, session: await this.sessions.issue(tx, row, { signIn: true }) }
    })
    return { user: toUser(row), session }
  }

  /**
   * Email/password sign-in. Wrong email and wrong password answer alike, after the same work (an
   * unknown email is verified against a decoy hash). A disabled account is only reported to someone
   * who knows its password.
   */
  async signInWithPassword(input: { email: string; password: string }): Promise<{
    user: User
    session: Session
  }> {
    const email = normalizeEmail(input.email)
    const counted = await this.signinThrottle.check(email)
    const [row] = await this.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM auth_users WHERE email = $1`,
      [email],
      { prepare: true },
    )
    const ok = await this.passwords.verify(row?.password_hash, input.password)
    if (!row || !ok) {
      await this.signinThrottle.recordFailure(email)
      throw invalidCredentials()
    }
    if (row.disabled_at) throw new StratusError('auth/user-disabled', 'This account is disabled')
    if (counted) await this.signinThrottle.clear(email)
    const session = await this.sessions.issue(this.db, row, { signIn: true })
    return { user: toUser(row), session }
  }

  /** Spends a refresh token for the next session of its family (see `Sessions.refresh`). */
  async refresh(refreshToken: string): Promise<{ session: Session }> {
    const { session } = await this.sessions.refresh(refreshToken)
    return { session }
  }

  /** Ends the caller's session (`local`) or every session of the caller (`global`). */
  async logout(auth: AuthContext | null, scope: 'local' | 'global' = 'local'): Promise<void> {
    const { uid, sid } = this.signedIn(auth)
    await this.sessions.revoke(this.db, scope === 'global' ? { userId: uid } : { sessionId: sid }, 'logout')
  }

  // ---- the signed-in user ----

  /** The caller's account. Its session must still be live, and the account enabled. */
  async currentUser(auth: AuthContext | null): Promise<User> {
    const { uid, sid } = this.signedIn(auth)
    const cached = this.cache.get(uid, sid)
    if (cached) return toUser(cached)
    const row = await this.loadSignedIn(this.db, auth, false)
    this.cache.set(uid, sid, row)
    return toUser(row)
  }

  /**
   * Changes the caller's email, password or data (merged, top-level keys). An anonymous user that
   * sets both email and password becomes a regular user with the same id. A new password ends the
   * caller's other sessions.
   */
  async updateCurrentUser(auth: AuthContext | null, patch: UserPatch): Promise<User> {
    const { sid } = this.signedIn(auth)
    const prepared = await this.preparePatch(patch)
    const { row, emailChanged } = await this.db.tx(async (tx) => {
      const current = await this.loadSignedIn(tx, auth, true)
      return this.applyPatch(tx, current, prepared, { keepSessionId: sid })
    })
    this.cache.forget(row.id)
    if (emailChanged) this.mailVerification(row)
    return toUser(row)
  }

  // ---- recovery and verification ----

  /** Mails a recovery token if an active account has this email. Always returns at once. */
  requestRecovery(email: string): void {
    const normalized = normalizeEmail(email)
    this.accountMail.background('recovery', () => this.accountMail.sendRecovery(normalized))
  }

  /** Mails a new verification token if an active, unverified account has this email. */
  resendVerification(email: string): void {
    const normalized = normalizeEmail(email)
    this.accountMail.background('verification', () => this.accountMail.sendVerification(normalized))
  }

  /**
   * Spends a mailed one-time token. `recovery` sets a new password, ends every other session and
   * signs in; `email` marks the address verified and signs in.
   */
  async verify(
    input: { type: 'recovery'; token: string; password: string } | { type: 'email'; token: string },
  ): Promise<{ user: User; session: Session }> {
    // Check and hash the new password first: a weak one must not spend the token.
    let passwordHash: string | undefined
    if (input.type === 'recovery') {
      checkPasswordStrength(input.password)
      passwordHash = await this.passwords.hash(input.password)
    }
    const { row, session } = await this.db.tx(async (tx) => {
      const claim = await this.accountMail.consume(tx, input.type, input.token)
      const [row] = await tx.query<UserRow>(
        `UPDATE auth_users SET
           password_hash = COALESCE($3, password_hash),
           email_verified_at = COALESCE(email_verified_at, now()),
           updated_at = now()
         WHERE id = $1 AND email = $2 RETURNING ${USER_COLUMNS}`,
        [claim.userId, claim.email, passwordHash ?? null],
      )
      // The account changed its email since the token was mailed: the token proves nothing now.
      if (!row) throw new StratusError('auth/invalid-credentials', 'The token is invalid')
      if (row.disabled_at) throw new StratusError('auth/user-disabled', 'This account is disabled')
      if (input.type === 'recovery') {
        await this.accountMail.spendAll(tx, row.id, 'recovery')
        await this.sessions.revoke(tx, { userId: row.id }, 'recovery')
      }
      await addToOutbox(tx, userEvent('updated', row))
      return { row, session: await this.sessions.issue(tx, row, { signIn: true }) }
    })
    this.cache.forget(row.id)
    return { user: toUser(row), session }
  }

  // ---- admin ----

  /**
   * Users in creation order, `limit` at a time; `cursor` is the previous page's `nextCursor` (a
   * position, so it stays valid whatever the filters). `email` matches a part of the address, in any
   * case (emails are stored lower-cased); `anonymous` and `disabled` keep only users in that state.
   */
  async listUsers(query: UserQuery): Promise<UserPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    const params: unknown[] = [query.limit + 1]
    const where: string[] = []
    const param = (value: unknown) => {
      params.push(value)
      return `$${params.length}`
    }
    if (after) where.push(`(created_at, id) > (${param(after.createdAt)}::timestamptz, ${param(after.id)})`)
    if (query.email !== undefined && query.email.trim() !== '')
      where.push(`strpos(email, ${param(normalizeEmail(query.email))}) > 0`)
    if (query.anonymous !== undefined) where.push(`anonymous = ${param(query.anonymous)}::boolean`)
    if (query.disabled !== undefined)
      where.push(`(disabled_at IS NOT NULL) = ${param(query.disabled)}::boolean`)
    const rows = await this.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM auth_users
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at, id LIMIT $1`,
      params,
    )
    const page = rows.slice(0, query.limit)
    const last = page[page.length - 1]
    return {
      users: page.map(toAdminUser),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
    }
  }

  async getUser(id: string): Promise<AdminUser> {
    const [row] = await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM auth_users WHERE id = $1`, [id])
    if (!row) throw userNotFound(id)
    return toAdminUser(row)
  }

  /** Creates an email/password account without signing it in. */
  async createUser(input: {
    email: string
    password: string
    data?: Record<string, unknown>
    emailVerified?: boolean
  }): Promise<AdminUser> {
    const email = checkEmail(input.email)
    checkPasswordStrength(input.password)
    const passwordHash = await this.passwords.hash(input.password)
    const row = await this.db.tx((tx) =>
      this.insertUser(tx, {
        email,
        passwordHash,
        data: input.data ?? {},
        emailVerified: input.emailVerified === true,
      }),
    )
    return toAdminUser(row)
  }

  /**
   * Changes a user as an admin. Disabling ends every session (and refreshes fail from then on); a new
   * password ends every session too.
   */
  async updateUser(id: string, patch: AdminUserPatch): Promise<AdminUser> {
    const prepared = await this.preparePatch(patch)
    const { row, emailChanged } = await this.db.tx(async (tx) => {
      const [current] = await tx.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM auth_users WHERE id = $1 FOR UPDATE`,
        [id],
      )
      if (!current) throw userNotFound(id)
      return this.applyPatch(tx, current, { ...prepared, disabled: patch.disabled }, {})
    })
    this.cache.forget(row.id)
    if (emailChanged) this.mailVerification(row)
    return toAdminUser(row)
  }

  /** A user's live sessions (see `Sessions.list`); 404 `auth/user-not-found` for an unknown user. */
  async userSessions(id: string): Promise<SessionInfo[]> {
    await this.requireUser(id)
    return this.sessions.list(this.db, id)
  }

  /**
   * Signs a user out everywhere: every live session ends (refresh tokens stop at once; access tokens
   * already issued live until they expire). Returns how many sessions ended.
   */
  async revokeUserSessions(id: string): Promise<number> {
    return this.db.tx(async (tx) => {
      await this.requireUser(id, tx)
      return this.sessions.revoke(tx, { userId: id }, 'admin')
    })
  }

  /** A user's MFA factors, oldest first. */
  async userFactors(id: string): Promise<AdminUser['factors']> {
    return (await this.getUser(id)).factors
  }

  /**
   * Resets a user's MFA (a lost authenticator): every factor and recovery code goes, so the password
   * alone signs in again. Emits `auth.user.updated`. Returns how many factors were removed.
   */
  async resetUserFactors(id: string): Promise<number> {
    await this.requireUser(id)
    return this.mfa.resetForUser(id)
  }

  private async requireUser(id: string, sql: Sql = this.db): Promise<void> {
    const [row] = await sql.query('SELECT id FROM auth_users WHERE id = $1', [id])
    if (!row) throw userNotFound(id)
  }

  /** Deletes a user: its sessions and tokens go with it; emits `auth.user.deleted`. */
  async deleteUser(id: string): Promise<void> {
    await this.db.tx(async (tx) => {
      const [row] = await tx.query<UserRow>(
        `DELETE FROM auth_users WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [id],
      )
      if (!row) throw userNotFound(id)
      // Its sessions go with the row: refuse every token it was issued, on every service.
      await this.options.keys.revocations.record(
        tx,
        [{ kind: 'user', subject: id }],
        this.sessions.accessTokenLifetime(),
      )
      await addToOutbox(tx, userEvent('deleted', row))
    })
    this.cache.forget(id)
  }

  /** Resolves when no background work (mail) is in flight. */
  idle(): Promise<void> {
    return this.accountMail.idle()
  }

  /** Lets background work finish. The database and mail transport are closed by their owner. */
  async close(): Promise<void> {
    await this.idle()
  }

  // ---- internals ----

  private async insertUser(
    tx: Sql,
    input: {
      email?: string
      passwordHash?: string
      anonymous?: boolean
      data: Record<string, unknown>
      emailVerified?: boolean
    },
  ): Promise<UserRow> {
    const [row] = await tx.query<UserRow>(
      `INSERT INTO auth_users (id, email, password_hash, anonymous, data, email_verified_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, CASE WHEN $6::boolean THEN now() END)
       ON CONFLICT (email) DO NOTHING RETURNING ${USER_COLUMNS}`,
      [
        newId(),
        input.email ?? null,
        input.passwordHash ?? null,
        input.anonymous === true,
        JSON.stringify(input.data),
        input.emailVerified === true,
      ],
    )
    if (!row) throw emailTaken()
    await addToOutbox(tx, userEvent('created', row))
    return row
  }

  /** The caller's uid and session id; only a user's access token names a session. */
  private signedIn(auth: AuthContext | null): { uid: string; sid: string } {
    if (!auth) throw new StratusError('auth/unauthenticated', 'Sign in first: this needs an access token')
    if (auth.role !== 'authenticated')
      throw new StratusError('auth/forbidden', "This needs a user's access token")
    const sid = auth.claims.sid
    if (typeof sid !== 'string')
      throw new StratusError('auth/unauthenticated', 'The access token names no session')
    return { uid: auth.uid, sid }
  }

  /** Loads the caller's row (locked for update when asked) if its session is live and it is enabled. */
  private async loadSignedIn(sql: Sql, auth: AuthContext | null, forUpdate: boolean): Promise<UserRow> {
    const { uid, sid } = this.signedIn(auth)
    const [row] = await sql.query<UserRow & { session_live: boolean }>(
      `SELECT ${userColumns('u')}, (s.id IS NOT NULL AND s.revoked_at IS NULL) AS session_live
       FROM auth_users u LEFT JOIN auth_sessions s ON s.id = $2 AND s.user_id = u.id
       WHERE u.id = $1 ${forUpdate ? 'FOR UPDATE OF u' : ''}`,
      [uid, sid],
    )
    if (!row) throw new StratusError('auth/unauthenticated', 'This account no longer exists')
    if (row.disabled_at) throw new StratusError('auth/user-disabled', 'This account is disabled')
    if (!row.session_live)
      throw new StratusError('auth/unauthenticated', 'The session has ended; sign in again')
    const { session_live: _, ...user } = row
    return user as UserRow
  }

  /** Validates a patch and hashes its password (outside any transaction: hashing takes tens of ms). */
  private async preparePatch(patch: UserPatch): Promise<PreparedPatch> {
    const email = patch.email === undefined ? undefined : checkEmail(patch.email)
    if (patch.password !== undefined) checkPasswordStrength(patch.password)
    const passwordHash = patch.password === undefined ? undefined : await this.passwords.hash(patch.password)
    return { email, passwordHash, data: patch.data }
  }

  private async applyPatch(
    tx: Sql,
    current: UserRow,
    patch: PreparedPatch & { disabled?: boolean },
    options: { keepSessionId?: string },
  ): Promise<{ row: UserRow; emailChanged: boolean }> {
    const emailChanged = patch.email !== undefined && patch.email !== current.email
    const upgrading = current.anonymous && (patch.email !== undefined || patch.passwordHash !== undefined)
    if (upgrading && (patch.email === undefined || patch.passwordHash === undefined)) {
      throw new StratusError(
        'request/invalid',
        'An anonymous user upgrades by setting both email and password in one request',
      )
    }
    const disabledChanged = patch.disabled !== undefined && patch.disabled !== (current.disabled_at !== null)
    if (!emailChanged && patch.passwordHash === undefined && patch.data === undefined && !disabledChanged) {
      return { row: current, emailChanged: false }
    }
    let row: UserRow | undefined
    try {
      ;[row] = await tx.query<UserRow>(
        `UPDATE auth_users SET
           email = CASE WHEN $2::boolean THEN $3 ELSE email END,
           email_verified_at = CASE WHEN $2::boolean THEN NULL ELSE email_verified_at END,
           password_hash = COALESCE($4, password_hash),
           anonymous = anonymous AND $4::text IS NULL,
           data = CASE WHEN $5::jsonb IS NULL THEN data ELSE data || $5::jsonb END,
           disabled_at = CASE WHEN $6::boolean IS NULL THEN disabled_at
                              WHEN $6::boolean THEN COALESCE(disabled_at, now()) END,
           updated_at = now()
         WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [
          current.id,
          emailChanged,
          patch.email ?? null,
          patch.passwordHash ?? null,
          patch.data === undefined ? null : JSON.stringify(patch.data),
          patch.disabled ?? null,
        ],
      )
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken()
      throw error
    }
    if (!row) throw userNotFound(current.id)
    if (patch.disabled === true && disabledChanged) {
      await this.sessions.revoke(tx, { userId: row.id }, 'disabled')
    } else if (patch.passwordHash !== undefined && !upgrading) {
      await this.sessions.revoke(
        tx,
        { userId: row.id, exceptSessionId: options.keepSessionId },
        'password-changed',
      )
    }
    await addToOutbox(tx, userEvent('updated', row))
    return { row, emailChanged }
  }

  private mailVerification(row: UserRow): void {
    if (!this.options.emailVerification || !row.email) return
    const email = row.email
    this.accountMail.background('verification', () => this.accountMail.sendVerification(email))
  }
}

interface PreparedPatch {
  email?: string
  passwordHash?: string
  data?: Record<string, unknown>
}

function encodeCursor(row: UserRow): string {
  return Buffer.from(JSON.stringify([row.created_at.toISOString(), row.id])).toString('base64url')
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[]
    if (typeof createdAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(createdAt))) {
      return { createdAt, id }
    }
  } catch {
    // fall through
  }
  throw new StratusError('request/invalid', 'The cursor is invalid', { details: { field: 'cursor' } })
}
