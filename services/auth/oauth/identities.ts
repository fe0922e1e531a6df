import { newId } from '../../core/ids.ts'
import { type Database, isUniqueViolation, type Sql } from '../../db/database.ts'
import { addToOutbox } from '../../outbox/outbox.ts'
import type { Session, Sessions } from '../sessions.ts'
import { normalizeEmail, USER_COLUMNS, type UserRow, userEvent } from '../users.ts'
import { OAuthFailure, type ProviderProfile } from './clients.ts'

/** The outcome of an OAuth sign-in. */
export interface IdentitySignInResult {
  row: UserRow
  session: Session
  /** `created` a new user, `linked` a new identity to an existing user, or `returning`. */
  outcome: 'created' | 'linked' | 'returning'
}

/** Thrown inside the transaction when a concurrent sign-in or sign-up took the row we meant to insert. */
class Raced extends Error {}

const disabled = () => new OAuthFailure('access_denied', 'This account is disabled')

/**
 * Turns a provider profile into a signed-in user, in one transaction with its event:
 * - a known identity (provider + subject) signs its user in;
 * - else a **verified** provider email that belongs to an account links to it (`auth.user.updated`).
 *   If that account's own email was never verified, whoever set its password never proved they own
 *   the address and the provider just did: the password is removed and its sessions end (Firebase
 *   does the same), so an account pre-registered with someone else's address cannot be taken over;
 * - else a new user (`auth.user.created`), with the email only if the provider verified it. An
 *   unverified email that belongs to an existing account is refused: linking on it would hand the
 *   account to whoever typed that address at the provider; creating a second, email-less user would
 *   quietly split the person in two.
 */
export class IdentitySignIn {
  private readonly db: Database
  private readonly sessions: Sessions

  constructor(options: { db: Database; sessions: Sessions }) {
    this.db = options.db
    this.sessions = options.sessions
  }

  async signIn(provider: string, profile: ProviderProfile): Promise<IdentitySignInResult> {
    // A concurrent first sign-in of the same person (or a sign-up with the same email) can win the
    // unique index between our read and our insert: the second attempt then finds its row.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.tx((tx) => this.attempt(tx, provider, profile))
      } catch (error) {
        const raced = error instanceof Raced || isUniqueViolation(error)
        if (!raced || attempt >= 3) throw error
      }
    }
  }

  private async attempt(tx: Sql, provider: string, profile: ProviderProfile): Promise<IdentitySignInResult> {
    const email = profile.email === null ? null : normalizeEmail(profile.email)
    const [identity] = await tx.query<{ id: string; user_id: string }>(
      `UPDATE auth_identities SET email = $3, email_verified = $4, profile = $5::jsonb,
         last_sign_in_at = now(), updated_at = now()
       WHERE provider = $1 AND subject = $2 RETURNING id, user_id`,
      [provider, profile.subject, email, profile.emailVerified, JSON.stringify(profile.claims)],
    )
    if (identity) {
      const row = await this.lockUser(tx, 'id', identity.user_id)
      if (!row) throw new Raced()
      if (row.disabled_at) throw disabled()
      return { row, session: await this.sessions.issue(tx, row, { signIn: true }), outcome: 'returning' }
    }

    const existing = email === null ? undefined : await this.lockUser(tx, 'email', email)
    if (existing && !profile.emailVerified) {
      throw new OAuthFailure(
        'access_denied',
        `The provider has not verified ${email}, and an account with this address exists: sign in to it instead`,
      )
    }
    if (existing) {
      if (existing.disabled_at) throw disabled()
      const claimed = existing.email_verified_at === null
      await this.insertIdentity(tx, existing.id, provider, profile, email)
      const [row] = await tx.query<UserRow>(
        `UPDATE auth_users SET
           email_verified_at = COALESCE(email_verified_at, now()),
           password_hash = CASE WHEN $2::boolean THEN NULL ELSE password_hash END,
           updated_at = now()
         WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [existing.id, claimed],
      )
      if (claimed) await this.sessions.revoke(tx, { userId: existing.id }, 'email-claimed')
      await addToOutbox(tx, userEvent('updated', row!))
      return { row: row!, session: await this.sessions.issue(tx, row!, { signIn: true }), outcome: 'linked' }
    }

    const userEmail = profile.emailVerified ? email : null
    const [inserted] = await tx.query<{ id: string }>(
      `INSERT INTO auth_users (id, email, email_verified_at, data)
       VALUES ($1, $2, CASE WHEN $2::text IS NULL THEN NULL ELSE now() END, $3::jsonb)
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [newId(), userEmail, JSON.stringify(initialData(profile.claims))],
    )
    if (!inserted) throw new Raced()
    await this.insertIdentity(tx, inserted.id, provider, profile, email)
    // Read back after the identity exists, so that the event's user lists it.
    const row = await this.lockUser(tx, 'id', inserted.id)
    await addToOutbox(tx, userEvent('created', row!))
    return { row: row!, session: await this.sessions.issue(tx, row!, { signIn: true }), outcome: 'created' }
  }

  private async lockUser(tx: Sql, by: 'id' | 'email', value: string): Promise<UserRow | undefined> {
    const [row] = await tx.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM auth_users WHERE ${by} = $1 FOR UPDATE`,
      [value],
    )
    return row
  }

  private async insertIdentity(
    tx: Sql,
    userId: string,
    provider: string,
    profile: ProviderProfile,
    email: string | null,
  ): Promise<void> {
    const rows = await tx.query(
      `INSERT INTO auth_identities (id, user_id, provider, subject, email, email_verified, profile, last_sign_in_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, now())
       ON CONFLICT (provider, subject) DO NOTHING RETURNING id`,
      [
        newId(),
        userId,
        provider,
        profile.subject,
        email,
        profile.emailVerified,
        JSON.stringify(profile.claims),
      ],
    )
    if (rows.length === 0) throw new Raced()
  }
}

/** A new user's `data`: the display name and picture the provider gave, if any. */
function initialData(claims: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {}
  const name = claims.name ?? claims.login
  if (typeof name === 'string' && name) data.name = name
  const picture = claims.picture ?? claims.avatar_url
  if (typeof picture === 'string' && picture) data.avatarUrl = picture
  return data
}
