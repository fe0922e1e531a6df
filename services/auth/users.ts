import { createHash } from 'node:crypto'
import { EventTypes, type UserEventData } from '../core/event-catalog.ts'
import { makeEvent, type PendingEvent } from '../core/events.ts'

/** A provider account linked to a user (`user.identities`). */
export interface Identity {
  id: string
  /** The provider's name as configured (`github`, `google`, …). */
  provider: string
  /** The address the provider gave, verified or not (the user's own `email` is only ever a verified one). */
  email: string | null
  createdAt: string
  lastSignInAt: string | null
}

/** An MFA factor of a user (`user.factors`); never its secret. */
export interface Factor {
  id: string
  type: 'totp'
  status: 'unverified' | 'verified'
  createdAt: string
}

/** A user as the public API shows it (API.md). Never carries a password or token hash. */
export interface User {
  id: string
  email: string | null
  anonymous: boolean
  data: Record<string, unknown>
  /** Linked OAuth/OIDC accounts, oldest first. */
  identities: Identity[]
  /** MFA factors, oldest first. */
  factors: Factor[]
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
  /** Built as JSON by the query (see `USER_COLUMNS`). */
  identities?: Identity[] | null
  factors?: Factor[] | null
}

const BASE_COLUMNS = [
  'id',
  'email',
  'password_hash',
  'anonymous',
  'data',
  'email_verified_at',
  'disabled_at',
  'last_sign_in_at',
  'created_at',
  'updated_at',
]

const isoUtc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/**
 * A user's identities and factors as two JSON columns, read by index in the same statement as the user
 * (`userId` names the user's id column, qualified: inside a subquery a bare `id` would be the
 * subquery's own).
 */
function linkedColumns(userId: string): string {
  return `(SELECT COALESCE(jsonb_agg(jsonb_build_object(
      'id', i.id, 'provider', i.provider, 'email', i.email,
      'createdAt', ${isoUtc('i.created_at')}, 'lastSignInAt', ${isoUtc('i.last_sign_in_at')}
    ) ORDER BY i.created_at, i.id), '[]'::jsonb) FROM auth_identities i WHERE i.user_id = ${userId}) AS identities,
    (SELECT COALESCE(jsonb_agg(jsonb_build_object(
      'id', f.id, 'type', f.type, 'status', f.status, 'createdAt', ${isoUtc('f.created_at')}
    ) ORDER BY f.created_at, f.id), '[]'::jsonb) FROM auth_factors f WHERE f.user_id = ${userId}) AS factors`
}

/** The columns of a `UserRow`, for SELECT and RETURNING lists on `auth_users` (not aliased). */
export const USER_COLUMNS = `${BASE_COLUMNS.join(', ')}, ${linkedColumns('auth_users.id')}`

/** The same columns qualified with a table alias (for joins). */
export function userColumns(alias: string): string {
  return `${BASE_COLUMNS.map((column) => `${alias}.${column}`).join(', ')}, ${linkedColumns(`${alias}.id`)}`
}

/** The public view of a row: an explicit allow-list of fields, so no hash can slip through. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    anonymous: row.anonymous,
    data: row.data ?? {},
    identities: row.identities ?? [],
    factors: row.factors ?? [],
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

const USER_EVENT_TYPES = {
  created: EventTypes.userCreated,
  updated: EventTypes.userUpdated,
  deleted: EventTypes.userDeleted,
} as const

/** An `auth.user.*` event for `row` (data `{user}`, the public view). */
export function userEvent(
  kind: 'created' | 'updated' | 'deleted',
  row: UserRow,
): PendingEvent<UserEventData> {
  return makeEvent({ type: USER_EVENT_TYPES[kind], subject: `users/${row.id}`, data: { user: toUser(row) } })
}

/** Emails are compared and stored lower-cased and trimmed (a unique text column: PGlite has no citext). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** The stored form of an opaque token: sha256, hex. A leaked table holds nothing presentable. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
