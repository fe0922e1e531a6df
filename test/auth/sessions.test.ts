import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT } from 'jose'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { eventually } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import {
  bearer,
  eventsFor,
  eventTypes,
  expectNoSecrets,
  NO_RATE_LIMITS,
  newEmail,
  PASSWORD,
  projectSigningKey,
  signUp,
} from './helpers.ts'

// Accounts, sign-in, sessions and tokens through HTTP, with the events each change wrote.
describe.each(LANES)('auth sessions (%s lane)', (lane) => {
  const t = usePlatform(lane, NO_RATE_LIMITS)
  const api = () => request(t.url)

  describe('POST /signup', () => {
    it('creates the user, signs it in, and writes auth.user.created', async () => {
      const email = newEmail()
      const res = await api()
        .post('/auth/v1/signup')
        .send({ email, password: PASSWORD, data: { name: 'Ada' } })
      expect(res.status).toBe(201)
      expect(res.body).toEqual({
        user: {
          id: expect.stringMatching(/^[A-Za-z0-9_-]{20}$/),
          email: email.toLowerCase(),
          anonymous: false,
          data: { name: 'Ada' },
          identities: [],
          factors: [],
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
        session: {
          access_token: expect.any(String),
          refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
          token_type: 'bearer',
          expires_in: 3600,
          expires_at: expect.any(Number),
        },
      })
      const uid = res.body.user.id
      const claims = decodeJwt(res.body.session.access_token)
      expect(claims).toMatchObject({
        sub: uid,
        role: 'authenticated',
        email: email.toLowerCase(),
        aud: 'stratus',
        iss: 'stratus',
        sid: expect.any(String),
      })
      expect(claims.exp).toBe(res.body.session.expires_at)
      expect(claims.exp! - claims.iat!).toBe(3600)
      const events = await eventsFor(t, `users/${uid}`)
      expect(events).toEqual([{ type: 'auth.user.created', data: { user: res.body.user } }])
      expectNoSecrets(events)
    })

    it.each([
      ['a password under 8 characters', { password: 'short' }, 422, 'auth/weak-password'],
      ['a password over 1024 characters', { password: 'x'.repeat(1025) }, 422, 'auth/weak-password'],
      ['a malformed email', { email: 'not-an-email' }, 400, 'request/invalid'],
      ['a missing password', { password: undefined }, 400, 'request/invalid'],
      ['data that is not an object', { data: [1, 2] }, 400, 'request/invalid'],
      ['an unknown field', { role: 'service' }, 400, 'request/invalid'],
      ['a non-string email', { email: 42 }, 400, 'request/invalid'],
    ])('refuses %s → %i %s, and writes no event', async (_name, override, status, code) => {
      const before = await t.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox')
      const res = await api()
        .post('/auth/v1/signup')
        .send({ email: newEmail(), password: PASSWORD, ...override })
      expect(res.status).toBe(status)
      expect(res.body.error.code).toBe(code)
      const after = await t.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox')
      expect(after[0]!.n).toBe(before[0]!.n)
    })

    it('refuses an email already taken, whatever its case → 409 auth/email-taken', async () => {
      const u = await signUp(t)
      const res = await api()
        .post('/auth/v1/signup')
        .send({ email: u.email.toUpperCase(), password: PASSWORD })
      expect(res.status).toBe(409)
      expect(res.body.error.code).toBe('auth/email-taken')
      expect(await eventTypes(t, u.uid)).toEqual(['auth.user.created'])
    })
  })

  describe('POST /token?grant_type=password', () => {
    it('signs in with the right password (email case-insensitive), without an event', async () => {
      const u = await signUp(t)
      const res = await api()
        .post('/auth/v1/token')
        .query({ grant_type: 'password' })
        .send({ email: u.email.toUpperCase(), password: PASSWORD })
      expect(res.status).toBe(200)
      expect(res.body.user.id).toBe(u.uid)
      expect(Object.keys(res.body.session).sort()).toEqual([
        'access_token',
        'expires_at',
        'expires_in',
        'refresh_token',
        'token_type',
      ])
      expect(decodeJwt(res.body.session.access_token).sid).not.toBe(decodeJwt(u.access).sid)
      expect(await eventTypes(t, u.uid)).toEqual(['auth.user.created'])
    })

    it('answers a wrong password and an unknown email alike → 400 auth/invalid-credentials', async () => {
      const u = await signUp(t)
      const wrong = await api()
        .post('/auth/v1/token?grant_type=password')
        .send({ email: u.email, password: 'wrong password' })
      const unknown = await api()
        .post('/auth/v1/token?grant_type=password')
        .send({ email: newEmail(), password: PASSWORD })
      expect(wrong.status).toBe(400)
      expect(unknown.status).toBe(400)
      expect(wrong.body).toEqual(unknown.body)
      expect(wrong.body.error.code).toBe('auth/invalid-credentials')
    })

    it('spends a password hash on an unknown email too (no timing oracle)', async () => {
      const u = await signUp(t)
      const time = async (email: string) => {
        const start = performance.now()
        await api().post('/auth/v1/token?grant_type=password').send({ email, password: 'wrong password' })
        return performance.now() - start
      }
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
      const known: number[] = []
      const unknown: number[] = []
      for (let i = 0; i < 7; i++) {
        known.push(await time(u.email))
        unknown.push(await time(newEmail()))
      }
      // Both pay one argon2id verification (tens of ms); without the decoy an unknown email would be
      // answered in a few ms.
      expect(median(unknown)).toBeGreaterThan(median(known) * 0.5)
    })

    it.each([
      ['no grant_type', '', { email: 'a@b.co', password: PASSWORD }],
      ['an unknown grant_type', '?grant_type=magic', { email: 'a@b.co', password: PASSWORD }],
      ['a password grant without a password', '?grant_type=password', { email: 'a@b.co' }],
      ['a refresh grant without a token', '?grant_type=refresh_token', {}],
      ['an unknown body field', '?grant_type=password', { email: 'a@b.co', password: PASSWORD, x: 1 }],
    ])('refuses %s → 400 request/invalid', async (_name, query, body) => {
      const res = await api().post(`/auth/v1/token${query}`).send(body)
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe('request/invalid')
    })
  })

  describe('POST /token?grant_type=refresh_token', () => {
    const refresh = (token: string) =>
      api().post('/auth/v1/token?grant_type=refresh_token').send({ refresh_token: token })

    it('rotates: a new session in the same family, the old token spent', async () => {
      const u = await signUp(t)
      const first = await refresh(u.refresh)
      expect(first.status).toBe(200)
      expect(Object.keys(first.body)).toEqual(['session'])
      expect(first.body.session.refresh_token).not.toBe(u.refresh)
      expect(decodeJwt(first.body.session.access_token).sid).toBe(decodeJwt(u.access).sid)
      const second = await refresh(first.body.session.refresh_token)
      expect(second.status).toBe(200)
    })

    it('detects reuse: a spent token → 401 auth/token-reused, and the whole family is revoked', async () => {
      const u = await signUp(t)
      const next = await refresh(u.refresh)
      expect(next.status).toBe(200)
      const reuse = await refresh(u.refresh)
      expect(reuse.status).toBe(401)
      expect(reuse.body.error.code).toBe('auth/token-reused')
      // The family's newest token is dead too, and so is the session behind its access tokens.
      const after = await refresh(next.body.session.refresh_token)
      expect(after.status).toBe(401)
      expect(after.body.error.code).toBe('auth/unauthenticated')
      const me = await api().get('/auth/v1/user').set(bearer(next.body.session.access_token))
      expect(me.status).toBe(401)
      // Other sessions of the user are untouched.
      const other = await api()
        .post('/auth/v1/token?grant_type=password')
        .send({ email: u.email, password: PASSWORD })
      expect((await refresh(other.body.session.refresh_token)).status).toBe(200)
    })

    it('lets exactly one of two racing refreshes with one token win', async () => {
      for (let round = 0; round < 5; round++) {
        const u = await signUp(t)
        const results = await Promise.all([refresh(u.refresh), refresh(u.refresh), refresh(u.refresh)])
        const statuses = results.map((r) => r.status).sort()
        expect(statuses).toEqual([200, 401, 401])
        for (const loser of results.filter((r) => r.status === 401)) {
          expect(loser.body.error.code).toBe('auth/token-reused')
        }
        const rows = await t.platform.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM auth_refresh_tokens r JOIN auth_sessions s ON s.id = r.session_id
           WHERE s.user_id = $1`,
          [u.uid],
        )
        expect(rows[0]!.n).toBe(2) // the spent one and the winner's
      }
    })

    it('lets exactly one of ten concurrent spends win, straight through the service', async () => {
      const u = await signUp(t)
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => t.platform.auth.refresh(u.refresh)),
      )
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      for (const r of results.filter((r) => r.status === 'rejected')) {
        expect((r as PromiseRejectedResult).reason.code).toBe('auth/token-reused')
      }
    })

    it.each([
      ['an unknown token', 'x'.repeat(43), 401, 'auth/unauthenticated'],
      ['a garbage token', '!!', 401, 'auth/unauthenticated'],
    ])('refuses %s → %i %s', async (_name, token, status, code) => {
      const res = await refresh(token)
      expect(res.status).toBe(status)
      expect(res.body.error.code).toBe(code)
    })

    it('refuses an expired refresh token → 401 auth/token-expired', async () => {
      const u = await signUp(t)
      await t.platform.db.query(
        "UPDATE auth_refresh_tokens SET expires_at = now() - interval '1 second' WHERE session_id = $1",
        [decodeJwt(u.access).sid],
      )
      const res = await refresh(u.refresh)
      expect(res.status).toBe(401)
      expect(res.body.error.code).toBe('auth/token-expired')
    })

    it('stores refresh tokens only as sha256 hashes', async () => {
      const u = await signUp(t)
      const rows = await t.platform.db.query<{ token_hash: string }>(
        'SELECT token_hash FROM auth_refresh_tokens WHERE session_id = $1',
        [decodeJwt(u.access).sid],
      )
      expect(rows).toHaveLength(1)
      expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/)
      expect(rows[0]!.token_hash).not.toContain(u.refresh)
      const users = await t.platform.db.query<{ password_hash: string }>(
        'SELECT password_hash FROM auth_users WHERE id = $1',
        [u.uid],
      )
      expect(users[0]!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    })
  })

  describe('anonymous users', () => {
    it('signs in anonymously, then upgrades to email/password keeping the uid', async () => {
      const anon = await api().post('/auth/v1/anonymous')
      expect(anon.status).toBe(201)
      expect(anon.body.user).toMatchObject({ email: null, anonymous: true, data: {} })
      const uid = anon.body.user.id
      const token = anon.body.session.access_token
      expect(decodeJwt(token)).toMatchObject({ sub: uid, role: 'authenticated', is_anonymous: true })
      expect(decodeJwt(token).email).toBeUndefined()

      const email = newEmail()
      const upgraded = await api()
        .patch('/auth/v1/user')
        .set(bearer(token))
        .send({ email, password: PASSWORD })
      expect(upgraded.status).toBe(200)
      expect(upgraded.body.user).toMatchObject({ id: uid, email: email.toLowerCase(), anonymous: false })

      const signIn = await api()
        .post('/auth/v1/token?grant_type=password')
        .send({ email, password: PASSWORD })
      expect(signIn.status).toBe(200)
      expect(signIn.body.user.id).toBe(uid)
      // The anonymous session lives on and now refreshes into tokens that carry the email.
      const refreshed = await api()
        .post('/auth/v1/token?grant_type=refresh_token')
        .send({ refresh_token: anon.body.session.refresh_token })
      expect(decodeJwt(refreshed.body.session.access_token)).toMatchObject({
        sub: uid,
        email: email.toLowerCase(),
        is_anonymous: false,
      })
      expect(await eventTypes(t, uid)).toEqual(['auth.user.created', 'auth.user.updated'])
    })

    it('accepts data at anonymous sign-in', async () => {
      const anon = await api()
        .post('/auth/v1/anonymous')
        .send({ data: { theme: 'dark' } })
      expect(anon.status).toBe(201)
      expect(anon.body.user.data).toEqual({ theme: 'dark' })
    })

    it.each([
      ['an email alone', { email: 'only@example.test' }, 400, 'request/invalid'],
      ['a password alone', { password: PASSWORD }, 400, 'request/invalid'],
      ['a weak password', { email: 'weak@example.test', password: 'short' }, 422, 'auth/weak-password'],
    ])('refuses an upgrade with %s → %i %s', async (_name, body, status, code) => {
      const anon = await api().post('/auth/v1/anonymous')
      const res = await api().patch('/auth/v1/user').set(bearer(anon.body.session.access_token)).send(body)
      expect(res.status).toBe(status)
      expect(res.body.error.code).toBe(code)
    })

    it('refuses an upgrade to a taken email → 409 auth/email-taken', async () => {
      const u = await signUp(t)
      const anon = await api().post('/auth/v1/anonymous')
      const res = await api()
        .patch('/auth/v1/user')
        .set(bearer(anon.body.session.access_token))
        .send({ email: u.email, password: PASSWORD })
      expect(res.status).toBe(409)
      expect(res.body.error.code).toBe('auth/email-taken')
      expect(await eventTypes(t, anon.body.user.id)).toEqual(['auth.user.created'])
    })
  })

  describe('GET and PATCH /user', () => {
    it('returns the signed-in user', async () => {
      const u = await signUp(t)
      const res = await api().get('/auth/v1/user').set(bearer(u.access))
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ user: (u.body as { user: unknown }).user })
    })

    it('merges data, changes email and password, and writes auth.user.updated each time', async () => {
      const u = await signUp(t)
      const r1 = await api()
        .patch('/auth/v1/user')
        .set(bearer(u.access))
        .send({ data: { a: 1, b: 2 } })
      expect(r1.body.user.data).toEqual({ a: 1, b: 2 })
      const r2 = await api()
        .patch('/auth/v1/user')
        .set(bearer(u.access))
        .send({ data: { b: 3 } })
      expect(r2.body.user.data).toEqual({ a: 1, b: 3 })
      const email = newEmail()
      const r3 = await api().patch('/auth/v1/user').set(bearer(u.access)).send({ email })
      expect(r3.body.user.email).toBe(email.toLowerCase())
      const r4 = await api().patch('/auth/v1/user').set(bearer(u.access)).send({ password: 'a new password' })
      expect(r4.status).toBe(200)
      const signIn = await api()
        .post('/auth/v1/token?grant_type=password')
        .send({ email, password: 'a new password' })
      expect(signIn.status).toBe(200)
      const events = await eventsFor(t, `users/${u.uid}`)
      expect(events.map((e) => e.type)).toEqual([
        'auth.user.created',
        'auth.user.updated',
        'auth.user.updated',
        'auth.user.updated',
        'auth.user.updated',
      ])
      expectNoSecrets(events)
    })

    it("a new password ends the user's other sessions, not the caller's", async () => {
      const u = await signUp(t)
      const other = await api()
        .post('/auth/v1/token?grant_type=password')
        .send({ email: u.email, password: PASSWORD })
      await api().patch('/auth/v1/user').set(bearer(u.access)).send({ password: 'another password' })
      expect((await api().get('/auth/v1/user').set(bearer(u.access))).status).toBe(200)
      const otherRefresh = await api()
        .post('/auth/v1/token?grant_type=refresh_token')
        .send({ refresh_token: other.body.session.refresh_token })
      expect(otherRefresh.status).toBe(401)
    })

    it('an empty PATCH changes nothing and writes no event', async () => {
      const u = await signUp(t)
      const res = await api().patch('/auth/v1/user').set(bearer(u.access)).send({})
      expect(res.status).toBe(200)
      expect(await eventTypes(t, u.uid)).toEqual(['auth.user.created'])
    })

    it.each([
      ['no token', {}, 401, 'auth/unauthenticated'],
      ['the service key', 'service', 403, 'auth/forbidden'],
    ])('refuses %s → %i %s', async (_name, auth, status, code) => {
      const headers = auth === 'service' ? bearer(t.serviceKey) : {}
      for (const res of [
        await api().get('/auth/v1/user').set(headers),
        await api().patch('/auth/v1/user').set(headers).send({ data: {} }),
        await api().post('/auth/v1/logout').set(headers),
      ]) {
        expect(res.status).toBe(status)
        expect(res.body.error.code).toBe(code)
      }
    })

    it('refuses to take an email another account has → 409 auth/email-taken', async () => {
      const a = await signUp(t)
      const b = await signUp(t)
      const res = await api().patch('/auth/v1/user').set(bearer(b.access)).send({ email: a.email })
      expect(res.status).toBe(409)
      expect(res.body.error.code).toBe('auth/email-taken')
    })
  })

  describe('POST /logout', () => {
    it('revokes the session family (scope=local): refresh and /user stop working, other sessions live', async () => {
      const u = await signUp(t)
      const other = await api()
        .post('/auth/v1/token?grant_type=password')
        .send({ email: u.email, password: PASSWORD })
      const res = await api().post('/auth/v1/logout').set(bearer(u.access))
      expect(res.status).toBe(204)
      expect(res.text).toBe('')
      const refreshed = await api()
        .post('/auth/v1/token?grant_type=refresh_token')
        .send({ refresh_token: u.refresh })
      expect(refreshed.status).toBe(401)
      expect(refreshed.body.error.code).toBe('auth/unauthenticated')
      expect((await api().get('/auth/v1/user').set(bearer(u.access))).status).toBe(401)
      expect((await api().get('/auth/v1/user').set(bearer(other.body.session.access_token))).status).toBe(200)
    })

    it('scope=global ends every session of the user', async () => {
      const u = await signUp(t)
      const other = await api()
        .post('/auth/v1/token?grant_type=password')
        .send({ email: u.email, password: PASSWORD })
      expect((await api().post('/auth/v1/logout?scope=global').set(bearer(u.access))).status).toBe(204)
      const refreshed = await api()
        .post('/auth/v1/token?grant_type=refresh_token')
        .send({ refresh_token: other.body.session.refresh_token })
      expect(refreshed.status).toBe(401)
    })
  })

  describe('access tokens', () => {
    it('verify with any JOSE library against the served JWKS', async () => {
      const u = await signUp(t)
      const jwksRes = await api().get('/auth/v1/.well-known/jwks.json')
      expect(jwksRes.status).toBe(200)
      for (const key of jwksRes.body.keys) {
        expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: expect.any(String) })
        expect(key.d).toBeUndefined()
      }
      const remote = createRemoteJWKSet(new URL(`${t.url}/auth/v1/.well-known/jwks.json`))
      const { payload, protectedHeader } = await jwtVerify(u.access, remote, {
        audience: 'stratus',
        issuer: 'stratus',
      })
      expect(protectedHeader.alg).toBe('ES256')
      expect(payload.sub).toBe(u.uid)
    })

    it('keep verifying after a key rotation, and new tokens use the new kid', async () => {
      const u = await signUp(t)
      const oldKid = JSON.parse(Buffer.from(u.access.split('.')[0]!, 'base64url').toString()).kid
      const newKid = await t.platform.keys.rotate()
      expect((await api().get('/auth/v1/user').set(bearer(u.access))).status).toBe(200)
      const fresh = await signUp(t)
      expect(JSON.parse(Buffer.from(fresh.access.split('.')[0]!, 'base64url').toString()).kid).toBe(newKid)
      const jwks = (await api().get('/auth/v1/.well-known/jwks.json')).body
      expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]))
      await jwtVerify(fresh.access, createLocalJWKSet(jwks), { audience: 'stratus' })
    })

    const forge = async (mutate: (claims: Record<string, unknown>) => void, sign?: 'foreign') => {
      const own = await projectSigningKey(t)
      const key =
        sign === 'foreign'
          ? (await import('jose')).generateKeyPair('ES256').then((k) => k.privateKey)
          : own.key
      const now = Math.floor(Date.now() / 1000)
      const claims: Record<string, unknown> = {
        sub: 'someone',
        role: 'authenticated',
        sid: 'x',
        iss: 'stratus',
        aud: 'stratus',
        iat: now,
        exp: now + 600,
      }
      mutate(claims)
      return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: own.kid }).sign(await key)
    }

    it.each([
      ['a wrong audience', async () => forge((c) => (c.aud = 'other-app')), 'auth/unauthenticated'],
      ['a wrong issuer', async () => forge((c) => (c.iss = 'evil')), 'auth/unauthenticated'],
      [
        'an expired token (beyond the clock-skew allowance)',
        async () =>
          forge((c) => {
            c.iat = Math.floor(Date.now() / 1000) - 3600
            c.exp = Math.floor(Date.now() / 1000) - 60
          }),
        'auth/token-expired',
      ],
      ['a token signed by a foreign key', async () => forge(() => {}, 'foreign'), 'auth/unauthenticated'],
      [
        'a tampered payload (role raised to service)',
        async () => {
          const u = await signUp(t)
          const [h, p, s] = u.access.split('.')
          const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
          claims.role = 'service'
          return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`
        },
        'auth/unauthenticated',
      ],
      [
        'an unsigned token (alg none)',
        async () => {
          const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
          const now = Math.floor(Date.now() / 1000)
          return `${enc({ alg: 'none' })}.${enc({ sub: 'x', role: 'service', aud: 'stratus', iss: 'stratus', exp: now + 60 })}.`
        },
        'auth/unauthenticated',
      ],
      ['garbage', async () => 'not.a.jwt', 'auth/unauthenticated'],
    ])('refuses %s → 401 %s', async (_name, make, code) => {
      const token = await make()
      for (const res of [
        await api().get('/auth/v1/user').set(bearer(token)),
        await api().get('/admin/v1/users').set(bearer(token)),
      ]) {
        expect(res.status).toBe(401)
        expect(res.body.error.code).toBe(code)
      }
    })

    it('accepts a token a few seconds past its expiry (clock-skew allowance)', async () => {
      const u = await signUp(t)
      const sid = decodeJwt(u.access).sid as string
      const now = Math.floor(Date.now() / 1000)
      const token = await t.platform.keys.sign(
        { sub: u.uid, role: 'authenticated', sid, email: u.email },
        60,
        now - 65,
      )
      expect((await api().get('/auth/v1/user').set(bearer(token))).status).toBe(200)
    })
  })

  it('sees a session ended elsewhere (another node) within AUTH_USER_CACHE_MS', async () => {
    const u = await signUp(t)
    expect((await api().get('/auth/v1/user').set(bearer(u.access))).status).toBe(200)
    // Revoke behind this node's back, as another node would.
    await t.platform.db.query(
      "UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'logout' WHERE user_id = $1",
      [u.uid],
    )
    const started = Date.now()
    await eventually(
      async () => (await api().get('/auth/v1/user').set(bearer(u.access))).status === 401,
      5000,
      'GET /user to see the revocation',
    )
    expect(Date.now() - started).toBeLessThan(t.platform.config.auth.userCacheMs + 3000)
  })

  it('publishes the auth routes in the OpenAPI document', async () => {
    const spec = (await api().get('/openapi.json')).body
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/auth/v1/signup',
        '/auth/v1/token',
        '/auth/v1/anonymous',
        '/auth/v1/user',
        '/auth/v1/logout',
        '/auth/v1/recover',
        '/auth/v1/verify',
        '/auth/v1/.well-known/jwks.json',
        '/admin/v1/users',
        '/admin/v1/users/{id}',
        '/admin/v1/mail',
      ]),
    )
  })

  it('never answers with a password or token hash', async () => {
    const u = await signUp(t)
    const responses = [
      u.body,
      (await api().get('/auth/v1/user').set(bearer(u.access))).body,
      (await api().post('/auth/v1/token?grant_type=password').send({ email: u.email, password: PASSWORD }))
        .body,
      (await api().get('/admin/v1/users').set(bearer(t.serviceKey))).body,
      (await api().get(`/admin/v1/users/${u.uid}`).set(bearer(t.serviceKey))).body,
    ]
    for (const body of responses) {
      const { session: _s, ...rest } = body as Record<string, unknown>
      expectNoSecrets(rest)
    }
  })
})

describe.each(LANES)('access token lifetime from configuration (%s lane)', (lane) => {
  const t = usePlatform(lane, { ...NO_RATE_LIMITS, ACCESS_TOKEN_TTL_SECONDS: '10' })
  it('issues tokens that live ACCESS_TOKEN_TTL_SECONDS', async () => {
    const u = await signUp(t)
    const session = (u.body as { session: { expires_in: number; expires_at: number } }).session
    expect(session.expires_in).toBe(10)
    const claims = decodeJwt(u.access)
    expect(claims.exp! - claims.iat!).toBe(10)
    expect(session.expires_at).toBe(claims.exp)
  })
})
