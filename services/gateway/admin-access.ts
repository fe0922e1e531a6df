import type { AdminRole } from '../admin/accounts.ts'

/**
 * How a route under /admin/v1 is guarded:
 * - `public`: no credentials (console sign-in; rate limited instead);
 * - `self`: any signed-in admin, whatever its role (its own session and TOTP factor);
 * - `owner`: owners only, for reads too (admin accounts; keys: GET shows the service key);
 * - `owner-writes`: anyone may read, only owners change (auth providers: their client secrets);
 * - `by-method`: viewers read, developers and owners read and change.
 * The service key passes every check.
 */
export type AdminRouteAccess = 'public' | 'self' | 'owner' | 'owner-writes' | 'by-method'

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** True for methods that change nothing (and need no CSRF token, and leave no audit entry). */
export function isReadMethod(method: string): boolean {
  return READ_METHODS.has(method)
}

// Route patterns (as fastify names them, prefix included) with a rule other than `by-method`.
const TABLE: readonly { path: RegExp; method?: string; access: AdminRouteAccess }[] = [
  { path: /^\/admin\/v1\/session$/, method: 'POST', access: 'public' },
  { path: /^\/admin\/v1\/session(\/|$)/, access: 'self' },
  { path: /^\/admin\/v1\/admins(\/|$)/, access: 'owner' },
  { path: /^\/admin\/v1\/keys(\/|$)/, access: 'owner' },
  { path: /^\/admin\/v1\/auth\/providers(\/|$)/, access: 'owner-writes' },
]

/** The guard of route `pattern` (undefined for an unknown route: judged by method). */
export function adminRouteAccess(method: string, pattern: string | undefined): AdminRouteAccess {
  if (pattern === undefined) return 'by-method'
  for (const row of TABLE) {
    if (row.path.test(pattern) && (row.method === undefined || row.method === method)) return row.access
  }
  return 'by-method'
}

/** Whether an admin of `role` may call `method pattern`. */
export function adminMayCall(role: AdminRole, method: string, pattern: string | undefined): boolean {
  const access = adminRouteAccess(method, pattern)
  switch (access) {
    case 'public':
    case 'self':
      return true
    case 'owner':
      return role === 'owner'
    case 'owner-writes':
      return isReadMethod(method) || role === 'owner'
    case 'by-method':
      return isReadMethod(method) || role === 'owner' || role === 'developer'
  }
}
