import { randomBytes } from 'node:crypto'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { totpCode } from '../../services/auth/mfa/totp.ts'
import { auditEntries, type SignedInAdmin, signInAdmin } from '../admin/helpers.ts'
import { uniqueName } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import { bearer, eventTypes, NO_RATE_LIMITS, PASSWORD, signUp } from './helpers.ts'

const encryptionKey = (lane: string): Record<string, string> =>
  lane === 'real' ? { AUTH_ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {}

/** Waits out the end of a 30-second TOTP step, so that a code stays valid while it is used. */
async function clearOfStepBoundary(): Promise<void> {
  const left = 30_000 - (Date.now() % 30_000)
  if (left < 3000) await new Promise((resolve) => setTimeout(resolve, left + 50))
}

// What the console needs of /admin/v1/users: search and filters, sessions, MFA reset.
describe.each(LANES)('users for the console (%s lane)', (lane) => {
  const t = usePlatform(lane, { ...NO_RATE_LIMITS, ...encryptionKey(lane) })
  const api = () => request(t.url)
  const service = () => bearer(t.serviceKey)
  let viewer: SignedInAdmin
  let developer: SignedInAdmin

  beforeAll(async () => {
    viewer = await signInAdmin(t, 'viewer')
    developer = await signInAdmin(t, 'developer')
  })

  const signIn = async (email: string) => {
    const res = await api().post('/auth/v1/token?grant_type=password').send({ email, password: PASSWORD })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body.session as { access_token: string; refresh_token: string }
  }

  /** Every user the list returns for `query`, following the cursor `limit` at a time. */
  async function listAll(query: Record<string, string>, limit = 2): Promise<string[]> {
    const ids: string[] = []
    let cursor: string | null = null
    for (let page = 0; page < 50; page++) {
      const res: request.Response = await api()
        .get('/admin/v1/users')
        .query({ ...query, limit, ...(cursor ? { cursor } : {}) })
        .set(bearer(viewer.token))
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      ids.push(...res.body.users.map((u: { id: string }) => u.id))
      cursor = res.body.nextCursor
      if (!cursor) return ids
    }
    throw new Error('the cursor never ended')
  }

  it('searches by any part of the email in any case, filters anonymous and disabled users, pages with a cursor', async () => {
    const tag = uniqueName('Find').toLowerCase()
    const a = await signUp(t, `${tag}.Ada@Example.test`)
    const b = await signUp(t, `grace.${tag}@example.test`)
    const c = await signUp(t, `${tag}.linus@example.test`)
    await signUp(t) // not matching
    const anon = await api().post('/auth/v1/anonymous').send({})
    expect(anon.status).toBe(201)
    expect(
      (await api().patch(`/admin/v1/users/${c.uid}`).set(service()).send({ disabled: true })).status,
    ).toBe(200)

    expect(await listAll({ email: tag.toUpperCase() })).toEqual([a.uid, b.uid, c.uid])
    expect(await listAll({ email: `${tag}.ada` })).toEqual([a.uid])
    expect(await listAll({ email: tag, disabled: 'true' })).toEqual([c.uid])
    expect(await listAll({ email: tag, disabled: 'false' }, 1)).toEqual([a.uid, b.uid])
    expect(await listAll({ email: tag, anonymous: 'true' })).toEqual([])
    const anonymous = await listAll({ anonymous: 'true' }, 100)
    expect(anonymous).toContain(anon.body.user.id)
    expect(anonymous).not.toContain(a.uid)
    expect(await listAll({ anonymous: 'false' }, 100)).not.toContain(anon.body.user.id)

    const detail = await api().get(`/admin/v1/users/${a.uid}`).set(bearer(viewer.token))
    expect(detail.body.user).toMatchObject({ id: a.uid, identities: [], factors: [], disabled: false })
  })

  it.each([
    ['anonymous=maybe', 'request/invalid'],
    ['disabled=2', 'request/invalid'],
    [`email=${'x'.repeat(321)}`, 'request/invalid'],
  ])('refuses %s with 400 %s', async (query, code) => {
    const res = await api().get(`/admin/v1/users?${query}`).set(bearer(viewer.token))
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe(code)
  })

  it('lists a user’s live sessions and signs it out everywhere', async () => {
    const u = await signUp(t)
    const second = await signIn(u.email)
    const refreshed = await api()
      .post('/auth/v1/token?grant_type=refresh_token')
      .send({ refresh_token: second.refresh_token })
    expect(refreshed.status).toBe(200)
    const third = await signIn(u.email)
    expect((await api().post('/auth/v1/logout').set(bearer(third.access_token))).status).toBe(204)

    const list = await api().get(`/admin/v1/users/${u.uid}/sessions`).set(bearer(viewer.token))
    expect(list.status, JSON.stringify(list.body)).toBe(200)
    expect(list.body.sessions).toHaveLength(2)
    const [newest, oldest] = list.body.sessions
    expect(newest).toMatchObject({ aal: 'aal1', refreshedAt: expect.any(String) })
    expect(oldest).toMatchObject({ aal: 'aal1', refreshedAt: null })
    expect(Date.parse(newest.expiresAt)).toBeGreaterThan(Date.now())

    const refused = await api().delete(`/admin/v1/users/${u.uid}/sessions`).set(bearer(viewer.token))
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('auth/forbidden')
    const revoked = await api().delete(`/admin/v1/users/${u.uid}/sessions`).set(bearer(developer.token))
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200)
    expect(revoked.body).toEqual({ revoked: 2 })
    expect((await api().get(`/admin/v1/users/${u.uid}/sessions`).set(service())).body.sessions).toEqual([])
    const refresh = await api()
      .post('/auth/v1/token?grant_type=refresh_token')
      .send({ refresh_token: refreshed.body.session.refresh_token })
    expect(refresh.status).toBe(401)
    expect((await api().get('/auth/v1/user').set(bearer(u.access))).status).toBe(401)
    // Signing in again still works: this is not disabling.
    await signIn(u.email)

    const entry = (await auditEntries(t)).find((e) => e.action === 'DELETE /admin/v1/users/:id/sessions')
    expect(entry).toMatchObject({
      actor: { type: 'admin', email: developer.email },
      target: { id: u.uid },
      before: {
        sessions: [expect.objectContaining({ id: newest.id }), expect.objectContaining({ id: oldest.id })],
      },
    })
  })

  it('resets a user’s MFA: factors and recovery codes go, an aal1 session may enrol again', async () => {
    await clearOfStepBoundary()
    const u = await signUp(t)
    const enrolled = await api().post('/auth/v1/factors').set(bearer(u.access)).send({ type: 'totp' })
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200)
    const verified = await api()
      .post(`/auth/v1/factors/${enrolled.body.id}/verify`)
      .set(bearer(u.access))
      .send({ code: totpCode(enrolled.body.secret) })
    expect(verified.status, JSON.stringify(verified.body)).toBe(200)
    const aal1 = await signIn(u.email)
    const blocked = await api().post('/auth/v1/factors').set(bearer(aal1.access_token)).send({ type: 'totp' })
    expect(blocked.status).toBe(403)

    const factors = await api().get(`/admin/v1/users/${u.uid}/factors`).set(bearer(viewer.token))
    expect(factors.status).toBe(200)
    expect(factors.body.factors).toEqual([
      { id: enrolled.body.id, type: 'totp', status: 'verified', createdAt: expect.any(String) },
    ])
    expect((await api().delete(`/admin/v1/users/${u.uid}/factors`).set(bearer(viewer.token))).status).toBe(
      403,
    )
    const reset = await api().delete(`/admin/v1/users/${u.uid}/factors`).set(bearer(developer.token))
    expect(reset.status, JSON.stringify(reset.body)).toBe(200)
    expect(reset.body).toEqual({ removed: 1 })
    expect((await api().get(`/admin/v1/users/${u.uid}`).set(service())).body.user.factors).toEqual([])
    // The recovery codes went with the factors.
    const recovery = await api()
      .post('/auth/v1/recovery-codes/verify')
      .set(bearer(aal1.access_token))
      .send({ code: verified.body.recoveryCodes[0] })
    expect(recovery.status).toBe(400)
    expect(recovery.body.error.code).toBe('auth/invalid-credentials')
    const again = await api().post('/auth/v1/factors').set(bearer(aal1.access_token)).send({ type: 'totp' })
    expect(again.status, JSON.stringify(again.body)).toBe(200)
    // enrol, verify, reset, enrol again: each an auth.user.updated.
    expect((await eventTypes(t, u.uid)).filter((type) => type === 'auth.user.updated')).toHaveLength(4)
    // Once more: the new factor goes (one event); then nothing is left: 0, and no event.
    const events = (await eventTypes(t, u.uid)).length
    expect((await api().delete(`/admin/v1/users/${u.uid}/factors`).set(service())).body).toEqual({
      removed: 1,
    })
    expect((await api().delete(`/admin/v1/users/${u.uid}/factors`).set(service())).body).toEqual({
      removed: 0,
    })
    expect((await eventTypes(t, u.uid)).length).toBe(events + 1)
  })

  it.each([
    ['GET', '/sessions'],
    ['DELETE', '/sessions'],
    ['GET', '/factors'],
    ['DELETE', '/factors'],
  ])('%s /admin/v1/users/{unknown}%s → 404 auth/user-not-found', async (method, suffix) => {
    const res = await api()
      [method === 'GET' ? 'get' : 'delete'](`/admin/v1/users/nobody${suffix}`)
      .set(service())
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('auth/user-not-found')
  })
})
