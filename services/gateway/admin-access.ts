import type { AdminRole } from '../admin/accounts.ts'

/**
 * How a route under /admin/v1 is guarded:
 * - `public`: no credentials (console sign-in; rate limited instead);
 * - `self`: any signed-in admin, whatever its role (its own session and TOTP factor);
 * - `owner`: owners only, for reads too (admin accounts; keys: GET shows the service key; API keys);
 * - `owner-writes`: anyone may read, only owners change (auth providers: their client secrets);
 * - `developer`: developers and owners only, whatever the method (invoking a function through
 *   `/admin/v1/app/functions/v1` runs its code, even on a GET);
 * - `query`: any admin; a POST that only reads (the rules simulator and syntax check), so it is
 *   allowed to viewers and leaves no audit entry (it still needs the CSRF header with the cookie);
 * - `by-method`: viewers read, developers and owners read and change.
 * The service key passes every check.
 */
export type AdminRouteAccess =
  | 'public'
  | 'self'
  | 'owner'
  | 'owner-writes'
  | 'developer'
  | 'query'
  | 'by-method'

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
  { path: /^\/admin\/v1\/api-keys(\/|$)/, access: 'owner' },
  { path: /^\/admin\/v1\/auth\/providers(\/|$)/, access: 'owner-writes' },
  { path: /^\/admin\/v1\/app\/functions\//, access: 'developer' },
  { path: /^\/admin\/v1\/rules\/(simulate|check)$/, method: 'POST', access: 'query' },
]

/** The guard of route `pattern` (undefined for an unknown route: judged by method). */
export function adminRouteAccess(method: string, pattern: string | undefined): AdminRouteAccess {
  if (pattern === undefined) return 'by-method'
  for (const row of TABLE) {
    if (row.path.test(pattern) && (row.method === undefined || row.method === method)) return row.access
  }
  return 'by-method'
}

/**
 * True when a call to `method pattern` changes something, so that it leaves an audit entry once it
 * succeeds. (The CSRF header goes by method alone: every POST made with the cookie carries it.)
 */
export function isChange(method: string, pattern: string | undefined): boolean {
  return !isReadMethod(method) && adminRouteAccess(method, pattern) !== 'query'
}

/** Whether an admin of `role` may call `method pattern`. */
export function adminMayCall(role: AdminRole, method: string, pattern: string | undefined): boolean {
  const access = adminRouteAccess(method, pattern)
  switch (access) {
    case 'public':
    case 'self':
    case 'query':
      return true
    case 'owner':
      return role === 'owner'
    case 'owner-writes':
      return isReadMethod(method) || role === 'owner'
    case 'developer':
      return role === 'owner' || role === 'developer'
    case 'by-method':
      return isReadMethod(method) || role === 'owner' || role === 'developer'
  }
}
