import { StratusError } from '../core/errors.ts'

/** What an admin may do: `owner` everything, `developer` all but admin accounts, keys and provider secrets, `viewer` read. */
export const ADMIN_ROLES = ['owner', 'developer', 'viewer'] as const
export type AdminRole = (typeof ADMIN_ROLES)[number]

/** An admin account as the API shows it (never its password hash or TOTP secret). */
export interface Admin {
  id: string
  email: string
  role: AdminRole
  /** True when a verified TOTP factor guards sign-in. */
  mfa: boolean
  lastSignInAt: string | null
  createdAt: string
  updatedAt: string
}

/** The row the admin service reads, joined with whether a verified factor exists. */
export interface AdminRow extends Record<string, unknown> {
  id: string
  email: string
  password_hash: string
  role: string
  mfa: boolean
  last_sign_in_at: Date | null
  created_at: Date
  updated_at: Date
}

/** Columns of `AdminRow`, for `SELECT … FROM admin_accounts a`. */
export const ADMIN_COLUMNS = `a.id, a.email, a.password_hash, a.role, a.last_sign_in_at, a.created_at, a.updated_at,
  EXISTS (SELECT 1 FROM admin_factors f WHERE f.admin_id = a.id AND f.status = 'verified') AS mfa`

export function toAdmin(row: AdminRow): Admin {
  return {
    id: row.id,
    email: row.email,
    role: row.role as AdminRole,
    mfa: row.mfa,
    lastSignInAt: row.last_sign_in_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const MAX_EMAIL_LENGTH = 254

/**
 * The stored form of an admin email: trimmed and lower-cased, so the unique column is unique
 * case-insensitively (as for app users). Throws `request/invalid` for something that is not an address.
 */
export function checkAdminEmail(email: string): string {
  const normalized = email.trim().toLowerCase()
  if (normalized.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(normalized) || normalized.includes('\0')) {
    throw new StratusError('request/invalid', 'The email address is not valid', {
      details: { field: 'email' },
    })
  }
  return normalized
}

/** Throws `request/invalid` unless `role` is one of `ADMIN_ROLES`. */
export function checkAdminRole(role: string): AdminRole {
  if (!(ADMIN_ROLES as readonly string[]).includes(role)) {
    throw new StratusError('request/invalid', `The role must be one of ${ADMIN_ROLES.join(', ')}`, {
      details: { field: 'role' },
    })
  }
  return role as AdminRole
}
