import { describe, expect, it } from 'vitest'
import { adminMayCall, adminRouteAccess, isChange } from './admin-access.ts'

describe('admin route access', () => {
  it.each([
    ['POST', '/admin/v1/session', 'public'],
    ['DELETE', '/admin/v1/session', 'self'],
    ['POST', '/admin/v1/session/factors/:id/verify', 'self'],
    ['GET', '/admin/v1/admins', 'owner'],
    ['PATCH', '/admin/v1/admins/:id', 'owner'],
    ['POST', '/admin/v1/keys/rotate', 'owner'],
    ['POST', '/admin/v1/keys/service/rotate', 'owner'],
    ['GET', '/admin/v1/api-keys', 'owner'],
    ['DELETE', '/admin/v1/api-keys/:id', 'owner'],
    ['PUT', '/admin/v1/auth/providers/:name', 'owner-writes'],
    ['PUT', '/admin/v1/functions/:name', 'by-method'],
    ['GET', '/admin/v1/adminsx', 'by-method'],
    ['GET', '/admin/v1/app/functions/v1/:name', 'developer'],
    ['POST', '/admin/v1/app/db/v1/collections/:col/documents', 'by-method'],
    ['POST', '/admin/v1/rules/simulate', 'query'],
    ['POST', '/admin/v1/rules/check', 'query'],
    ['GET', '/admin/v1/rules/simulate', 'by-method'],
    ['GET', undefined, 'by-method'],
  ] as const)('%s %s is %s', (method, pattern, access) => {
    expect(adminRouteAccess(method, pattern)).toBe(access)
  })

  it.each([
    ['viewer', 'GET', '/admin/v1/functions', true],
    ['viewer', 'PUT', '/admin/v1/functions/:name', false],
    ['viewer', 'GET', '/admin/v1/audit', true],
    ['viewer', 'GET', '/admin/v1/admins', false],
    ['viewer', 'DELETE', '/admin/v1/session', true],
    ['viewer', 'POST', '/admin/v1/session/factors', true],
    ['viewer', 'GET', '/admin/v1/auth/providers', true],
    ['developer', 'PUT', '/admin/v1/functions/:name', true],
    ['developer', 'DELETE', '/admin/v1/collections/:col', true],
    ['developer', 'POST', '/admin/v1/admins', false],
    ['developer', 'GET', '/admin/v1/keys', false],
    ['developer', 'POST', '/admin/v1/keys/rotate', false],
    ['developer', 'POST', '/admin/v1/api-keys', false],
    ['viewer', 'GET', '/admin/v1/api-keys', false],
    ['developer', 'PUT', '/admin/v1/auth/providers/:name', false],
    ['developer', 'GET', '/admin/v1/auth/providers/:name', true],
    ['viewer', 'GET', '/admin/v1/app/db/v1/collections/:col/documents', true],
    ['viewer', 'POST', '/admin/v1/app/db/v1/collections/:col/documents', false],
    ['viewer', 'GET', '/admin/v1/app/functions/v1/:name', false],
    ['viewer', 'POST', '/admin/v1/rules/simulate', true],
    ['viewer', 'POST', '/admin/v1/rules/check', true],
    ['developer', 'GET', '/admin/v1/app/functions/v1/:name/*', true],
    ['owner', 'POST', '/admin/v1/app/functions/v1/:name', true],
    ['owner', 'POST', '/admin/v1/admins', true],
    ['owner', 'POST', '/admin/v1/keys/rotate', true],
    ['owner', 'PUT', '/admin/v1/auth/providers/:name', true],
  ] as const)('%s may %s %s: %s', (role, method, pattern, allowed) => {
    expect(adminMayCall(role, method, pattern)).toBe(allowed)
  })

  it.each([
    ['POST', '/admin/v1/rules/simulate', false],
    ['POST', '/admin/v1/rules/check', false],
    ['GET', '/admin/v1/users', false],
    ['POST', '/admin/v1/app/db/v1/collections/:col/documents', true],
    ['DELETE', '/admin/v1/users/:id/sessions', true],
  ] as const)('%s %s is a change (audited): %s', (method, pattern, change) => {
    expect(isChange(method, pattern)).toBe(change)
  })
})
