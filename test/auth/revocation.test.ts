import { SignJWT } from 'jose'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { SigningKeys } from '../../services/auth/signing-keys.ts'
import { RealtimeClient } from '../realtime/client.ts'
import { eventually, uniqueName } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import { bearer, NO_RATE_LIMITS, projectSigningKey, signUp } from './helpers.ts'

// The bound every node honours (AUTH_REVOCATION_CHECK_MS), small here so the cross-node case is quick.
const BOUND_MS = 1000

// After logout or deletion, the old access token stops working on every service within the bound.
describe.each(LANES)('sessions end everywhere (%s lane)', (lane) => {
  const t = usePlatform(lane, { ...NO_RATE_LIMITS, AUTH_REVOCATION_CHECK_MS: String(BOUND_MS) })
  const api = () => request(t.url)

  async function openCollection(): Promise<string> {
    const col = uniqueName('rv').replace(/[^A-Za-z0-9_-]/g, '_')
    const res = await api()
      .put(`/admin/v1/collections/${col}`)
      .set(bearer(t.serviceKey))
      .send({ rules: { read: 'auth != null', create: 'auth != null', update: 'auth != null' } })
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300)
    return col
  }

  // A create (201), or a replace of the existing document (200).
  const written = (status: number) => status === 200 || status === 201
  const write = (col: string, token: string, id = 'd1') =>
    api()
      .put(`/db/v1/collections/${col}/documents/${id}`)
      .set(bearer(token))
      .send({ data: { n: 1 } })

  it('logout: the old access token is refused by documents, storage, queue, functions and realtime', async () => {
    const col = await openCollection()
    const user = await signUp(t)
    const other = await signUp(t, user.email.replace('@', '+2@'))
    expect(written((await write(col, user.access)).status)).toBe(true)
    const socket = await RealtimeClient.connect(t.url, user.access)
    await socket.roundTrip()

    expect((await api().post('/auth/v1/logout').set(bearer(user.access))).status).toBe(204)

    // This node revoked it: refused at once (polling only guards a loaded machine).
    const refused = await eventually(async () => {
      const res = await write(col, user.access)
      return res.status === 401 ? res : undefined
    }, BOUND_MS + 2000)
    expect(refused?.body.error.code).toBe('auth/unauthenticated')
    for (const res of [
      await api().get(`/storage/v1/list/anything`).set(bearer(user.access)),
      await api().post('/queue/v1/jobs/messages').set(bearer(user.access)).send({ payload: 1 }),
      await api().post('/functions/v1/anything').set(bearer(user.access)).send({}),
      await api().get('/auth/v1/user').set(bearer(user.access)),
    ]) {
      expect(res.status, JSON.stringify(res.body)).toBe(401)
      expect(res.body.error.code).toBe('auth/unauthenticated')
    }
    // The open realtime connection is closed within the bound; a new one is refused.
    expect((await socket.closed).code).toBe(4001)
    const again = await RealtimeClient.connect(t.url, user.access)
    expect((await again.closed).code).toBe(4001)

    // Other users' sessions are untouched.
    expect(written((await write(col, other.access, 'd2')).status)).toBe(true)
  })

  it('another node refuses a logged-out token within the bound, polling its own list', async () => {
    const user = await signUp(t)
    const { keys: otherNode } = await SigningKeys.open(t.platform.db, { revocationCheckMs: BOUND_MS })
    expect((await otherNode.verify(user.access)).uid).toBe(user.uid)
    const loggedOutAt = Date.now()
    expect((await api().post('/auth/v1/logout').set(bearer(user.access))).status).toBe(204)
    await eventually(
      () =>
        otherNode.verify(user.access).then(
          () => false,
          (error: { code?: string }) => error.code === 'auth/unauthenticated',
        ),
      BOUND_MS + 5000,
      'the other node to refuse the token',
    )
    // Within the bound, plus the time one read of the list takes on a loaded machine.
    expect(Date.now() - loggedOutAt).toBeLessThan(BOUND_MS + 3000)
  })

  it('admin deletion: the deleted user token is refused on writes within the bound', async () => {
    const col = await openCollection()
    const user = await signUp(t)
    const { keys: otherNode } = await SigningKeys.open(t.platform.db, { revocationCheckMs: BOUND_MS })
    await otherNode.verify(user.access)
    expect(written((await write(col, user.access)).status)).toBe(true)
    const res = await api().delete(`/admin/v1/users/${user.uid}`).set(bearer(t.serviceKey))
    expect(res.status, JSON.stringify(res.body)).toBe(204)
    const refused = await eventually(async () => {
      const r = await write(col, user.access)
      return r.status === 401 ? r : undefined
    }, BOUND_MS + 2000)
    expect(refused?.body.error.code).toBe('auth/unauthenticated')
    await eventually(
      () =>
        otherNode.verify(user.access).then(
          () => false,
          () => true,
        ),
      BOUND_MS + 5000,
      'the other node to refuse the deleted user token',
    )
    const rows = await t.platform.db.query(
      'SELECT 1 FROM auth_revocations WHERE kind = $1 AND subject = $2',
      ['user', user.uid],
    )
    expect(rows).toHaveLength(1)
  })

  it('refuses validly signed tokens with a future iat or without exp; accepts a small skew', async () => {
    const col = await openCollection()
    const user = await signUp(t)
    const { kid, key } = await projectSigningKey(t)
    const now = Math.floor(Date.now() / 1000)
    const forge = (claims: { iat?: number; exp?: number }) => {
      let jwt = new SignJWT({ role: 'authenticated', sid: 'forged' })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setSubject(user.uid)
        .setIssuer('stratus')
        .setAudience('stratus')
      if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat)
      if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp)
      return jwt.sign(key)
    }
    const cases: [string, { iat?: number; exp?: number }, number][] = [
      ['no exp', { iat: now }, 401],
      ['iat an hour ahead', { iat: now + 3600, exp: now + 7200 }, 401],
      ['iat 5 minutes ahead', { iat: now + 300, exp: now + 3900 }, 401],
      ['iat 5 s ahead (skew)', { iat: now + 5, exp: now + 600 }, 201],
      ['well formed', { iat: now, exp: now + 600 }, 201],
    ]
    for (const [i, [what, claims, status]] of cases.entries()) {
      const res = await write(col, await forge(claims), `forged-${i}`)
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(status)
      if (status === 401) expect(res.body.error.code).toBe('auth/unauthenticated')
    }
  })
})
