import { StratusError } from '../core/errors.ts'
import { newSecret } from '../core/ids.ts'
import type { Logger } from '../core/logger.ts'
import type { Database, Sql } from '../db/database.ts'
import type { MailTransport } from './mail/mail-transport.ts'
import { hashToken } from './users.ts'

/** What a one-time token proves: control of the mailbox, to reset a password or to verify the address. */
export type OneTimeTokenType = 'recovery' | 'email'

/** How long a mailed token stays valid (the issue asks for 1 h). */
export const ONE_TIME_TOKEN_TTL_SECONDS = 3600

/** Options of the account mailer. */
export interface AccountMailOptions {
  db: Database
  mail: MailTransport
  logger: Logger
  /** Where links in mail point (`<siteUrl>#type=recovery&token=…`); unset = the token alone. */
  siteUrl?: string
}

interface ClaimRow extends Record<string, unknown> {
  user_id: string
  email: string
  expired: boolean
}

const SUBJECTS: Record<OneTimeTokenType, string> = {
  recovery: 'Reset your password',
  email: 'Confirm your email address',
}

/**
 * One-time tokens and the mail that carries them. A token is 256 random bits, stored as its sha256,
 * bound to the address it was sent to, single use and valid for an hour. Mail is sent in the
 * background, after the HTTP answer: whether an account exists shows neither in the answer nor in
 * its timing. `idle()` waits for what is in flight (tests, shutdown).
 */
export class AccountMail {
  private readonly options: AccountMailOptions
  private readonly pending = new Set<Promise<void>>()

  constructor(options: AccountMailOptions) {
    this.options = options
  }

  /** Runs `task` after the caller returns; failures are logged, never thrown. */
  background(what: string, task: () => Promise<void>): void {
    const run = Promise.resolve()
      .then(task)
      .catch((error) => this.options.logger.error({ err: error }, `auth mail: ${what} failed`))
      .finally(() => this.pending.delete(run))
    this.pending.add(run)
  }

  /** Resolves when no background mail task is in flight. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  /** Mails a recovery token to the active account with this (normalised) email, if there is one. */
  async sendRecovery(email: string): Promise<void> {
    const [user] = await this.options.db.query<{ id: string; email: string }>(
      'SELECT id, email FROM auth_users WHERE email = $1 AND disabled_at IS NULL',
      [email],
    )
    if (user) await this.send('recovery', user.id, user.email)
  }

  /** Mails an email-verification token to the active, unverified account with this email, if any. */
  async sendVerification(email: string): Promise<void> {
    const [user] = await this.options.db.query<{ id: string; email: string }>(
      `SELECT id, email FROM auth_users
       WHERE email = $1 AND disabled_at IS NULL AND email_verified_at IS NULL`,
      [email],
    )
    if (user) await this.send('email', user.id, user.email)
  }

  /**
   * Spends a token of `type` inside the caller's transaction and returns whom it was for. Unknown or
   * used → `auth/invalid-credentials`; expired → `auth/token-expired` (and the caller rolls back).
   */
  async consume(tx: Sql, type: OneTimeTokenType, token: string): Promise<{ userId: string; email: string }> {
    const tokenHash = hashToken(token)
    const [claim] = await tx.query<ClaimRow>(
      `UPDATE auth_one_time_tokens SET used_at = now()
       WHERE token_hash = $1 AND type = $2 AND used_at IS NULL
       RETURNING user_id, email, expires_at <= now() AS expired`,
      [tokenHash, type],
    )
    if (!claim) {
      const [used] = await tx.query(
        'SELECT 1 FROM auth_one_time_tokens WHERE token_hash = $1 AND type = $2',
        [tokenHash, type],
      )
      throw new StratusError(
        'auth/invalid-credentials',
        used ? 'This token was already used' : 'The token is invalid',
      )
    }
    if (claim.expired)
      throw new StratusError('auth/token-expired', 'The token has expired; ask for a new one')
    return { userId: claim.user_id, email: claim.email }
  }

  /** Marks every unused token of `type` of a user as used (after a successful recovery). */
  async spendAll(tx: Sql, userId: string, type: OneTimeTokenType): Promise<void> {
    await tx.query(
      'UPDATE auth_one_time_tokens SET used_at = now() WHERE user_id = $1 AND type = $2 AND used_at IS NULL',
      [userId, type],
    )
  }

  private async send(type: OneTimeTokenType, userId: string, email: string): Promise<void> {
    const token = newSecret(32)
    await this.options.db.query(
      `INSERT INTO auth_one_time_tokens (token_hash, user_id, type, email, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [hashToken(token), userId, type, email, ONE_TIME_TOKEN_TTL_SECONDS],
    )
    await this.options.mail.send({ to: email, subject: SUBJECTS[type], text: this.body(type, email, token) })
  }

  private body(type: OneTimeTokenType, email: string, token: string): string {
    const purpose =
      type === 'recovery'
        ? `Someone (hopefully you) asked to reset the password of the account ${email}.`
        : `Please confirm that ${email} is your email address.`
    const lines = [purpose, '', 'Your one-time token, valid for 1 hour:', '', `    ${token}`, '']
    if (this.options.siteUrl) {
      const link = new URL(this.options.siteUrl)
      link.hash = new URLSearchParams({ type, token }).toString()
      lines.push('Or open this link:', '', `    ${link.toString()}`, '')
    }
    lines.push(
      type === 'recovery'
        ? 'If you did not ask for this, ignore this message: your password stays unchanged.'
        : 'If you did not sign up, ignore this message.',
    )
    return `${lines.join('\n')}\n`
  }
}
