import { api } from './http.ts'
import type { Admin, AdminRole } from './session.ts'

const enc = encodeURIComponent
const opts = (signal?: AbortSignal) => (signal ? { signal } : {})

// ---- admin accounts (owner only: others get 403 auth/forbidden) ----

export async function listAdmins(signal?: AbortSignal): Promise<Admin[]> {
  const { admins } = await api<{ admins: Admin[] }>('GET', '/admin/v1/admins', opts(signal))
  return admins
}

export async function createAdmin(input: {
  email: string
  password: string
  role: AdminRole
}): Promise<Admin> {
  const { admin } = await api<{ admin: Admin }>('POST', '/admin/v1/admins', { body: input })
  return admin
}

/** A new password or role ends the admin's sessions; `mfa: false` removes its TOTP factor. */
export async function updateAdmin(
  id: string,
  patch: { email?: string; password?: string; role?: AdminRole; mfa?: false },
): Promise<Admin> {
  const { admin } = await api<{ admin: Admin }>('PATCH', `/admin/v1/admins/${enc(id)}`, { body: patch })
  return admin
}

export function deleteAdmin(id: string): Promise<void> {
  return api('DELETE', `/admin/v1/admins/${enc(id)}`)
}

// ---- the signed-in admin's own TOTP ----

export interface TotpEnrollment {
  id: string
  type: 'totp'
  /** Base32, for typing into an authenticator; shown this once. */
  secret: string
  /** `otpauth://totp/…`, what a QR code would hold. */
  uri: string
}

export function enrollTotp(): Promise<TotpEnrollment> {
  return api('POST', '/admin/v1/session/factors', { body: { type: 'totp' } })
}

export function verifyTotp(id: string, code: string): Promise<{ id: string; status: 'verified' }> {
  return api('POST', `/admin/v1/session/factors/${enc(id)}/verify`, { body: { code } })
}

export function removeTotp(id: string): Promise<void> {
  return api('DELETE', `/admin/v1/session/factors/${enc(id)}`)
}

// ---- keys (owner only) ----

export function serviceKey(signal?: AbortSignal): Promise<{ service: string }> {
  return api('GET', '/admin/v1/keys', opts(signal))
}

/** Adds a signing key that signs from now on; tokens signed before keep verifying. */
export function rotateSigningKey(): Promise<{ kid: string; service: string }> {
  return api('POST', '/admin/v1/keys/rotate')
}

/** Issues a new service key and revokes every other one. */
export function rotateServiceKey(): Promise<{ id: string; service: string }> {
  return api('POST', '/admin/v1/keys/service/rotate')
}

// ---- API keys (owner only) ----

/** The scopes an API key may hold, and what each allows (as the server documents them). */
export const API_KEY_SCOPES = [
  { scope: 'admin', what: 'everything the service key can do, API keys included' },
  { scope: 'admin:read', what: 'read the admin API as a viewer does (never keys or admin accounts)' },
  { scope: 'functions:deploy', what: 'deploy, roll back and delete functions; app deployments' },
  { scope: 'functions:invoke', what: 'call functions over HTTP' },
  { scope: 'db:read', what: 'read documents, above the collection rules' },
  { scope: 'db:write', what: 'write documents, above the collection rules' },
  { scope: 'storage:read', what: 'download objects and sign URLs, above the bucket rules' },
  { scope: 'storage:write', what: 'upload and delete objects, above the bucket rules' },
  { scope: 'queue:publish', what: 'publish queue messages' },
] as const

export type ApiKeyScope = (typeof API_KEY_SCOPES)[number]['scope']

export interface ApiKey {
  id: string
  name: string
  scopes: ApiKeyScope[]
  expiresAt: string | null
  createdAt: string
  createdBy: AuditEntry['actor']
  lastUsedAt: string | null
  revokedAt: string | null
}

export async function listApiKeys(signal?: AbortSignal): Promise<ApiKey[]> {
  const { apiKeys } = await api<{ apiKeys: ApiKey[] }>('GET', '/admin/v1/api-keys', opts(signal))
  return apiKeys
}

/** Creates a key; `key` (the secret) is in this answer only. */
export function createApiKey(input: {
  name: string
  scopes: ApiKeyScope[]
  expiresInDays?: number
}): Promise<Omit<ApiKey, 'lastUsedAt' | 'revokedAt'> & { key: string }> {
  return api('POST', '/admin/v1/api-keys', { body: input })
}

export function revokeApiKey(id: string): Promise<void> {
  return api('DELETE', `/admin/v1/api-keys/${enc(id)}`)
}

// ---- audit log (any role) ----

export interface AuditEntry {
  id: string
  at: string
  actor: { type: 'admin' | 'service'; id?: string; email?: string }
  /** Method and route pattern: `PUT /admin/v1/functions/:name`, or `stratus admin create`. */
  action: string
  /** The route's parameters: `{name: "hello"}`. */
  target: Record<string, unknown>
  /** What a GET on the same URL answered just before the change (redacted). */
  before?: unknown
  /** The request body (redacted). */
  after?: unknown
  ip: string | null
}

export function listAudit(
  query: { limit?: number; cursor?: string | null },
  signal?: AbortSignal,
): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  return api('GET', '/admin/v1/audit', { query: { limit: 50, ...query }, ...opts(signal) })
}
