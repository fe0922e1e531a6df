import { createHash } from 'node:crypto'
import { makeEvent, type PendingEvent } from '../core/events.ts'

/** A user as the public API shows it (API.md). Never carries a password or token hash. */
export interface User {
  id: string
  email: string | null
  anonymous: boolean
  data: Record<string, unknown>
  createdAt: string
  updatedAt: string
}

/** A user as the admin API shows it: the public fields plus account state. */
export interface AdminUser extends User {
  disabled: boolean
  emailVerified: boolean
  lastSignInAt: string | null
}

/** A row of `auth_users`. */
export interface UserRow extends Record<string, unknown> {
  id: string
  email: string | null
  password_hash: string | null
  anonymous: boolean
  data: Record<string, unknown>
  email_verified_at: Date | null
  disabled_at: Date | null
  last_sign_in_at: Date | null
  created_at: Date
  updated_at: Date
}

/** The columns of a `UserRow`, for SELECT and RETURNING lists. */
export const USER_COLUMNS =
  'id, email, password_hash, anonymous, data, email_verified_at, disabled_at, last_sign_in_at, created_at, updated_at'

/** The same columns qualified with a table alias (for joins). */
export function userColumns(alias: string): string {
  return USER_COLUMNS.split(', ')
    .map((column) => `${alias}.${column}`)
    .join(', ')
}

/** The public view of a row: an explicit allow-list of fields, so no hash can slip through. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    anonymous: row.anonymous,
    data: row.data ?? {},
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** The admin view of a row. */
export function toAdminUser(row: UserRow): AdminUser {
  return {
    ...toUser(row),
    disabled: row.disabled_at !== null,
    emailVerified: row.email_verified_at !== null,
    lastSignInAt: row.last_sign_in_at?.toISOString() ?? null,
  }
}

/** An `auth.user.*` event for `row` (data `{user}`, the public view). */
export function userEvent(
  kind: 'created' | 'updated' | 'deleted',
  row: UserRow,
): PendingEvent<{ user: User }> {
  return makeEvent({ type: `auth.user.${kind}`, subject: `users/${row.id}`, data: { user: toUser(row) } })
}

/** Emails are compared and stored lower-cased and trimmed (a unique text column: PGlite has no citext). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** The stored form of an opaque token: sha256, hex. A leaked table holds nothing presentable. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
