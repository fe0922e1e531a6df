import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { LANES, usePlatform } from '../support/platform.ts'
import {
  bearer,
  eventsFor,
  eventTypes,
  expectNoSecrets,
  NO_RATE_LIMITS,
  newEmail,
  PASSWORD,
  signUp,
} from './helpers.ts'

// The auth admin API (/admin/v1/users), behind the service key.
describe.each(LANES)('auth admin (%s lane)', (lane) => {
  const t = usePlatform(lane, NO_RATE_LIMITS)
  const admin = () => {
    const api = request(t.url)
    const key = bearer(t.serviceKey)
    return {
      get: (url: string) => api.get(`/admin/v1${url}`).set(key),
      post: (url: string, body: object) => api.post(`/admin/v1${url}`).set(key).send(body),
      patch: (url: string, body: object) => api.patch(`/admin/v1${url}`).set(key).send(body),
      delete: (url: string) => api.delete(`/admin/v1${url}`).set(key),
    }
  }
  const signIn = (email: string, password = PASSWORD) =>
    request(t.url).post('/auth/v1/token?grant_type=password').send({ email, password })

  it('creates a user (201, auth.user.created) that can then sign in', async () => {
    const email = newEmail()
    const res = await admin().post('/users', {
      email,
      password: PASSWORD,
      data: { plan: 'pro' },
      emailVerified: true,
    })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      user: {
        id: expect.any(String),
        email: email.toLowerCase(),
        anonymous: false,
        data: { plan: 'pro' },
        identities: [],
        factors: [],
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        disabled: false,
        emailVerified: true,
        lastSignInAt: null,
      },
    })
    expect(await eventTypes(t, res.body.user.id)).toEqual(['auth.user.created'])
    expect((await signIn(email)).status).toBe(200)
    const after = await admin().get(`/users/${res.body.user.id}`)
    expect(after.body.user.lastSignInAt).toEqual(expect.any(String))
  })

  it.each([
    ['a taken email', 'taken', 409, 'auth/email-taken'],
    ['a weak password', 'weak', 422, 'auth/weak-password'],
    ['a missing password', 'missing', 400, 'request/invalid'],
  ])('refuses to create a user with %s → %i %s', async (_name, kind, status, code) => {
    const existing = await signUp(t)
    const body =
      kind === 'taken'
        ? { email: existing.email, password: PASSWORD }
        : kind === 'weak'
          ? { email: newEmail(), password: '1234' }
          : { email: newEmail() }
    const res = await admin().post('/users', body)
    expect(res.status).toBe(status)
    expect(res.body.error.code).toBe(code)
  })

  it('lists every user exactly once, in creation order, through the cursor', async () => {
    for (let i = 0; i < 5; i++) await signUp(t)
    const all = await admin().get('/users?limit=1000')
    expect(all.body.nextCursor).toBeNull()
    const ids: string[] = all.body.users.map((u: { id: string }) => u.id)
    expect(ids.length).toBeGreaterThanOrEqual(5)
    const paged: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await admin().get(`/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.status).toBe(200)
      expect(res.body.users.length).toBeLessThanOrEqual(2)
      paged.push(...res.body.users.map((u: { id: string }) => u.id))
      cursor = res.body.nextCursor
      pages++
    } while (cursor && pages < 100)
    expect(paged).toEqual(ids)
    const created = all.body.users.map((u: { createdAt: string }) => u.createdAt)
    expect([...created].sort()).toEqual(created)
    expectNoSecrets(all.body)
  })

  it.each([
    ['an invalid cursor', '/users?cursor=bm9wZQ', 400, 'request/invalid'],
    ['a limit of 0', '/users?limit=0', 400, 'request/invalid'],
    ['a limit over 1000', '/users?limit=1001', 400, 'request/invalid'],
    ['a non-numeric limit', '/users?limit=ten', 400, 'request/invalid'],
    ['an unknown user', '/users/nobody', 404, 'auth/user-not-found'],
  ])('GET answers %s (%s) → %i %s', async (_name, url, status, code) => {
    const res = await admin().get(url)
    expect(res.status).toBe(status)
    expect(res.body.error.code).toBe(code)
  })

  it('disables a user: sessions end, sign-in and refresh refused (403 auth/user-disabled); enabling restores', async () => {
    const u = await signUp(t)
    const res = await admin().patch(`/users/${u.uid}`, { disabled: true })
    expect(res.status).toBe(200)
    expect(res.body.user.disabled).toBe(true)

    const signInRes = await signIn(u.email)
    expect(signInRes.status).toBe(403)
    expect(signInRes.body.error.code).toBe('auth/user-disabled')
    // A wrong password still answers as for anyone: the account state is no oracle.
    expect((await signIn(u.email, 'wrong password')).body.error.code).toBe('auth/invalid-credentials')
    const refresh = await request(t.url)
      .post('/auth/v1/token?grant_type=refresh_token')
      .send({ refresh_token: u.refresh })
    expect(refresh.status).toBe(403)
    expect(refresh.body.error.code).toBe('auth/user-disabled')
    // Disabling ends the user's sessions, so the access token from before is refused like any
    // revoked one (401); the refresh above is what tells the client the account is disabled.
    const me = await request(t.url).get('/auth/v1/user').set(bearer(u.access))
    expect([me.status, me.body.error.code]).toEqual([401, 'auth/unauthenticated'])

    const enabled = await admin().patch(`/users/${u.uid}`, { disabled: false })
    expect(enabled.body.user.disabled).toBe(false)
    expect((await signIn(u.email)).status).toBe(200)
    // The sessions ended by disabling stay ended.
    const oldRefresh = await request(t.url)
      .post('/auth/v1/token?grant_type=refresh_token')
      .send({ refresh_token: u.refresh })
    expect(oldRefresh.status).toBe(401)
    expect(await eventTypes(t, u.uid)).toEqual([
      'auth.user.created',
      'auth.user.updated',
      'auth.user.updated',
    ])
  })

  it('changes a user’s email, password and data', async () => {
    const u = await signUp(t)
    const email = newEmail()
    const res = await admin().patch(`/users/${u.uid}`, { email, password: 'set by admin', data: { x: 1 } })
    expect(res.status).toBe(200)
    expect(res.body.user).toMatchObject({ email: email.toLowerCase(), data: { x: 1 } })
    expect((await signIn(email, 'set by admin')).status).toBe(200)
    expect((await admin().patch('/users/nobody', { disabled: true })).body.error.code).toBe(
      'auth/user-not-found',
    )
  })

  it('deletes a user: 204, sessions revoked, auth.user.deleted with the user', async () => {
    const u = await signUp(t)
    const res = await admin().delete(`/users/${u.uid}`)
    expect(res.status).toBe(204)
    const events = await eventsFor(t, `users/${u.uid}`)
    expect(events.map((e) => e.type)).toEqual(['auth.user.created', 'auth.user.deleted'])
    expect(events[1]!.data).toEqual({ user: (u.body as { user: unknown }).user })
    expectNoSecrets(events)

    const refresh = await request(t.url)
      .post('/auth/v1/token?grant_type=refresh_token')
      .send({ refresh_token: u.refresh })
    expect(refresh.status).toBe(401)
    expect((await request(t.url).get('/auth/v1/user').set(bearer(u.access))).status).toBe(401)
    expect((await signIn(u.email)).status).toBe(400)
    expect((await admin().get(`/users/${u.uid}`)).status).toBe(404)
    const again = await admin().delete(`/users/${u.uid}`)
    expect(again.status).toBe(404)
    expect(again.body.error.code).toBe('auth/user-not-found')
    // The email is free again.
    expect(
      (await request(t.url).post('/auth/v1/signup').send({ email: u.email, password: PASSWORD })).status,
    ).toBe(201)
  })

  it.each([
    ['GET', '/admin/v1/users'],
    ['POST', '/admin/v1/users'],
    ['GET', '/admin/v1/users/x'],
    ['PATCH', '/admin/v1/users/x'],
    ['DELETE', '/admin/v1/users/x'],
    ['GET', '/admin/v1/mail'],
  ])('%s %s needs the service key (401 without a token, 403 with a user token)', async (method, url) => {
    const u = await signUp(t)
    const call = (headers: Record<string, string>) =>
      request(t.url)[method.toLowerCase() as 'get'](url).set(headers)
    const none = await call({})
    expect(none.status).toBe(401)
    expect(none.body.error.code).toBe('auth/unauthenticated')
    const user = await call(bearer(u.access))
    expect(user.status).toBe(403)
    expect(user.body.error.code).toBe('auth/forbidden')
  })
})
