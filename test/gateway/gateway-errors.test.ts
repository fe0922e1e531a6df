import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SigningKeys } from '../../services/auth/signing-keys.ts'
import { loadConfig } from '../../services/core/config.ts'
import { StratusError } from '../../services/core/errors.ts'
import { createLogger } from '../../services/core/logger.ts'
import { createMetrics } from '../../services/core/metrics.ts'
import type { Database } from '../../services/db/database.ts'
import { buildGateway } from '../../services/gateway/build.ts'
import { createTestDatabase, type TestDatabase } from '../support/databases.ts'

// The error envelope for every way a request can go wrong, through a gateway carrying one small
// route of each kind (the real services' suites check their own routes the same way).
describe('gateway error envelope', () => {
  let test: TestDatabase
  let db: Database
  let app: FastifyInstance
  let serviceKey: string
  let userToken: string

  beforeAll(async () => {
    test = await createTestDatabase('embedded')
    db = await test.open()
    const { keys } = await SigningKeys.open(db)
    serviceKey = keys.serviceToken()
    userToken = await keys.sign({ sub: 'u1', role: 'authenticated' }, 60)
    const config = loadConfig({ BODY_LIMIT_BYTES: '2048', LOG_LEVEL: 'silent' })
    app = await buildGateway({
      config,
      logger: createLogger('silent'),
      metrics: createMetrics(),
      keys,
      checks: [
        { name: 'database', check: () => db.ping() },
        { name: 'broken', check: () => Promise.reject(new Error('down')) },
      ],
      services: [
        {
          prefix: '/test/v1',
          routes: async (r) => {
            r.post(
              '/echo',
              {
                schema: {
                  body: {
                    type: 'object',
                    required: ['n'],
                    properties: { n: { type: 'integer', minimum: 0 } },
                    additionalProperties: false,
                  },
                },
              },
              async (request) => ({ body: request.body, auth: request.auth }),
            )
            r.get('/domain-error', async () => {
              throw new StratusError('db/not-found', 'No document posts/x', {
                details: { collection: 'posts' },
              })
            })
            r.get('/crash', async () => {
              throw new Error('secret internals')
            })
          },
        },
      ],
      admin: [
        async (r) => {
          r.get('/ping', async () => ({ ok: true }))
        },
      ],
    })
  })
  afterAll(async () => {
    await app?.close()
    await db?.close()
    await test?.cleanup()
  })

  const json = { 'content-type': 'application/json' }

  it.each([
    [
      'malformed JSON',
      { method: 'POST', url: '/test/v1/echo', headers: json, payload: '{"n":' },
      400,
      'request/invalid',
    ],
    [
      'an empty JSON body',
      { method: 'POST', url: '/test/v1/echo', headers: json, payload: '' },
      400,
      'request/invalid',
    ],
    [
      'a body over the limit',
      {
        method: 'POST',
        url: '/test/v1/echo',
        headers: json,
        payload: JSON.stringify({ n: 1, pad: 'x'.repeat(5000) }),
      },
      413,
      'request/too-large',
    ],
    [
      'an unsupported content-type',
      { method: 'POST', url: '/test/v1/echo', headers: { 'content-type': 'text/csv' }, payload: 'a,b' },
      415,
      'request/unsupported-media-type',
    ],
    [
      'a schema violation',
      { method: 'POST', url: '/test/v1/echo', headers: json, payload: '{"n":-1}' },
      400,
      'request/invalid',
    ],
    [
      'an unknown field',
      { method: 'POST', url: '/test/v1/echo', headers: json, payload: '{"n":1,"x":2}' },
      400,
      'request/invalid',
    ],
    [
      'a JSON array instead of an object',
      { method: 'POST', url: '/test/v1/echo', headers: json, payload: '[1]' },
      400,
      'request/invalid',
    ],
    [
      'a prototype-pollution body',
      { method: 'POST', url: '/test/v1/echo', headers: json, payload: '{"n":1,"__proto__":{"x":1}}' },
      400,
      'request/invalid',
    ],
    ['a domain error', { method: 'GET', url: '/test/v1/domain-error' }, 404, 'db/not-found'],
    ['an unexpected error', { method: 'GET', url: '/test/v1/crash' }, 500, 'internal'],
    [
      'an admin route with a user token',
      { method: 'GET', url: '/admin/v1/ping', headers: { authorization: `Bearer ${'USER'}` } },
      403,
      'auth/forbidden',
    ],
  ] as const)('%s → %i %s', async (_name, req, status, code) => {
    const headers: Record<string, string> = { ...(('headers' in req && req.headers) || {}) }
    if (headers.authorization) headers.authorization = `Bearer ${userToken}`
    const res = await app.inject({ ...req, headers })
    expect(res.statusCode).toBe(status)
    const body = res.json()
    expect(body.error.code).toBe(code)
    expect(typeof body.error.message).toBe('string')
    expect(body.error.message).not.toMatch(/secret internals/)
  })

  it('sends validation details and domain details', async () => {
    const invalid = await app.inject({
      method: 'POST',
      url: '/test/v1/echo',
      headers: json,
      payload: '{"n":"x"}',
    })
    expect(invalid.json().error.details).toEqual([expect.objectContaining({ location: 'body', path: '/n' })])
    const domain = await app.inject({ method: 'GET', url: '/test/v1/domain-error' })
    expect(domain.json().error.details).toEqual({ collection: 'posts' })
  })

  it('passes the verified caller to handlers, and anon as null', async () => {
    const anon = await app.inject({ method: 'POST', url: '/test/v1/echo', headers: json, payload: '{"n":1}' })
    expect(anon.json()).toEqual({ body: { n: 1 }, auth: null })
    const user = await app.inject({
      method: 'POST',
      url: '/test/v1/echo',
      headers: { ...json, authorization: `Bearer ${userToken}` },
      payload: '{"n":2}',
    })
    expect(user.json().auth).toMatchObject({ uid: 'u1', role: 'authenticated', email: null })
    const admin = await app.inject({
      method: 'GET',
      url: '/admin/v1/ping',
      headers: { authorization: `Bearer ${serviceKey}` },
    })
    expect(admin.json()).toEqual({ ok: true })
  })

  it('answers 503 from /ready naming the dependency that is down', async () => {
    const res = await app.inject({ method: 'GET', url: '/ready' })
    expect(res.statusCode).toBe(503)
    expect(res.json()).toEqual({
      status: 'unavailable',
      checks: { database: { status: 'ok' }, broken: { status: 'unavailable', error: 'down' } },
    })
  })
})
