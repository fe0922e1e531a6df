import { randomBytes } from 'node:crypto'
import { decodeJwt } from 'jose'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { uniqueName } from '../support/lanes.ts'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { bearer, eventsFor, eventTypes, NO_RATE_LIMITS, newEmail, PASSWORD, signUp } from './helpers.ts'
import { followUntil, type OidcPeer, type PeerAccount, startOidcPeer } from './oidc-peer.ts'

const APP = 'https://app.example/auth/callback'
const PROVIDER = 'testidp'

// OAuth/OIDC sign-in end to end against a real OpenID Connect provider (oidc-provider) on loopback:
// authorize → provider login → callback → redirect_to#access_token=…, and every way it may go wrong.
describe.each(LANES)('auth OAuth/OIDC sign-in (%s lane)', (lane) => {
  let t: TestPlatform
  let peer: OidcPeer
  let callbackUrl: string

  beforeAll(async () => {
    t = await startTestPlatform(lane, {
      ...NO_RATE_LIMITS,
      AUTH_REDIRECT_URLS: APP,
      // The embedded lane generates its key into the data directory; a shared database needs one.
      ...(lane === 'real' ? { AUTH_ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {}),
    })
    callbackUrl = `${t.url}/auth/v1/callback`
    peer = await startOidcPeer({ redirectUris: [callbackUrl] })
    const res = await admin()
      .put(`/auth/providers/${PROVIDER}`)
      .send({
        type: 'oidc',
        issuer: peer.issuer,
        clientId: peer.clientId,
        clientSecret: peer.clientSecret,
        scopes: ['openid', 'email', 'profile'],
      })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
  })
  afterAll(async () => {
    await t?.close()
    await peer?.close()
  })

  const api = () => request(t.url)
  const admin = () => {
    const agent = request(t.url)
    const auth = { authorization: `Bearer ${t.serviceKey}` }
    return {
      put: (path: string) => agent.put(`/admin/v1${path}`).set(auth),
      get: (path: string) => agent.get(`/admin/v1${path}`).set(auth),
      delete: (path: string) => agent.delete(`/admin/v1${path}`).set(auth),
    }
  }

  function account(overrides: Partial<PeerAccount> = {}): PeerAccount {
    const a: PeerAccount = {
      sub: uniqueName('sub'),
      email: newEmail().toLowerCase(),
      email_verified: true,
      name: 'Grace Hopper',
      ...overrides,
    }
    peer.accounts.set(a.sub, a)
    return a
  }

  /** GET /authorize: the provider URL and the cookie binding the flow to this "browser". */
  async function authorize(query: Record<string, string> = {}) {
    const res = await api()
      .get('/auth/v1/authorize')
      .query({ provider: PROVIDER, redirect_to: APP, ...query })
    expect(res.status, JSON.stringify(res.body)).toBe(302)
    const cookie = String(res.headers['set-cookie']?.[0] ?? '').split(';')[0]!
    expect(cookie).toMatch(/^stratus-oauth=[A-Za-z0-9_-]{43}$/)
    expect(String(res.headers['set-cookie']?.[0])).toMatch(
      /; Path=\/auth\/v1\/callback;.*HttpOnly; SameSite=Lax/,
    )
    return { location: res.headers.location as string, cookie }
  }

  /** The provider's redirect back to us after `sub` logs in, from a started flow. */
  async function atProvider(location: string, sub: string): Promise<string> {
    peer.next({ login: sub })
    return followUntil(location, callbackUrl)
  }

  /** GET /callback as the browser would (with the binding cookie); returns the app URL it redirects to. */
  async function callback(url: string, cookie?: string): Promise<URL> {
    const req = api().get(url.slice(t.url.length))
    const res = await (cookie ? req.set('cookie', cookie) : req)
    expect(res.status, JSON.stringify(res.body)).toBe(302)
    expect(res.headers['cache-control']).toBe('no-store')
    return new URL(res.headers.location as string)
  }

  const fragment = (url: URL) => Object.fromEntries(new URLSearchParams(url.hash.slice(1)))

  /** A whole sign-in as `a`: the app URL the browser lands on, and its fragment. */
  async function signInAs(a: PeerAccount) {
    const flow = await authorize()
    const back = await atProvider(flow.location, a.sub)
    const landed = await callback(back, flow.cookie)
    return { landed, params: fragment(landed) }
  }

  const currentUser = async (accessToken: string) => {
    const res = await api().get('/auth/v1/user').set(bearer(accessToken))
    expect(res.status).toBe(200)
    return res.body.user
  }

  describe('provider administration', () => {
    it('stores the client secret encrypted and never shows it', async () => {
      const res = await admin().get(`/auth/providers/${PROVIDER}`)
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({
        name: PROVIDER,
        type: 'oidc',
        issuer: peer.issuer,
        clientId: 'stratus-test',
      })
      expect(JSON.stringify(res.body)).not.toContain(peer.clientSecret)
      const list = await admin().get('/auth/providers')
      expect(list.body.providers.map((p: { name: string }) => p.name)).toContain(PROVIDER)
      const [row] = await t.platform.db.query<{ client_secret_encrypted: string }>(
        'SELECT client_secret_encrypted FROM auth_providers WHERE name = $1',
        [PROVIDER],
      )
      expect(row!.client_secret_encrypted).toMatch(/^v1\./)
      expect(row!.client_secret_encrypted).not.toContain(peer.clientSecret)
    })

    it.each([
      ['an oidc provider without issuer', { type: 'oidc' }, 'request/invalid'],
      [
        'an oauth2 provider without its URLs',
        { type: 'oauth2', authorizationUrl: 'https://a.example/x' },
        'request/invalid',
      ],
      ['plain http to a remote host', { type: 'oidc', issuer: 'http://idp.example' }, 'request/invalid'],
      ['an unknown type', { type: 'saml', issuer: 'https://idp.example' }, 'request/invalid'],
      ['an unknown field', { type: 'oidc', issuer: 'https://idp.example', extra: 1 }, 'request/invalid'],
    ])('refuses %s (400)', async (_name, body, code) => {
      const res = await admin()
        .put('/auth/providers/bad')
        .send({ clientId: 'c', clientSecret: 's', ...body })
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe(code)
    })

    it('expands a preset, lists and deletes a provider; admin routes need the service key', async () => {
      const res = await admin()
        .put('/auth/providers/github')
        .send({ preset: 'github', clientId: 'id', clientSecret: 's' })
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({
        type: 'oauth2',
        preset: 'github',
        authorizationUrl: 'https://github.com/login/oauth/authorize',
        userinfoUrl: 'https://api.github.com/user',
      })
      expect((await admin().delete('/auth/providers/github')).status).toBe(204)
      expect((await admin().get('/auth/providers/github')).body.error.code).toBe('auth/provider-not-found')
      const user = await signUp(t)
      const denied = await api().put('/admin/v1/auth/providers/x').set(bearer(user.access)).send({})
      expect(denied.status).toBe(403)
    })

    it('documents the OAuth and MFA routes in /openapi.json', async () => {
      const spec = (await api().get('/openapi.json')).body
      expect(Object.keys(spec.paths)).toEqual(
        expect.arrayContaining([
          '/auth/v1/authorize',
          '/auth/v1/callback',
          '/auth/v1/factors',
          '/auth/v1/factors/{id}',
          '/auth/v1/factors/{id}/verify',
          '/auth/v1/recovery-codes',
          '/auth/v1/recovery-codes/verify',
          '/admin/v1/auth/providers',
          '/admin/v1/auth/providers/{name}',
          '/admin/v1/auth/settings',
        ]),
      )
    })

    it('answers 404 auth/provider-not-found for an unknown provider', async () => {
      const res = await api().get('/auth/v1/authorize').query({ provider: 'nope', redirect_to: APP })
      expect(res.status).toBe(404)
      expect(res.body.error.code).toBe('auth/provider-not-found')
    })
  })

  describe('the authorization request', () => {
    it('redirects to the provider with PKCE (S256), state and nonce', async () => {
      const flow = await authorize()
      const url = new URL(flow.location)
      expect(url.origin).toBe(peer.issuer)
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        client_id: 'stratus-test',
        response_type: 'code',
        redirect_uri: callbackUrl,
        scope: 'openid email profile',
        code_challenge_method: 'S256',
        code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        nonce: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      })
      // Only hashes of the state are stored.
      const state = url.searchParams.get('state')!
      const rows = await t.platform.db.query('SELECT 1 FROM auth_oauth_states WHERE state_hash = $1', [state])
      expect(rows).toEqual([])
    })

    it.each([
      ['another host', 'https://evil.example/auth/callback'],
      ['another path', 'https://app.example/elsewhere'],
      ['credentials in the URL', 'https://user@app.example/auth/callback'],
      ['a look-alike host', 'https://app.example.evil.example/auth/callback'],
      ['not a URL', 'app.example/auth/callback'],
    ])('refuses a redirect_to with %s (400 auth/redirect-not-allowed)', async (_name, redirectTo) => {
      const res = await api().get('/auth/v1/authorize').query({ provider: PROVIDER, redirect_to: redirectTo })
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe('auth/redirect-not-allowed')
    })

    it('adds globs from PUT /admin/v1/auth/settings to the allow-list', async () => {
      const put = await admin()
        .put('/auth/settings')
        .send({ redirectUrls: ['https://*.preview.example/**'] })
      expect(put.status).toBe(200)
      expect((await admin().get('/auth/settings')).body).toEqual({
        redirectUrls: ['https://*.preview.example/**'],
      })
      const ok = await api()
        .get('/auth/v1/authorize')
        .query({ provider: PROVIDER, redirect_to: 'https://pr-42.preview.example/deep/path?tab=1' })
      expect(ok.status).toBe(302)
      for (const bad of [
        'https://evil.example/?.preview.example/',
        'https://a.b.preview.example.evil.example/',
        'http://pr-42.preview.example/',
      ]) {
        const res = await api().get('/auth/v1/authorize').query({ provider: PROVIDER, redirect_to: bad })
        expect(res.status, bad).toBe(400)
      }
      // The environment's entry still works.
      expect(
        (await api().get('/auth/v1/authorize').query({ provider: PROVIDER, redirect_to: APP })).status,
      ).toBe(302)
    })
  })

  describe('sign-in', () => {
    it('creates a user on first sign-in: tokens in the fragment, identity listed, auth.user.created', async () => {
      const a = account()
      const { landed, params } = await signInAs(a)
      expect(`${landed.origin}${landed.pathname}`).toBe(APP)
      expect(params).toMatchObject({
        access_token: expect.any(String),
        refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        token_type: 'bearer',
        expires_in: '3600',
      })
      const claims = decodeJwt(params.access_token!)
      expect(claims).toMatchObject({ role: 'authenticated', email: a.email, aal: 'aal1' })
      const user = await currentUser(params.access_token!)
      expect(user).toMatchObject({
        id: claims.sub,
        email: a.email,
        data: { name: 'Grace Hopper' },
        identities: [{ provider: PROVIDER, email: a.email, id: expect.any(String) }],
      })
      const events = await eventsFor(t, `users/${claims.sub}`)
      expect(events.map((e) => e.type)).toEqual(['auth.user.created'])
      expect((events[0]!.data as { user: { identities: unknown[] } }).user.identities).toHaveLength(1)
      // The session is a normal one: it refreshes.
      const refreshed = await api()
        .post('/auth/v1/token?grant_type=refresh_token')
        .send({ refresh_token: params.refresh_token })
      expect(refreshed.status).toBe(200)
    })

    it('signs a returning user into the same account, with no new event', async () => {
      const a = account()
      const first = decodeJwt((await signInAs(a)).params.access_token!).sub!
      const second = await signInAs(a)
      expect(decodeJwt(second.params.access_token!).sub).toBe(first)
      const user = await currentUser(second.params.access_token!)
      expect(user.identities).toHaveLength(1)
      expect(await eventTypes(t, first)).toEqual(['auth.user.created'])
    })

    it('links a verified provider email to the existing account (auth.user.updated); the password still works', async () => {
      const email = newEmail().toLowerCase()
      const res = await request(t.url)
        .post('/admin/v1/users')
        .set(bearer(t.serviceKey))
        .send({ email, password: PASSWORD, emailVerified: true })
      expect(res.status).toBe(201)
      const uid = res.body.user.id
      const { params } = await signInAs(account({ email }))
      expect(decodeJwt(params.access_token!).sub).toBe(uid)
      const user = await currentUser(params.access_token!)
      expect(user.identities).toEqual([expect.objectContaining({ provider: PROVIDER, email })])
      const events = await eventsFor(t, `users/${uid}`)
      expect(events.map((e) => e.type)).toEqual(['auth.user.created', 'auth.user.updated'])
      expect((events[1]!.data as { user: { identities: unknown[] } }).user.identities).toHaveLength(1)
      const password = await api()
        .post('/auth/v1/token?grant_type=password')
        .send({ email, password: PASSWORD })
      expect(password.status).toBe(200)
    })

    it('linking to an account whose email was never verified removes its password and ends its sessions', async () => {
      const u = await signUp(t) // AUTH_EMAIL_VERIFICATION is off: the address is unverified
      const { params } = await signInAs(account({ email: u.email }))
      expect(decodeJwt(params.access_token!).sub).toBe(u.uid)
      const password = await api()
        .post('/auth/v1/token?grant_type=password')
        .send({ email: u.email, password: PASSWORD })
      expect(password.status).toBe(400)
      const old = await api()
        .post('/auth/v1/token?grant_type=refresh_token')
        .send({ refresh_token: u.refresh })
      expect(old.status).toBe(401)
    })

    it('refuses to link an unverified provider email to an existing account: #error=access_denied', async () => {
      const u = await signUp(t)
      const { landed, params } = await signInAs(account({ email: u.email, email_verified: false }))
      expect(`${landed.origin}${landed.pathname}`).toBe(APP)
      expect(params.error).toBe('access_denied')
      expect(params.error_description).toMatch(/not verified/)
      expect(params.access_token).toBeUndefined()
      expect(await eventTypes(t, u.uid)).toEqual(['auth.user.created'])
      const rows = await t.platform.db.query('SELECT 1 FROM auth_identities WHERE user_id = $1', [u.uid])
      expect(rows).toEqual([])
    })

    it('creates an email-less user for an unverified email nobody has (the address stays on the identity)', async () => {
      const a = account({ email_verified: false })
      const { params } = await signInAs(a)
      const user = await currentUser(params.access_token!)
      expect(user.email).toBeNull()
      expect(user.identities).toEqual([expect.objectContaining({ email: a.email })])
      // The address is still free for its owner.
      expect((await api().post('/auth/v1/signup').send({ email: a.email, password: PASSWORD })).status).toBe(
        201,
      )
    })

    it('signs in through a plain OAuth 2.0 provider (explicit URLs + userinfo)', async () => {
      const put = await admin()
        .put('/auth/providers/plain')
        .send({
          type: 'oauth2',
          issuer: peer.issuer,
          authorizationUrl: `${peer.issuer}/auth`,
          tokenUrl: `${peer.issuer}/token`,
          userinfoUrl: `${peer.issuer}/me`,
          clientId: peer.clientId,
          clientSecret: peer.clientSecret,
          scopes: ['openid', 'email'],
        })
      expect(put.status, JSON.stringify(put.body)).toBe(200)
      const a = account()
      const flow = await authorize({ provider: 'plain' })
      expect(new URL(flow.location).searchParams.get('nonce')).toBeNull()
      const landed = await callback(await atProvider(flow.location, a.sub), flow.cookie)
      const params = fragment(landed)
      expect(params.error_description).toBeUndefined()
      const user = await currentUser(params.access_token!)
      expect(user).toMatchObject({ email: a.email, identities: [{ provider: 'plain', email: a.email }] })
    })
  })

  describe('what goes wrong', () => {
    it('a tampered state is refused (400 auth/invalid-state); the genuine callback still works once', async () => {
      const a = account()
      const flow = await authorize()
      const back = new URL(await atProvider(flow.location, a.sub))
      const tampered = new URL(back)
      tampered.searchParams.set('state', `${back.searchParams.get('state')!.slice(0, -2)}xx`)
      const res = await api().get(tampered.href.slice(t.url.length)).set('cookie', flow.cookie)
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe('auth/invalid-state')
      const missing = await api().get('/auth/v1/callback').query({ code: 'x' })
      expect(missing.body.error.code).toBe('auth/invalid-state')
      expect(fragment(await callback(back.href, flow.cookie)).access_token).toEqual(expect.any(String))
    })

    it('a replayed callback (same code and state) is refused: the flow is single use', async () => {
      const a = account()
      const flow = await authorize()
      const back = await atProvider(flow.location, a.sub)
      expect(fragment(await callback(back, flow.cookie)).access_token).toEqual(expect.any(String))
      const replay = await api().get(back.slice(t.url.length)).set('cookie', flow.cookie)
      expect(replay.status).toBe(400)
      expect(replay.body.error.code).toBe('auth/invalid-state')
    })

    it('a code replayed into another flow is refused by the provider: #error=invalid_grant', async () => {
      const a = account()
      const first = await authorize()
      const firstBack = new URL(await atProvider(first.location, a.sub))
      expect(fragment(await callback(firstBack.href, first.cookie)).access_token).toBeDefined()
      // A second flow of the same browser, finished with the first flow's (spent) code.
      const second = await authorize()
      const secondState = new URL(second.location).searchParams.get('state')!
      const forged = new URL(firstBack)
      forged.searchParams.set('state', secondState)
      const params = fragment(await callback(forged.href, second.cookie))
      expect(params.error).toBe('invalid_grant')
      expect(params.access_token).toBeUndefined()
    })

    it('an ID token with the wrong nonce is refused: #error=invalid_request', async () => {
      const a = account()
      const flow = await authorize()
      const tampered = new URL(flow.location)
      tampered.searchParams.set('nonce', 'a-nonce-this-server-never-issued')
      const params = fragment(await callback(await atProvider(tampered.href, a.sub), flow.cookie))
      expect(params.error).toBe('invalid_request')
      expect(params.error_description).toMatch(/nonce/)
      expect(params.access_token).toBeUndefined()
    })

    it('an ID token with a forged signature is refused: #error=invalid_request', async () => {
      const a = account()
      const flow = await authorize()
      const back = await atProvider(flow.location, a.sub)
      peer.forgeNextIdToken()
      const params = fragment(await callback(back, flow.cookie))
      expect(params.error).toBe('invalid_request')
      expect(params.error_description).toMatch(/signature/i)
      expect(params.access_token).toBeUndefined()
    })

    it('denied consent at the provider comes back as #error=access_denied, never a 500', async () => {
      const flow = await authorize()
      peer.next({ deny: 'The user said no' })
      const back = await followUntil(flow.location, callbackUrl)
      const params = fragment(await callback(back, flow.cookie))
      expect(params).toMatchObject({ error: 'access_denied', error_description: 'The user said no' })
    })

    it('a callback opened in another browser (no binding cookie) is refused', async () => {
      const a = account()
      const flow = await authorize()
      const back = await atProvider(flow.location, a.sub)
      const params = fragment(await callback(back))
      expect(params.error).toBe('invalid_request')
      expect(params.error_description).toMatch(/another browser/)
    })

    it('an expired flow is refused', async () => {
      const a = account()
      const flow = await authorize()
      const back = await atProvider(flow.location, a.sub)
      await t.platform.db.query("UPDATE auth_oauth_states SET expires_at = now() - interval '1 second'")
      const params = fragment(await callback(back, flow.cookie))
      expect(params.error).toBe('invalid_request')
      expect(params.error_description).toMatch(/too long/)
    })

    it('a disabled account is refused: #error=access_denied', async () => {
      const a = account()
      const uid = decodeJwt((await signInAs(a)).params.access_token!).sub!
      const disabled = await request(t.url)
        .patch(`/admin/v1/users/${uid}`)
        .set(bearer(t.serviceKey))
        .send({ disabled: true })
      expect(disabled.status).toBe(200)
      const { params } = await signInAs(a)
      expect(params.error).toBe('access_denied')
    })

    it('an unreachable provider is reported to the app, not as a 500', async () => {
      await admin()
        .put('/auth/providers/gone')
        .send({ type: 'oidc', issuer: 'http://127.0.0.1:1', clientId: 'c', clientSecret: 's' })
      const res = await api().get('/auth/v1/authorize').query({ provider: 'gone', redirect_to: APP })
      expect(res.status).toBe(302)
      expect(fragment(new URL(res.headers.location as string)).error).toBe('temporarily_unavailable')
    })
  })
})
