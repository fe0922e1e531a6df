import { matchTotp, newTotpSecret, totpUri } from '../auth/mfa/totp.ts'
import { checkPasswordStrength, PasswordHasher } from '../auth/passwords.ts'
import type { SecretBox } from '../auth/secret-box.ts'
import { hashToken } from '../auth/users.ts'
import { StratusError } from '../core/errors.ts'
import { newId, newSecret } from '../core/ids.ts'
import { type Database, isUniqueViolation, type Sql } from '../db/database.ts'
import {
  ADMIN_COLUMNS,
  type Admin,
  type AdminRole,
  type AdminRow,
  checkAdminEmail,
  checkAdminRole,
  toAdmin,
} from './accounts.ts'
import { AuditLog } from './audit.ts'

export type { Admin, AdminRole }

/** What the admin service needs; built by the composition root, or by the CLI on its own database. */
export interface AdminServiceOptions {
  db: Database
  /** Encrypts TOTP secrets at rest (the box auth uses for its own factors). */
  secrets: SecretBox
  /** How long a console session lasts. */
  sessionTtlSeconds: number
  /** The issuer authenticator apps show next to the codes (default "Stratus admin"). */
  mfaIssuer?: string
}

/** A signed-in admin, as the gateway's admin scope sees it. */
export interface AdminPrincipal {
  id: string
  email: string
  role: AdminRole
}

/** A new console session: the token is shown this once (only its hash is stored). */
export interface AdminSession {
  token: string
  expiresAt: string
  admin: AdminPrincipal
}

/** A new, unverified TOTP factor: the secret is shown this once. */
export interface AdminEnrolledFactor {
  id: string
  type: 'totp'
  secret: string
  /** `otpauth://totp/…`, for a QR code. */
  uri: string
}

/** Every admin session token starts with this, so the gateway tells it from a JWT without parsing. */
export const ADMIN_TOKEN_PREFIX = 'sa_'

/** True when `token` has the shape of an admin session token. */
export function isAdminToken(token: string): boolean {
  return token.startsWith(ADMIN_TOKEN_PREFIX)
}

interface FactorRow extends Record<string, unknown> {
  id: string
  status: 'unverified' | 'verified'
  secret_encrypted: string
  last_used_step: number | null
}

const invalidCredentials = () => new StratusError('auth/invalid-credentials', 'Invalid email or password')
const wrongCode = () =>
  new StratusError('auth/invalid-credentials', 'The code is wrong, expired or was already used')
const adminNotFound = (id: string) => new StratusError('auth/admin-not-found', `No admin ${id}`)
const emailTaken = () => new StratusError('auth/email-taken', 'An admin with this email already exists')
const factorNotFound = (id: string) => new StratusError('auth/factor-not-found', `No factor ${id}`)
const secretContext = (factorId: string) => `admin-factor:${factorId}`

/**
 * Admin accounts (separate from app users: no events, no rules), their console sessions and TOTP
 * factors, and the audit log of what they change. A session is an opaque random token; the database
 * keeps its sha256, so a leaked table holds nothing presentable. Knows nothing of HTTP.
 */
export class AdminService {
  private readonly options: AdminServiceOptions
  private readonly db: Database
  private readonly passwords: PasswordHasher
  /** Who changed what (written by the gateway's admin scope and by the CLI). */
  readonly audit: AuditLog

  private constructor(options: AdminServiceOptions, passwords: PasswordHasher) {
    this.options = options
    this.db = options.db
    this.passwords = passwords
    this.audit = new AuditLog(options.db)
  }

  static async create(options: AdminServiceOptions): Promise<AdminService> {
    return new AdminService(options, await PasswordHasher.create())
  }

  // ---- accounts ----

  /** Every admin, oldest first (a handful of rows: no paging). */
  async list(): Promise<Admin[]> {
    const rows = await this.db.query<AdminRow>(
      `SELECT ${ADMIN_COLUMNS} FROM admin_accounts a ORDER BY a.created_at, a.id`,
    )
    return rows.map(toAdmin)
  }

  async get(id: string): Promise<Admin> {
    return toAdmin(await this.load(this.db, id))
  }

  /** Adds an admin; an email already used (in any case) → `auth/email-taken`. */
  async createAdmin(input: { email: string; password: string; role?: string }): Promise<Admin> {
    const email = checkAdminEmail(input.email)
    const role = checkAdminRole(input.role ?? 'owner')
    checkPasswordStrength(input.password)
    const hash = await this.passwords.hash(input.password)
    try {
      const [row] = await this.db.query<AdminRow>(
        `WITH a AS (INSERT INTO admin_accounts (id, email, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING *)
         SELECT a.*, false AS mfa FROM a`,
        [newId(), email, hash, role],
      )
      return toAdmin(row!)
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken()
      throw error
    }
  }

  /**
   * Changes an admin's email, password or role; `mfa: false` removes its TOTP factor (for an admin who
   * lost the authenticator). A new password or role ends its sessions: they were granted on the old ones.
   */
  async update(
    id: string,
    patch: { email?: string; password?: string; role?: string; mfa?: false },
  ): Promise<Admin> {
    const email = patch.email === undefined ? undefined : checkAdminEmail(patch.email)
    const role = patch.role === undefined ? undefined : checkAdminRole(patch.role)
    if (patch.password !== undefined) checkPasswordStrength(patch.password)
    const hash = patch.password === undefined ? undefined : await this.passwords.hash(patch.password)
    try {
      return await this.db.tx(async (tx) => {
        const before = await this.load(tx, id, true)
        await tx.query(
          `UPDATE admin_accounts SET email = COALESCE($2, email), password_hash = COALESCE($3, password_hash),
             role = COALESCE($4, role), updated_at = now() WHERE id = $1`,
          [id, email ?? null, hash ?? null, role ?? null],
        )
        if (patch.mfa === false) await tx.query('DELETE FROM admin_factors WHERE admin_id = $1', [id])
        if (hash !== undefined || (role !== undefined && role !== before.role)) {
          await tx.query(
            'UPDATE admin_sessions SET revoked_at = now() WHERE admin_id = $1 AND revoked_at IS NULL',
            [id],
          )
        }
        return toAdmin(await this.load(tx, id))
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken()
      throw error
    }
  }

  /** Removes an admin with its sessions and factors. */
  async delete(id: string): Promise<void> {
    const rows = await this.db.query('DELETE FROM admin_accounts WHERE id = $1 RETURNING id', [id])
    if (rows.length === 0) throw adminNotFound(id)
  }

  private async load(sql: Sql, id: string, forUpdate = false): Promise<AdminRow> {
    const [row] = await sql.query<AdminRow>(
      `SELECT ${ADMIN_COLUMNS} FROM admin_accounts a WHERE a.id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    )
    if (!row) throw adminNotFound(id)
    return row
  }

  // ---- sessions ----

  /**
   * Checks the password (the same work whether or not the email exists), then the TOTP code if the admin
   * enrolled one (`auth/mfa-required` without it), and opens a session.
   */
  async signIn(input: {
    email: string
    password: string
    code?: string
    ip?: string
  }): Promise<AdminSession> {
    const email = input.email.trim().toLowerCase()
    const [found] = await this.db.query<AdminRow>(
      `SELECT ${ADMIN_COLUMNS} FROM admin_accounts a WHERE a.email = $1`,
      [email],
    )
    if (!(await this.passwords.verify(found?.password_hash, input.password)) || !found)
      throw invalidCredentials()
    const row = found
    return this.db.tx(async (tx) => {
      if (row.mfa) {
        if (input.code === undefined)
          throw new StratusError('auth/mfa-required', 'This admin signs in with a TOTP code too: send `code`')
        const [factor] = await tx.query<FactorRow>(
          `SELECT id, status, secret_encrypted, last_used_step FROM admin_factors
           WHERE admin_id = $1 AND status = 'verified' ORDER BY created_at LIMIT 1 FOR UPDATE`,
          [row.id],
        )
        if (!factor) throw invalidCredentials()
        await this.spendCode(tx, factor, input.code)
      }
      const token = `${ADMIN_TOKEN_PREFIX}${newSecret(32)}`
      const expiresAt = new Date(Date.now() + this.options.sessionTtlSeconds * 1000)
      await tx.query(
        'INSERT INTO admin_sessions (token_hash, admin_id, expires_at, ip) VALUES ($1, $2, $3, $4)',
        [hashToken(token), row.id, expiresAt, input.ip ?? null],
      )
      await tx.query('UPDATE admin_accounts SET last_sign_in_at = now() WHERE id = $1', [row.id])
      return {
        token,
        expiresAt: expiresAt.toISOString(),
        admin: { id: row.id, email: row.email, role: row.role as AdminRole },
      }
    })
  }

  /** The admin a live (unexpired, not signed out) session token belongs to, or undefined. */
  async authenticate(token: string): Promise<AdminPrincipal | undefined> {
    if (!isAdminToken(token) || token.length > 256) return undefined
    const [row] = await this.db.query<{ id: string; email: string; role: string }>(
      `SELECT a.id, a.email, a.role FROM admin_sessions s JOIN admin_accounts a ON a.id = s.admin_id
       WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`,
      [hashToken(token)],
    )
    return row ? { id: row.id, email: row.email, role: row.role as AdminRole } : undefined
  }

  /** Ends the session of `token` (a no-op for an unknown or already ended one). */
  async signOut(token: string): Promise<void> {
    await this.db.query(
      'UPDATE admin_sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL',
      [hashToken(token)],
    )
  }

  /** Deletes sessions that expired or were revoked more than a day ago (housekeeping). */
  async purgeSessions(): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM admin_sessions WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'
       RETURNING token_hash`,
    )
    return rows.length
  }

  // ---- TOTP ----

  /**
   * Starts a TOTP enrolment for `adminId` (replacing an unfinished one). An admin has one verified
   * factor at most: remove it first to enrol another authenticator.
   */
  async enrollFactor(adminId: string): Promise<AdminEnrolledFactor> {
    const id = newId()
    const secret = newTotpSecret()
    const stored = this.options.secrets.encrypt(secret, secretContext(id))
    const admin = await this.db.tx(async (tx) => {
      const row = await this.load(tx, adminId, true)
      if (row.mfa) throw new StratusError('request/invalid', 'TOTP is already on: remove the factor first')
      await tx.query(`DELETE FROM admin_factors WHERE admin_id = $1 AND status = 'unverified'`, [adminId])
      await tx.query(
        `INSERT INTO admin_factors (id, admin_id, status, secret_encrypted) VALUES ($1, $2, 'unverified', $3)`,
        [id, adminId, stored],
      )
      return row
    })
    const issuer = this.options.mfaIssuer ?? 'Stratus admin'
    return { id, type: 'totp', secret, uri: totpUri({ secret, issuer, label: admin.email }) }
  }

  /** Checks a code of the admin's factor and marks it verified: from then on, sign-in needs a code. */
  async verifyFactor(
    adminId: string,
    factorId: string,
    code: string,
  ): Promise<{ id: string; status: 'verified' }> {
    await this.db.tx(async (tx) => {
      const [factor] = await tx.query<FactorRow>(
        `SELECT id, status, secret_encrypted, last_used_step FROM admin_factors
         WHERE id = $1 AND admin_id = $2 FOR UPDATE`,
        [factorId, adminId],
      )
      if (!factor) throw factorNotFound(factorId)
      await this.spendCode(tx, factor, code)
      await tx.query(
        `UPDATE admin_factors SET status = 'verified', verified_at = COALESCE(verified_at, now()) WHERE id = $1`,
        [factorId],
      )
    })
    return { id: factorId, status: 'verified' }
  }

  /** Removes one of the admin's own factors (its session already passed the code, if one was needed). */
  async removeFactor(adminId: string, factorId: string): Promise<void> {
    const rows = await this.db.query(
      'DELETE FROM admin_factors WHERE id = $1 AND admin_id = $2 RETURNING id',
      [factorId, adminId],
    )
    if (rows.length === 0) throw factorNotFound(factorId)
  }

  /** Accepts `code` once: only for a 30-second step later than the last one accepted for the factor. */
  private async spendCode(tx: Sql, factor: FactorRow, code: string): Promise<void> {
    const secret = this.options.secrets.decrypt(factor.secret_encrypted, secretContext(factor.id))
    const step = matchTotp(secret, code.trim())
    if (step === undefined) throw wrongCode()
    if (factor.last_used_step !== null && step <= Number(factor.last_used_step)) throw wrongCode()
    await tx.query('UPDATE admin_factors SET last_used_step = $2 WHERE id = $1', [factor.id, step])
  }
}
