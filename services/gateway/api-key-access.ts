import type { ApiKeyPrincipal, ApiKeyScope } from '../admin/api-keys.ts'
import type { AuthContext } from '../auth/signing-keys.ts'
import { StratusError } from '../core/errors.ts'
import { adminMayCall, adminRouteAccess, isReadMethod } from './admin-access.ts'

/** An API key's principal has uid `apikey:<id>` (role `service`): the audit log names the key by it. */
export const API_KEY_UID_PREFIX = 'apikey:'

// Paths that never look at the caller: a key sent along (an SDK sends it everywhere) needs no scope.
const OPEN_PATHS = /^\/(health|ready|metrics|openapi\.json)?$|^\/(docs|console)(\/|$)/

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`)
}

/**
 * The scopes any one of which admits `method` on `path` (a route pattern such as
 * `/db/v1/collections/:col/documents`, or the request's path when no route matched), narrowest first;
 * `admin` admits everything. Empty: no scope needed. Anything not listed here needs `admin`, so a new
 * route family is closed to scoped keys until it is mapped.
 */
export function scopesFor(method: string, path: string): readonly ApiKeyScope[] {
  if (OPEN_PATHS.test(path)) return []
  const read = isReadMethod(method)
  if (under(path, '/admin/v1')) {
    const scopes: ApiKeyScope[] = []
    if (under(path, '/admin/v1/functions') || under(path, '/admin/v1/deployments')) {
      scopes.push('functions:deploy')
    }
    // admin:read reads what a viewer admin may read, and runs the read-only POSTs viewers may run.
    const access = adminRouteAccess(method, path)
    if ((read || access === 'query') && adminMayCall('viewer', method, path)) scopes.push('admin:read')
    scopes.push('admin')
    return scopes
  }
  if (under(path, '/db/v1')) return [read ? 'db:read' : 'db:write', 'admin']
  if (under(path, '/realtime/v1')) return ['db:read', 'admin']
  if (under(path, '/storage/v1')) {
    // A signed URL lends a GET of one object: as much as reading it.
    const reads = read || (method === 'POST' && under(path, '/storage/v1/sign'))
    return [reads ? 'storage:read' : 'storage:write', 'admin']
  }
  if (under(path, '/queue/v1')) return ['queue:publish', 'admin']
  if (under(path, '/functions/v1')) return ['functions:invoke', 'admin']
  return ['admin']
}

const quoted = (scopes: readonly string[]) => scopes.map((scope) => `"${scope}"`).join(', ')

/**
 * Admits an API key that verified to `method path` (see `scopesFor`), as a `service` principal with
 * uid `apikey:<id>`: where its scopes reach, it bypasses rules and passes the admin guard as the
 * service key does. Out of scope → 403 `auth/forbidden`, naming the scope it lacks.
 */
export function admitApiKey(key: ApiKeyPrincipal, method: string, path: string): AuthContext {
  const needed = scopesFor(method, path)
  if (needed.length > 0 && !needed.some((scope) => key.scopes.includes(scope))) {
    const [narrowest, ...others] = needed
    throw new StratusError(
      'auth/forbidden',
      `This API key lacks the scope "${narrowest}"${others.length ? ` (or ${quoted(others)})` : ''} that ${method} ${path} needs; it has ${quoted(key.scopes) || 'none'}`,
      { details: { required: needed, scopes: key.scopes } },
    )
  }
  const uid = `${API_KEY_UID_PREFIX}${key.id}`
  return Object.freeze({
    uid,
    role: 'service',
    email: null,
    claims: Object.freeze({ sub: uid, role: 'service', api_key: key.id, scopes: [...key.scopes] }),
  })
}
