import request from 'supertest'
import { expect } from 'vitest'
import { uniqueName } from '../support/lanes.ts'
import type { TestPlatform } from '../support/platform.ts'

export const ADMIN_PASSWORD = 'correct horse battery'

/** `Authorization: Bearer <token>`. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** A signed-in console admin: its bearer token, and the cookie pair a browser would hold. */
export interface SignedInAdmin {
  id: string
  email: string
  role: string
  token: string
  /** `stratus_admin=…; stratus_csrf=…`, for a `cookie` header. */
  cookie: string
  /** The CSRF value to echo in `x-csrf-token`. */
  csrf: string
}

/** The value of cookie `name` among a response's set-cookie headers. */
function cookieValue(res: request.Response, name: string): string {
  const line = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .find((header) => header.startsWith(`${name}=`))
  expect(line, `cookie ${name}`).toBeDefined()
  return line!.split(';')[0]!.slice(name.length + 1)
}

/** Creates an admin of `role` with the service key and signs it in. */
export async function signInAdmin(t: TestPlatform, role: string): Promise<SignedInAdmin> {
  const email = `${uniqueName(role)}@example.com`
  const created = await request(t.url)
    .post('/admin/v1/admins')
    .set(bearer(t.serviceKey))
    .send({ email, password: ADMIN_PASSWORD, role })
  expect(created.status, JSON.stringify(created.body)).toBe(201)
  const res = await request(t.url).post('/admin/v1/session').send({ email, password: ADMIN_PASSWORD })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  const session = cookieValue(res, 'stratus_admin')
  const csrf = cookieValue(res, 'stratus_csrf')
  return {
    id: created.body.admin.id,
    email: created.body.admin.email,
    role,
    token: res.body.token,
    cookie: `stratus_admin=${session}; stratus_csrf=${csrf}`,
    csrf,
  }
}

/** An audit entry as tests read it. */
export interface AuditEntryView {
  id: string
  action: string
  actor: { type: string; id?: string; email?: string }
  target: Record<string, unknown>
  // biome-ignore lint/suspicious/noExplicitAny: a redacted copy of an arbitrary resource
  before?: any
  // biome-ignore lint/suspicious/noExplicitAny: the request body, redacted
  after?: any
}

/** The newest audit entries (service key), newest first. */
export async function auditEntries(t: TestPlatform, limit = 50): Promise<AuditEntryView[]> {
  const res = await request(t.url).get(`/admin/v1/audit?limit=${limit}`).set(bearer(t.serviceKey))
  expect(res.status).toBe(200)
  return res.body.entries
}

/** Signs up an app user; returns its uid, email and access token. */
export async function signUpUser(
  t: TestPlatform,
  email = `${uniqueName('user')}@example.com`,
): Promise<{ uid: string; email: string; access: string; refresh: string }> {
  const res = await request(t.url).post('/auth/v1/signup').send({ email, password: ADMIN_PASSWORD })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return {
    uid: res.body.user.id,
    email: res.body.user.email,
    access: res.body.session.access_token,
    refresh: res.body.session.refresh_token,
  }
}
