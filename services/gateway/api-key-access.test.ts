import { describe, expect, it } from 'vitest'
import type { ApiKeyScope } from '../admin/api-keys.ts'
import { isStratusError } from '../core/errors.ts'
import { admitApiKey, scopesFor } from './api-key-access.ts'

describe('API key scopes', () => {
  it.each([
    ['GET', '/db/v1/collections/:col/documents', ['db:read', 'admin']],
    ['HEAD', '/db/v1/collections/:col/documents/:id', ['db:read', 'admin']],
    ['PATCH', '/db/v1/collections/:col/documents/:id', ['db:write', 'admin']],
    ['POST', '/db/v1/batch', ['db:write', 'admin']],
    ['GET', '/realtime/v1', ['db:read', 'admin']],
    ['GET', '/storage/v1/object/:bucket/*', ['storage:read', 'admin']],
    ['GET', '/storage/v1/list/:bucket', ['storage:read', 'admin']],
    ['POST', '/storage/v1/sign/:bucket/*', ['storage:read', 'admin']],
    ['PUT', '/storage/v1/object/:bucket/*', ['storage:write', 'admin']],
    ['DELETE', '/storage/v1/object/:bucket/*', ['storage:write', 'admin']],
    ['POST', '/queue/v1/:queue/messages', ['queue:publish', 'admin']],
    ['POST', '/functions/v1/:name', ['functions:invoke', 'admin']],
    ['PUT', '/admin/v1/functions/:name', ['functions:deploy', 'admin']],
    ['DELETE', '/admin/v1/functions/:name', ['functions:deploy', 'admin']],
    ['POST', '/admin/v1/functions/:name/rollback', ['functions:deploy', 'admin']],
    ['POST', '/admin/v1/deployments', ['functions:deploy', 'admin']],
    ['GET', '/admin/v1/deployments', ['functions:deploy', 'admin:read', 'admin']],
    ['GET', '/admin/v1/functions', ['functions:deploy', 'admin:read', 'admin']],
    ['GET', '/admin/v1/audit', ['admin:read', 'admin']],
    ['POST', '/admin/v1/rules/simulate', ['admin:read', 'admin']],
    ['PUT', '/admin/v1/collections/:col', ['admin']],
    ['GET', '/admin/v1/app/db/v1/collections/:col/documents', ['admin:read', 'admin']],
    ['POST', '/admin/v1/app/db/v1/collections/:col/documents', ['admin']],
    ['GET', '/admin/v1/app/functions/v1/:name', ['admin']],
    // Owner-only reads show secrets (the service key) or mint credentials: never admin:read.
    ['GET', '/admin/v1/keys', ['admin']],
    ['POST', '/admin/v1/keys/service/rotate', ['admin']],
    ['GET', '/admin/v1/api-keys', ['admin']],
    ['POST', '/admin/v1/api-keys', ['admin']],
    ['GET', '/admin/v1/admins', ['admin']],
    // Sign-in is public but is no read: a key gains nothing there.
    ['POST', '/admin/v1/session', ['admin']],
    ['GET', '/admin/v1/functionsx', ['admin:read', 'admin']],
    ['GET', '/auth/v1/user', ['admin']],
    ['GET', '/db/v1x', ['admin']],
    ['GET', '/somewhere/new', ['admin']],
    ['GET', '/health', []],
    ['GET', '/ready', []],
    ['GET', '/metrics', []],
    ['GET', '/openapi.json', []],
    ['GET', '/docs/json', []],
    ['GET', '/console/settings', []],
    ['GET', '/', []],
  ] as const)('%s %s takes %j', (method, path, scopes) => {
    expect(scopesFor(method, path)).toEqual(scopes)
  })

  const key = (scopes: ApiKeyScope[]) => ({ id: 'k1', name: 'ci', scopes })

  it('admits a key within its scopes as a service principal named by the key', () => {
    const auth = admitApiKey(key(['db:read']), 'GET', '/db/v1/collections/:col/documents')
    expect(auth).toEqual({
      uid: 'apikey:k1',
      role: 'service',
      email: null,
      claims: { sub: 'apikey:k1', role: 'service', api_key: 'k1', scopes: ['db:read'] },
    })
    expect(Object.isFrozen(auth) && Object.isFrozen(auth.claims)).toBe(true)
    expect(admitApiKey(key(['admin']), 'DELETE', '/admin/v1/api-keys/:id').uid).toBe('apikey:k1')
    expect(admitApiKey(key(['queue:publish']), 'GET', '/health').role).toBe('service')
  })

  it('refuses a key out of its scopes with 403, naming the scope it lacks', () => {
    let caught: unknown
    try {
      admitApiKey(key(['db:read', 'storage:read']), 'PUT', '/db/v1/collections/:col/documents/:id')
    } catch (error) {
      caught = error
    }
    expect(isStratusError(caught, 'auth/forbidden')).toBe(true)
    const error = caught as Error & { details: unknown }
    expect(error.message).toBe(
      'This API key lacks the scope "db:write" (or "admin") that PUT /db/v1/collections/:col/documents/:id needs; it has "db:read", "storage:read"',
    )
    expect(error.details).toEqual({ required: ['db:write', 'admin'], scopes: ['db:read', 'storage:read'] })
    expect(() => admitApiKey(key(['admin:read']), 'POST', '/admin/v1/api-keys')).toThrow(
      /lacks the scope "admin" that POST/,
    )
    expect(() => admitApiKey(key(['functions:deploy']), 'GET', '/admin/v1/keys')).toThrow(/"admin"/)
  })
})
