import { StratusError } from '../../core/errors.ts'
import { newId } from '../../core/ids.ts'
import type { Database, Sql } from '../../db/database.ts'
import { addToOutbox } from '../../outbox/outbox.ts'
import type { SecretBox } from '../secret-box.ts'
import type { Aal, Session, Sessions } from '../sessions.ts'
import type { AuthContext } from '../signing-keys.ts'
import { type Factor, USER_COLUMNS, type UserRow, userEvent } from '../users.ts'
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.ts'
import { matchTotp, newTotpSecret, totpUri } from './totp.ts'

/** What MFA needs; built by `AuthService`, which lends it its signed-in check. */
export interface MfaServiceOptions {
  db: Database
  sessions: Sessions
  secrets: SecretBox
  /** The issuer shown in authenticator apps. */
  issuer: string
  /** The caller's row, if its session is live and the account enabled (else throws). */
  loadSignedIn: (sql: Sql, auth: AuthContext | null, forUpdate: boolean) => Promise<UserRow>
  /** Called with the id of each user whose factors changed (to drop cached copies). */
  onUserChanged: (uid: string) => void
}

/** A new, unverified TOTP factor: the secret is shown this once. */
export interface EnrolledFactor {
  id: string
  type: 'totp'
  secret: string
  /** `otpauth://totp/…`, for a QR code. */
  uri: string
}

/** An aal2 session, and the recovery codes when this verification turned MFA on. */
export interface AalUpgrade {
  session: Session
  recoveryCodes?: string[]
}

interface FactorRow extends Record<string, unknown> {
  id: string
  status: 'unverified' | 'verified'
  secret_encrypted: string
  last_used_step: number | null
}

/** A user may hold this many factors, verified or not (unverified ones pile up from abandoned enrolments). */
const MAX_FACTORS = 10

const secretContext = (factorId: string) => `auth-factor:${factorId}`
const factorNotFound = (id: string) => new StratusError('auth/factor-not-found', `No factor ${id}`)
const wrongCode = () =>
  new StratusError('auth/invalid-credentials', 'The code is wrong, expired or was already used')
const insufficientAal = (what: string) =>
  new StratusError('auth/insufficient-aal', `${what} needs a session verified with a second factor (aal2)`)

const aalOf = (auth: AuthContext | null): Aal => (auth?.claims.aal === 'aal2' ? 'aal2' : 'aal1')
const hasVerified = (row: UserRow) => (row.factors ?? []).some((f) => f.status === 'verified')

/**
 * TOTP multi-factor authentication. A factor is enrolled (secret shown once), then verified with a
 * first code; each verified code opens a new session at `aal2` and ends the aal1 session it came from.
 * A code is accepted for the current 30-second step ±1, and only for a step later than the last one
 * accepted for that factor, so each code works once. While a user has a verified factor, adding or
 * removing factors takes an aal2 session (a stolen password alone cannot switch MFA off). The first
 * verified factor brings ten single-use recovery codes, which stand in for a code when the
 * authenticator is lost. Attempts are rate limited per user at the routes.
 */
export class MfaService {
  private readonly options: MfaServiceOptions
  private readonly db: Database

  constructor(options: MfaServiceOptions) {
    this.options = options
    this.db = options.db
  }

  /** The caller's factors. */
  async listFactors(auth: AuthContext | null): Promise<Factor[]> {
    return (await this.options.loadSignedIn(this.db, auth, false)).factors ?? []
  }

  /** Adds an unverified TOTP factor; emits `auth.user.updated`. */
  async enroll(auth: AuthContext | null): Promise<EnrolledFactor> {
    const id = newId()
    const secret = newTotpSecret()
    const row = await this.db.tx(async (tx) => {
      const user = await this.options.loadSignedIn(tx, auth, true)
      if (hasVerified(user) && aalOf(auth) !== 'aal2') throw insufficientAal('Adding a factor')
      if ((user.factors ?? []).length >= MAX_FACTORS) {
        throw new StratusError('request/invalid', `A user may have at most ${MAX_FACTORS} factors`)
      }
      // After the caller is known: a caller who is not signed in gets 401, not the configuration's 503.
      const stored = this.options.secrets.encrypt(secret, secretContext(id))
      await tx.query(
        `INSERT INTO auth_factors (id, user_id, type, status, secret_encrypted) VALUES ($1, $2, 'totp', 'unverified', $3)`,
        [id, user.id, stored],
      )
      return this.touchUser(tx, user.id)
    })
    this.options.onUserChanged(row.id)
    const label = row.email ?? row.id
    return { id, type: 'totp', secret, uri: totpUri({ secret, issuer: this.options.issuer, label }) }
  }

  /**
   * Checks a code of factor `factorId`: verifies the factor if it was not yet (emitting
   * `auth.user.updated`, and returning recovery codes if it is the user's first), and opens an aal2
   * session in place of the caller's.
   */
  async verify(auth: AuthContext | null, factorId: string, code: string): Promise<AalUpgrade> {
    const result = await this.db.tx(async (tx) => {
      const user = await this.options.loadSignedIn(tx, auth, true)
      const [factor] = await tx.query<FactorRow>(
        `SELECT id, status, secret_encrypted, last_used_step FROM auth_factors
         WHERE id = $1 AND user_id = $2 FOR UPDATE`,
        [factorId, user.id],
      )
      if (!factor) throw factorNotFound(factorId)
      // Turning on another factor is a change to MFA itself: like enrolling it, it needs aal2.
      if (factor.status === 'unverified' && hasVerified(user) && aalOf(auth) !== 'aal2') {
        throw insufficientAal('Verifying a new factor')
      }
      const secret = this.options.secrets.decrypt(factor.secret_encrypted, secretContext(factor.id))
      const step = matchTotp(secret, code.trim())
      if (step === undefined) throw wrongCode()
      if (factor.last_used_step !== null && step <= Number(factor.last_used_step)) throw wrongCode()
      await tx.query(
        `UPDATE auth_factors SET last_used_step = $2, status = 'verified',
           verified_at = COALESCE(verified_at, now()), updated_at = now()
         WHERE id = $1`,
        [factor.id, step],
      )
      let row = user
      let recoveryCodes: string[] | undefined
      if (factor.status === 'unverified') {
        if (!hasVerified(user)) recoveryCodes = await this.replaceRecoveryCodes(tx, user.id)
        row = await this.touchUser(tx, user.id)
      }
      return { row, recoveryCodes, session: await this.upgrade(tx, row, auth) }
    })
    this.options.onUserChanged(result.row.id)
    return result.recoveryCodes
      ? { session: result.session, recoveryCodes: result.recoveryCodes }
      : { session: result.session }
  }

  /** Removes a factor (aal2 needed while the user has a verified factor); emits `auth.user.updated`. */
  async unenroll(auth: AuthContext | null, factorId: string): Promise<void> {
    const row = await this.db.tx(async (tx) => {
      const user = await this.options.loadSignedIn(tx, auth, true)
      const factor = (user.factors ?? []).find((f) => f.id === factorId)
      if (!factor) throw factorNotFound(factorId)
      if (hasVerified(user) && aalOf(auth) !== 'aal2') throw insufficientAal('Removing a factor')
      await tx.query('DELETE FROM auth_factors WHERE id = $1', [factorId])
      const stillVerified = (user.factors ?? []).some((f) => f.id !== factorId && f.status === 'verified')
      if (!stillVerified) await tx.query('DELETE FROM auth_recovery_codes WHERE user_id = $1', [user.id])
      return this.touchUser(tx, user.id)
    })
    this.options.onUserChanged(row.id)
  }

  /**
   * An admin's reset of a user's MFA: removes every factor and recovery code (emitting
   * `auth.user.updated` when there was something to remove). Returns how many factors went.
   */
  async resetForUser(userId: string): Promise<number> {
    const removed = await this.db.tx(async (tx) => {
      const factors = await tx.query('DELETE FROM auth_factors WHERE user_id = $1 RETURNING id', [userId])
      const codes = await tx.query('DELETE FROM auth_recovery_codes WHERE user_id = $1 RETURNING user_id', [
        userId,
      ])
      if (factors.length > 0 || codes.length > 0) await this.touchUser(tx, userId)
      return factors.length
    })
    this.options.onUserChanged(userId)
    return removed
  }

  /** A new set of recovery codes (the old set stops working). Needs aal2 and a verified factor. */
  async regenerateRecoveryCodes(auth: AuthContext | null): Promise<string[]> {
    return this.db.tx(async (tx) => {
      const user = await this.options.loadSignedIn(tx, auth, true)
      if (aalOf(auth) !== 'aal2') throw insufficientAal('New recovery codes')
      if (!hasVerified(user))
        throw new StratusError('request/invalid', 'Recovery codes need a verified factor')
      return this.replaceRecoveryCodes(tx, user.id)
    })
  }

  /** Spends one recovery code in place of a TOTP code: an aal2 session in place of the caller's. */
  async verifyRecoveryCode(auth: AuthContext | null, code: string): Promise<AalUpgrade> {
    const session = await this.db.tx(async (tx) => {
      const user = await this.options.loadSignedIn(tx, auth, true)
      const spent = await tx.query(
        `UPDATE auth_recovery_codes SET used_at = now()
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING code_hash`,
        [user.id, hashRecoveryCode(code)],
      )
      if (spent.length === 0) throw wrongCode()
      return this.upgrade(tx, user, auth)
    })
    return { session }
  }

  /** Ends the caller's session and opens an aal2 one for `row`. */
  private async upgrade(tx: Sql, row: UserRow, auth: AuthContext | null): Promise<Session> {
    const sid = auth?.claims.sid
    if (typeof sid === 'string') await this.options.sessions.revoke(tx, { sessionId: sid }, 'mfa')
    return this.options.sessions.issue(tx, row, { aal: 'aal2' })
  }

  private async replaceRecoveryCodes(tx: Sql, userId: string): Promise<string[]> {
    const codes = newRecoveryCodes()
    await tx.query('DELETE FROM auth_recovery_codes WHERE user_id = $1', [userId])
    await tx.query('INSERT INTO auth_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])', [
      userId,
      codes.map(hashRecoveryCode),
    ])
    return codes
  }

  /** Bumps `updated_at` and emits `auth.user.updated` with the user as it now is. */
  private async touchUser(tx: Sql, userId: string): Promise<UserRow> {
    const [row] = await tx.query<UserRow>(
      `UPDATE auth_users SET updated_at = now() WHERE id = $1 RETURNING ${USER_COLUMNS}`,
      [userId],
    )
    await addToOutbox(tx, userEvent('updated', row!))
    return row!
  }
}
