import { api } from './http.ts'

/** An OAuth/OIDC account linked to a user. */
export interface Identity {
  id: string
  provider: string
  email: string | null
  createdAt: string
  lastSignInAt: string | null
}

export interface Factor {
  id: string
  type: 'totp'
  status: 'unverified' | 'verified'
  createdAt: string
}

/** A user as the admin API shows it (never a password hash). */
export interface AppUser {
  id: string
  email: string | null
  anonymous: boolean
  data: Record<string, unknown>
  identities: Identity[]
  factors: Factor[]
  disabled: boolean
  emailVerified: boolean
  lastSignInAt: string | null
  createdAt: string
  updatedAt: string
}

/** A live session (refresh-token family) of a user. */
export interface UserSession {
  /** The access tokens' `sid` claim. */
  id: string
  createdAt: string
  refreshedAt: string | null
  aal: 'aal1' | 'aal2'
  expiresAt: string
}

export interface UserFilters {
  /** Part of the address, in any case. */
  email?: string
  anonymous?: boolean
  disabled?: boolean
}

const enc = encodeURIComponent
const opts = (signal?: AbortSignal) => (signal ? { signal } : {})

export function listUsers(
  query: UserFilters & { limit?: number; cursor?: string | null },
  signal?: AbortSignal,
): Promise<{ users: AppUser[]; nextCursor: string | null }> {
  return api('GET', '/admin/v1/users', { query: { limit: 50, ...query }, ...opts(signal) })
}

export async function getUser(id: string, signal?: AbortSignal): Promise<AppUser> {
  const { user } = await api<{ user: AppUser }>('GET', `/admin/v1/users/${enc(id)}`, opts(signal))
  return user
}

export async function createUser(input: {
  email: string
  password: string
  emailVerified?: boolean
  data?: Record<string, unknown>
}): Promise<AppUser> {
  const { user } = await api<{ user: AppUser }>('POST', '/admin/v1/users', { body: input })
  return user
}

/** `disabled: true` ends the user's sessions and blocks sign-in and refresh. */
export async function updateUser(
  id: string,
  patch: { disabled?: boolean; email?: string; password?: string; data?: Record<string, unknown> },
): Promise<AppUser> {
  const { user } = await api<{ user: AppUser }>('PATCH', `/admin/v1/users/${enc(id)}`, { body: patch })
  return user
}

export function deleteUser(id: string): Promise<void> {
  return api('DELETE', `/admin/v1/users/${enc(id)}`)
}

export async function userFactors(id: string, signal?: AbortSignal): Promise<Factor[]> {
  const { factors } = await api<{ factors: Factor[] }>(
    'GET',
    `/admin/v1/users/${enc(id)}/factors`,
    opts(signal),
  )
  return factors
}

/** Removes every MFA factor and recovery code (a lost authenticator); answers how many factors went. */
export async function resetUserFactors(id: string): Promise<number> {
  const { removed } = await api<{ removed: number }>('DELETE', `/admin/v1/users/${enc(id)}/factors`)
  return removed
}

export async function userSessions(id: string, signal?: AbortSignal): Promise<UserSession[]> {
  const { sessions } = await api<{ sessions: UserSession[] }>(
    'GET',
    `/admin/v1/users/${enc(id)}/sessions`,
    opts(signal),
  )
  return sessions
}

/**
 * Signs the user out everywhere (refresh tokens stop at once; access tokens live until they expire);
 * answers how many sessions ended.
 */
export async function revokeUserSessions(id: string): Promise<number> {
  const { revoked } = await api<{ revoked: number }>('DELETE', `/admin/v1/users/${enc(id)}/sessions`)
  return revoked
}

// ---- sign-in providers ----

export type ServerPreset = 'github' | 'google'

/** A sign-in provider as the admin API shows it: never its client secret. */
export interface Provider {
  name: string
  type: 'oidc' | 'oauth2'
  preset: ServerPreset | null
  issuer: string | null
  authorizationUrl: string | null
  tokenUrl: string | null
  userinfoUrl: string | null
  clientId: string
  scopes: string[]
  createdAt: string
  updatedAt: string
}

/** What `PUT /admin/v1/auth/providers/{name}` takes; the secret is required on every save. */
export interface ProviderInput {
  type?: 'oidc' | 'oauth2'
  preset?: ServerPreset
  issuer?: string
  authorizationUrl?: string
  tokenUrl?: string
  userinfoUrl?: string
  clientId: string
  clientSecret: string
  scopes?: string[]
}

export async function listProviders(signal?: AbortSignal): Promise<Provider[]> {
  const { providers } = await api<{ providers: Provider[] }>('GET', '/admin/v1/auth/providers', opts(signal))
  return providers
}

export function putProvider(name: string, input: ProviderInput): Promise<Provider> {
  return api('PUT', `/admin/v1/auth/providers/${enc(name)}`, { body: input })
}

export function deleteProvider(name: string): Promise<void> {
  return api('DELETE', `/admin/v1/auth/providers/${enc(name)}`)
}

// ---- settings ----

export interface AuthSettings {
  /** Allowed OAuth `redirect_to` values: exact URLs or globs; added to AUTH_REDIRECT_URLS. */
  redirectUrls: string[]
}

export function getAuthSettings(signal?: AbortSignal): Promise<AuthSettings> {
  return api('GET', '/admin/v1/auth/settings', opts(signal))
}

export function putAuthSettings(settings: AuthSettings): Promise<AuthSettings> {
  return api('PUT', '/admin/v1/auth/settings', { body: settings })
}
