import { randomBytes } from 'node:crypto'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { totpCode } from '../../services/auth/mfa/totp.ts'
import { uniqueName } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'

const PASSWORD = 'correct horse battery'
const CODE = 'export default async () => ({ ok: true })'
// Sign-ins allowed per IP per window in this suite: enough for every test, few enough to reach quickly.
const SIGNIN_LIMIT = 25

/** An audit entry as the test reads it (loosely: the assertions check the shape). */
interface AuditEntryView {
  id: string
  action: string
  actor: { type: string; id?: string; email?: string }
  target?: Record<string, unknown>
  // biome-ignore lint/suspicious/noExplicitAny: redacted copies of arbitrary resources, asserted below
  before?: any
  // biome-ignore lint/suspicious/noExplicitAny: the request body, redacted
  after?: any
}

const newEmail = () => `${uniqueName('admin')}@Example.com`
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** The value of cookie `name` among a response's set-cookie headers, and its attributes. */
function setCookie(res: request.Response, name: string): { value: string; attributes: string } | undefined {
  const headers = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
  const line = headers.find((h) => h.startsWith(`${name}=`))
  if (!line) return undefined
  const [pair, ...rest] = line.split(';')
  return { value: pair!.slice(name.length + 1), attributes: rest.join(';') }
}

// Admin accounts, console sessions, roles on /admin/v1 and the audit log, through HTTP.
describe.each(LANES)('admin accounts (%s lane)', (lane) => {
  const t = usePlatform(lane, {
    RATE_LIMIT_SIGNIN: String(SIGNIN_LIMIT),
    RATE_LIMIT_MFA: '0',
    // A shared database needs a configured key for TOTP secrets (embedded mode generates one).
    ...(lane === 'real' ? { AUTH_ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {}),
  })
  const api = () => request(t.url)
  const service = () => bearer(t.serviceKey)

  async function createAdmin(role: string, email = newEmail()): Promise<{ id: string; email: string }> {
    const res = await api().post('/admin/v1/admins').set(service()).send({ email, password: PASSWORD, role })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body.admin
  }

  async function signIn(
    role: string,
  ): Promise<{ token: string; id: string; email: string; res: request.Response }> {
    const admin = await createAdmin(role)
    const res = await api().post('/admin/v1/session').send({ email: admin.email, password: PASSWORD })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return { token: res.body.token, id: admin.id, email: admin.email, res }
  }

  it('signs in with the right password: a token, its expiry, the admin, and console cookies', async () => {
    const email = newEmail()
    const admin = await createAdmin('developer', email)
    expect(admin).toMatchObject({ email: email.toLowerCase(), role: 'developer', mfa: false })
    // Emails are case-insensitive: sign in with another casing.
    const res = await api().post('/admin/v1/session').send({ email: email.toUpperCase(), password: PASSWORD })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      token: expect.stringMatching(/^sa_[\w-]{40,}$/),
      expiresAt: expect.any(String),
      admin: { id: admin.id, email: email.toLowerCase(), role: 'developer' },
    })
    expect(Date.parse(res.body.expiresAt)).toBeGreaterThan(Date.now() + 3600_000)
    const session = setCookie(res, 'stratus_admin')
    expect(session?.value).toBe(res.body.token)
    expect(session?.attributes).toMatch(/HttpOnly/)
    expect(session?.attributes).toMatch(/SameSite=Strict/)
    expect(session?.attributes).toMatch(/Path=\//)
    const csrf = setCookie(res, 'stratus_csrf')
    expect(csrf?.value).toMatch(/^[\w-]{20,}$/)
    expect(csrf?.attributes).not.toMatch(/HttpOnly/)
    const me = await api().get('/admin/v1/session').set(bearer(res.body.token))
    expect(me.status).toBe(200)
    expect(me.body.admin).toMatchObject({ id: admin.id, role: 'developer', lastSignInAt: expect.any(String) })
  })

  it('refuses a wrong password or an unknown email with 401 auth/invalid-credentials', async () => {
    const admin = await createAdmin('viewer')
    for (const body of [
      { email: admin.email, password: 'not the password' },
      { email: newEmail(), password: PASSWORD },
    ]) {
      const res = await api().post('/admin/v1/session').send(body)
      expect(res.status).toBe(401)
      expect(res.body.error.code).toBe('auth/invalid-credentials')
      expect(res.headers['set-cookie']).toBeUndefined()
    }
  })

  it('asks an admin with TOTP for a code (401 auth/mfa-required), and signs in with a valid one', async () => {
    const { token, email } = await signIn('owner')
    const enrolled = await api().post('/admin/v1/session/factors').set(bearer(token)).send({ type: 'totp' })
    expect(enrolled.status).toBe(201)
    expect(enrolled.body.uri).toMatch(/^otpauth:\/\/totp\//)
    const secret = enrolled.body.secret as string
    const wrong = await api()
      .post(`/admin/v1/session/factors/${enrolled.body.id}/verify`)
      .set(bearer(token))
      .send({ code: '000000' === totpCode(secret) ? '111111' : '000000' })
    expect(wrong.status).toBe(400)
    const verified = await api()
      .post(`/admin/v1/session/factors/${enrolled.body.id}/verify`)
      .set(bearer(token))
      .send({ code: totpCode(secret) })
    expect(verified.status).toBe(200)
    expect(verified.body).toEqual({ id: enrolled.body.id, status: 'verified' })

    const noCode = await api().post('/admin/v1/session').send({ email, password: PASSWORD })
    expect(noCode.status).toBe(401)
    expect(noCode.body.error.code).toBe('auth/mfa-required')
    const badCode = await api().post('/admin/v1/session').send({ email, password: PASSWORD, code: '12345x' })
    expect(badCode.status).toBe(401)
    expect(badCode.body.error.code).toBe('auth/invalid-credentials')
    // The enrolment spent the current step's code: the next step's is within the accepted drift.
    const ok = await api()
      .post('/admin/v1/session')
      .send({ email, password: PASSWORD, code: totpCode(secret, Date.now() + 30_000) })
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    // A code works once.
    const replay = await api()
      .post('/admin/v1/session')
      .send({ email, password: PASSWORD, code: totpCode(secret, Date.now() + 30_000) })
    expect(replay.status).toBe(401)
    const me = await api().get('/admin/v1/session').set(bearer(ok.body.token))
    expect(me.body.admin.mfa).toBe(true)
  })

  it('signs out: the token stops working at once', async () => {
    const { token } = await signIn('viewer')
    expect((await api().get('/admin/v1/functions').set(bearer(token))).status).toBe(200)
    const out = await api().delete('/admin/v1/session').set(bearer(token))
    expect(out.status).toBe(204)
    expect(setCookie(out, 'stratus_admin')?.attributes).toMatch(/Max-Age=0/)
    const after = await api().get('/admin/v1/functions').set(bearer(token))
    expect(after.status).toBe(401)
    expect(after.body.error.code).toBe('auth/unauthenticated')
  })

  it('checks the role on every route; the service key keeps full access; functions stay out', async () => {
    const viewer = await signIn('viewer')
    const developer = await signIn('developer')
    const owner = await signIn('owner')
    const name = uniqueName('fn').replace(/_/g, '-').toLowerCase()
    const deployBody = { code: CODE, triggers: [{ type: 'http' }] }

    expect((await api().get('/admin/v1/functions').set(bearer(viewer.token))).status).toBe(200)
    expect((await api().get('/admin/v1/audit').set(bearer(viewer.token))).status).toBe(200)
    const viewerPut = await api()
      .put(`/admin/v1/functions/${name}`)
      .set(bearer(viewer.token))
      .send(deployBody)
    expect(viewerPut.status).toBe(403)
    expect(viewerPut.body.error.code).toBe('auth/forbidden')
    expect((await api().get('/admin/v1/admins').set(bearer(viewer.token))).status).toBe(403)

    expect(
      (await api().put(`/admin/v1/functions/${name}`).set(bearer(developer.token)).send(deployBody)).status,
    ).toBe(201)
    const devAdmin = await api()
      .post('/admin/v1/admins')
      .set(bearer(developer.token))
      .send({ email: newEmail(), password: PASSWORD })
    expect(devAdmin.status).toBe(403)
    expect(devAdmin.body.error.code).toBe('auth/forbidden')
    expect((await api().post('/admin/v1/keys/rotate').set(bearer(developer.token))).status).toBe(403)
    expect((await api().get('/admin/v1/keys').set(bearer(developer.token))).status).toBe(403)
    const devProvider = await api()
      .put('/admin/v1/auth/providers/github')
      .set(bearer(developer.token))
      .send({ type: 'oauth2', clientId: 'x', clientSecret: 'y' })
    expect(devProvider.status).toBe(403)

    const ownerAdmin = await api()
      .post('/admin/v1/admins')
      .set(bearer(owner.token))
      .send({ email: newEmail(), password: PASSWORD, role: 'viewer' })
    expect(ownerAdmin.status).toBe(201)
    const keys = await api().get('/admin/v1/keys').set(bearer(owner.token))
    expect(keys.body).toEqual({ service: t.serviceKey })
    const rotated = await api().post('/admin/v1/keys/rotate').set(bearer(owner.token))
    expect(rotated.status).toBe(200)
    expect(rotated.body).toEqual({ kid: expect.any(String), service: expect.stringMatching(/^ey/) })
    expect(rotated.body.service).not.toBe(t.serviceKey)
    // The old service key keeps verifying after a rotation, and keeps full access.
    expect((await api().delete(`/admin/v1/admins/${ownerAdmin.body.admin.id}`).set(service())).status).toBe(
      204,
    )
    expect((await api().post('/admin/v1/keys/rotate').set(bearer(rotated.body.service))).status).toBe(200)

    const fnToken = await t.platform.keys.functionToken(name)
    const asFunction = await api().get('/admin/v1/functions').set(bearer(fnToken))
    expect(asFunction.status).toBe(403)
    expect(asFunction.body.error.code).toBe('auth/forbidden')
    // Admin tokens are for /admin/v1 only.
    const elsewhere = await api().get('/db/v1/collections/x/documents').set(bearer(owner.token))
    expect(elsewhere.status).toBe(401)
    expect((await api().get('/admin/v1/functions')).status).toBe(401)
    expect((await api().get('/admin/v1/no-such-route').set(bearer(viewer.token))).status).toBe(404)
    expect((await api().get('/admin/v1/no-such-route')).status).toBe(401)
  })

  it('accepts the session cookie, but a change made with it needs the CSRF header', async () => {
    const { res } = await signIn('developer')
    const cookie = `stratus_admin=${setCookie(res, 'stratus_admin')!.value}; stratus_csrf=${setCookie(res, 'stratus_csrf')!.value}`
    const csrf = setCookie(res, 'stratus_csrf')!.value
    const name = uniqueName('fn').replace(/_/g, '-').toLowerCase()
    const body = { code: CODE, triggers: [{ type: 'http' }] }
    expect((await api().get('/admin/v1/functions').set('cookie', cookie)).status).toBe(200)
    const without = await api().put(`/admin/v1/functions/${name}`).set('cookie', cookie).send(body)
    expect(without.status).toBe(403)
    expect(without.body.error.code).toBe('auth/forbidden')
    const wrong = await api()
      .put(`/admin/v1/functions/${name}`)
      .set('cookie', cookie)
      .set('x-csrf-token', 'nope')
      .send(body)
    expect(wrong.status).toBe(403)
    const withHeader = await api()
      .put(`/admin/v1/functions/${name}`)
      .set('cookie', cookie)
      .set('x-csrf-token', csrf)
      .send(body)
    expect(withHeader.status).toBe(201)
    // Sign-out by cookie clears the cookies and ends the session.
    expect(
      (await api().delete('/admin/v1/session').set('cookie', cookie).set('x-csrf-token', csrf)).status,
    ).toBe(204)
    expect((await api().get('/admin/v1/functions').set('cookie', cookie)).status).toBe(401)
  })

  it('audits a deploy, an update and a delete: actor, action, target, before and after, secrets redacted', async () => {
    const dev = await signIn('developer')
    const name = uniqueName('fn').replace(/_/g, '-').toLowerCase()
    const put = (env: Record<string, string>) =>
      api()
        .put(`/admin/v1/functions/${name}`)
        .set(bearer(dev.token))
        .send({ code: CODE, env, triggers: [{ type: 'http' }] })
    expect((await put({ API_KEY: 'first-secret' })).status).toBe(201)
    expect((await put({ API_KEY: 'second-secret', MODE: 'prod' })).status).toBe(201)
    expect((await api().delete(`/admin/v1/functions/${name}`).set(bearer(dev.token))).status).toBe(204)

    const log = await api().get('/admin/v1/audit?limit=100').set(service())
    expect(log.status).toBe(200)
    expect(JSON.stringify(log.body)).not.toMatch(/first-secret|second-secret|correct horse/)
    const mine = (log.body.entries as AuditEntryView[]).filter((e) => e.target?.name === name)
    expect(mine.map((e) => e.action)).toEqual([
      'DELETE /admin/v1/functions/:name',
      'PUT /admin/v1/functions/:name',
      'PUT /admin/v1/functions/:name',
    ])
    const [deleted, updated, deployed] = mine
    for (const entry of mine) {
      expect(entry).toMatchObject({
        id: expect.any(String),
        at: expect.any(String),
        actor: { type: 'admin', id: dev.id, email: dev.email.toLowerCase() },
        target: { name },
        ip: expect.any(String),
      })
    }
    expect(deployed!.before).toBeUndefined()
    expect(deployed!.after).toEqual({
      code: CODE,
      env: { API_KEY: '[redacted]' },
      triggers: [{ type: 'http' }],
    })
    expect(updated!.before).toMatchObject({ name, version: 1, code: CODE })
    expect(updated!.before.versions.map((v: { env: unknown }) => v.env)).toEqual([{ API_KEY: '[redacted]' }])
    expect(updated!.after.env).toEqual({ API_KEY: '[redacted]', MODE: '[redacted]' })
    expect(deleted!.before).toMatchObject({ name, version: 2 })
    expect(deleted!.before.versions.map((v: { env: unknown }) => v.env)).toEqual(
      expect.arrayContaining([{ API_KEY: '[redacted]' }, { API_KEY: '[redacted]', MODE: '[redacted]' }]),
    )
    expect(deleted!.after).toBeUndefined()

    // Sign-in is audited too, with the password redacted; the service key is an actor of its own.
    const signIns = (log.body.entries as AuditEntryView[]).filter(
      (e) => e.action === 'POST /admin/v1/session' && e.actor.id === dev.id,
    )
    expect(signIns).toHaveLength(1)
    expect(signIns[0]!.after).toEqual({ email: dev.email, password: '[redacted]' })
    const created = (log.body.entries as AuditEntryView[]).find(
      (e) => e.action === 'POST /admin/v1/admins' && e.after?.email?.toLowerCase() === dev.email,
    )
    expect(created).toMatchObject({
      actor: { type: 'service' },
      after: { password: '[redacted]', role: 'developer' },
    })
    // Reads leave no entry.
    expect((log.body.entries as AuditEntryView[]).some((e) => e.action.startsWith('GET '))).toBe(false)
  })

  it('pages the audit log newest first with a cursor, and refuses a bad limit or cursor', async () => {
    const first = await api().get('/admin/v1/audit?limit=2').set(service())
    expect(first.status).toBe(200)
    expect(first.body.entries).toHaveLength(2)
    expect(first.body.nextCursor).toEqual(expect.any(String))
    const second = await api().get(`/admin/v1/audit?limit=2&cursor=${first.body.nextCursor}`).set(service())
    expect(second.status).toBe(200)
    const ids = [...first.body.entries, ...second.body.entries].map((e: { id: string }) => e.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort().reverse()).toEqual(ids)
    const all = await api().get('/admin/v1/audit?limit=500').set(service())
    expect(all.body.nextCursor).toBeNull()
    expect(all.body.entries.slice(0, 4).map((e: { id: string }) => e.id)).toEqual(ids)
    for (const query of ['limit=0', 'limit=501', 'limit=ten', 'cursor=not-a-cursor', 'cursor=']) {
      const res = await api().get(`/admin/v1/audit?${query}`).set(service())
      expect(res.status, query).toBe(400)
      expect(res.body.error.code, query).toBe('request/invalid')
    }
  })

  it('answers bad input on every new route with a 4xx and a code, never a 500', async () => {
    const owner = await signIn('owner')
    const existing = await createAdmin('viewer')
    const as = bearer(owner.token)
    const cases: [request.Test, number, string][] = [
      [
        api().post('/admin/v1/session').set('content-type', 'application/json').send('{"email":'),
        400,
        'request/invalid',
      ],
      [api().post('/admin/v1/session').send({ email: existing.email }), 400, 'request/invalid'],
      [
        api().post('/admin/v1/session').send({ email: 'x@y.co', password: PASSWORD, extra: 1 }),
        400,
        'request/invalid',
      ],
      [
        api().post('/admin/v1/session').send({ email: 'a\u0000@b.co', password: PASSWORD }),
        400,
        'request/invalid',
      ],
      [
        api().post('/admin/v1/admins').set(as).send({ email: 'not-an-email', password: PASSWORD }),
        400,
        'request/invalid',
      ],
      [
        api().post('/admin/v1/admins').set(as).send({ email: 'nul\u0000@b.co', password: PASSWORD }),
        400,
        'request/invalid',
      ],
      [
        api().post('/admin/v1/admins').set(as).send({ email: newEmail(), password: 'short' }),
        422,
        'auth/weak-password',
      ],
      [
        api().post('/admin/v1/admins').set(as).send({ email: newEmail(), password: PASSWORD, role: 'boss' }),
        400,
        'request/invalid',
      ],
      [api().post('/admin/v1/admins').set(as).send({ password: PASSWORD }), 400, 'request/invalid'],
      [
        api()
          .post('/admin/v1/admins')
          .set(as)
          .send({ email: existing.email.toUpperCase(), password: PASSWORD }),
        409,
        'auth/email-taken',
      ],
      [
        api().post('/admin/v1/admins').set(as).set('content-type', 'application/json').send('nope'),
        400,
        'request/invalid',
      ],
      [
        api().patch('/admin/v1/admins/no-such-admin').set(as).send({ role: 'viewer' }),
        404,
        'auth/admin-not-found',
      ],
      [api().patch(`/admin/v1/admins/${existing.id}`).set(as).send({}), 400, 'request/invalid'],
      [api().patch(`/admin/v1/admins/${existing.id}`).set(as).send({ role: 'root' }), 400, 'request/invalid'],
      [
        api().patch(`/admin/v1/admins/${existing.id}`).set(as).send({ password: 'short' }),
        422,
        'auth/weak-password',
      ],
      [
        api().patch(`/admin/v1/admins/${existing.id}`).set(as).send({ email: 'x\u0000@y.co' }),
        400,
        'request/invalid',
      ],
      [api().delete('/admin/v1/admins/no-such-admin').set(as), 404, 'auth/admin-not-found'],
      [api().get('/admin/v1/admins/no-such-admin').set(as), 404, 'auth/admin-not-found'],
      [api().post('/admin/v1/session/factors/nope/verify').set(as).send({}), 400, 'request/invalid'],
      [
        api().post('/admin/v1/session/factors/nope/verify').set(as).send({ code: '123456' }),
        404,
        'auth/factor-not-found',
      ],
      [api().delete('/admin/v1/session/factors/nope').set(as), 404, 'auth/factor-not-found'],
      [api().post('/admin/v1/session/factors').set(service()).send({}), 400, 'request/invalid'],
      [api().delete('/admin/v1/session').set(service()), 400, 'request/invalid'],
    ]
    for (const [req, status, code] of cases) {
      const res = await req
      expect(res.status, `${req.url} ${JSON.stringify(res.body)}`).toBe(status)
      expect(res.body.error.code, req.url).toBe(code)
    }
    // A role change ends the admin's sessions (granted under the old role); PATCH shows the new state.
    const target = await signIn('developer')
    const patched = await api().patch(`/admin/v1/admins/${target.id}`).set(as).send({ role: 'viewer' })
    expect(patched.status).toBe(200)
    expect(patched.body.admin.role).toBe('viewer')
    expect((await api().get('/admin/v1/functions').set(bearer(target.token))).status).toBe(401)
  })

  // Last: it spends the suite's sign-in allowance.
  it('rate limits sign-in per client IP (429 rate-limited)', async () => {
    let status = 0
    for (let i = 0; i <= SIGNIN_LIMIT && status !== 429; i++) {
      const res = await api()
        .post('/admin/v1/session')
        .send({ email: newEmail(), password: 'whatever it is' })
      status = res.status
      if (status === 429) expect(res.body.error.code).toBe('rate-limited')
      else expect(status).toBe(401)
    }
    expect(status).toBe(429)
  })
})
