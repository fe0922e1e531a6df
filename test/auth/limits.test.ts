import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../services/core/config.ts'
import { createLogger } from '../../services/core/logger.ts'
import { createPlatform, type Platform } from '../../services/platform.ts'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { bearer, NO_RATE_LIMITS, newEmail, PASSWORD, signUp } from './helpers.ts'

// Rate limits (429 rate-limited, per action, across nodes through Redis) and hostile request bodies.
describe.each(LANES)('auth rate limits (%s lane)', (lane) => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform(lane, {
      RATE_LIMIT_WINDOW_SECONDS: '600',
      RATE_LIMIT_SIGNUP: '2',
      RATE_LIMIT_SIGNIN: '2',
      RATE_LIMIT_REFRESH: '3',
      RATE_LIMIT_RECOVER: '1',
    })
  })
  afterAll(async () => {
    await t?.close()
  })

  const expectLimited = (res: request.Response) => {
    expect(res.status).toBe(429)
    expect(res.body).toEqual({
      error: { code: 'rate-limited', message: expect.any(String), details: expect.any(Object) },
    })
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
  }

  it('limits sign-ups, sign-ins, refreshes and recovery separately', async () => {
    const api = request(t.url)
    const first = await signUp(t)
    await signUp(t)
    expectLimited(await api.post('/auth/v1/signup').send({ email: newEmail(), password: PASSWORD }))

    const signIn = () =>
      api.post('/auth/v1/token?grant_type=password').send({ email: first.email, password: PASSWORD })
    expect((await signIn()).status).toBe(200)
    expect((await signIn()).status).toBe(200)
    expectLimited(await signIn())

    // Refreshes have their own budget on the same route.
    let token = first.refresh
    for (let i = 0; i < 3; i++) {
      const res = await api.post('/auth/v1/token?grant_type=refresh_token').send({ refresh_token: token })
      expect(res.status).toBe(200)
      token = res.body.session.refresh_token
    }
    expectLimited(await api.post('/auth/v1/token?grant_type=refresh_token').send({ refresh_token: token }))

    expect((await api.post('/auth/v1/recover').send({ email: first.email })).status).toBe(204)
    expectLimited(await api.post('/auth/v1/recover').send({ email: first.email }))

    // Unlimited routes stay open.
    expect((await api.get('/auth/v1/user').set(bearer(first.access))).status).toBe(200)
  })

  it.runIf(lane === 'real')('holds the limits across nodes sharing Redis', async () => {
    // A second API node on the same database and Redis: the budgets spent above are spent there too.
    const config = loadConfig({ ...t.env, PORT: '0' })
    const other: Platform = await createPlatform(config, 'api', createLogger('silent'))
    try {
      const url = await other.app!.listen({ host: '127.0.0.1', port: 0 })
      const res = await request(url).post('/auth/v1/signup').send({ email: newEmail(), password: PASSWORD })
      expect(res.status).toBe(429)
      expect(res.body.error.code).toBe('rate-limited')
    } finally {
      await other.close()
    }
  })
})

describe.each(LANES)('auth request bodies (%s lane)', (lane) => {
  let t: TestPlatform
  let access: string
  beforeAll(async () => {
    t = await startTestPlatform(lane, { ...NO_RATE_LIMITS, BODY_LIMIT_BYTES: '4096' })
    access = (await signUp(t)).access
  })
  afterAll(async () => {
    await t?.close()
  })

  const routes: [string, string][] = [
    ['POST', '/auth/v1/signup'],
    ['POST', '/auth/v1/token?grant_type=password'],
    ['POST', '/auth/v1/token?grant_type=refresh_token'],
    ['POST', '/auth/v1/anonymous'],
    ['PATCH', '/auth/v1/user'],
    ['POST', '/auth/v1/recover'],
    ['POST', '/auth/v1/resend'],
    ['POST', '/auth/v1/verify'],
    ['POST', '/admin/v1/users'],
    ['PATCH', '/admin/v1/users/x'],
  ]
  const bodies: [string, string, string, number, string][] = [
    ['malformed JSON', 'application/json', '{"email":', 400, 'request/invalid'],
    ['an empty JSON body', 'application/json', '', 400, 'request/invalid'],
    ['a JSON array', 'application/json', '[1,2]', 400, 'request/invalid'],
    ['a JSON string', 'application/json', '"hello"', 400, 'request/invalid'],
    [
      'a prototype-pollution body',
      'application/json',
      '{"__proto__":{"admin":true}}',
      400,
      'request/invalid',
    ],
    [
      'a body over the limit',
      'application/json',
      JSON.stringify({ email: 'x'.repeat(5000) }),
      413,
      'request/too-large',
    ],
    ['a text/plain body', 'text/plain', 'email=x', 400, 'request/invalid'],
    ['an unsupported content-type', 'application/xml', '<email/>', 415, 'request/unsupported-media-type'],
  ]
  const cases = routes.flatMap(([method, url]) =>
    bodies.map(
      ([name, type, payload, status, code]) => [method, url, name, type, payload, status, code] as const,
    ),
  )

  it.each(cases)(
    '%s %s with %s → 4xx with a code',
    async (method, url, _name, type, payload, status, code) => {
      const headers: Record<string, string> = { 'content-type': type }
      headers.authorization = `Bearer ${url.startsWith('/admin') ? t.serviceKey : access}`
      const res = await request(t.url)[method.toLowerCase() as 'post'](url).set(headers).send(payload)
      expect(res.status).toBe(status)
      expect(res.body.error.code).toBe(code)
    },
  )

  it.each([
    ['a 4000-character password', { email: 'a@example.test', password: 'p'.repeat(4000) }, 422],
    ['a 5000-character password', { email: 'a@example.test', password: 'p'.repeat(5000) }, 413],
    ['a 2000-character password', { email: 'a@example.test', password: 'p'.repeat(2000) }, 422],
    ['a 400-character email', { email: `${'e'.repeat(390)}@example.test`, password: PASSWORD }, 400],
    [
      'deeply nested data',
      {
        email: newEmail(),
        password: PASSWORD,
        data: JSON.parse(`${'{"a":'.repeat(200)}1${'}'.repeat(200)}`),
      },
      201,
    ],
    ['unicode everywhere', { email: newEmail(), password: 'pässwörd✓✓', data: { ключ: '値' } }, 201],
  ])('POST /signup with %s → %s', async (_name, body, status) => {
    const res = await request(t.url).post('/auth/v1/signup').send(body)
    expect(res.status).toBe(status)
    if (status >= 400) expect(res.body.error.code).toEqual(expect.any(String))
  })

  it('a bare POST /anonymous (no body, no content-type) signs in', async () => {
    const res = await request(t.url).post('/auth/v1/anonymous')
    expect(res.status).toBe(201)
  })
})
