import { createLocalJWKSet, jwtVerify } from 'jose'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { LANES, usePlatform } from '../support/platform.ts'

describe.each(LANES)('gateway (%s lane)', (lane) => {
  const t = usePlatform(lane, { BODY_LIMIT_BYTES: '4096', CORS_ORIGINS: 'https://app.example' })
  it('GET /health answers while the process is up', async () => {
    const res = await request(t.url).get('/health')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ status: 'ok' })
  })

  it('GET /ready checks database, bus and storage', async () => {
    const res = await request(t.url).get('/ready')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      status: 'ok',
      checks: { database: { status: 'ok' }, bus: { status: 'ok' }, storage: { status: 'ok' } },
    })
  })

  it.each([
    ['an unknown route', () => request(t.url).get('/no/such/route'), 404, 'request/not-found'],
    [
      'a malformed Authorization header',
      () => request(t.url).get('/health').set('authorization', 'Token abc'),
      401,
      'auth/unauthenticated',
    ],
    [
      'a forged bearer token',
      () => request(t.url).get('/health').set('authorization', 'Bearer e30.e30.sig'),
      401,
      'auth/unauthenticated',
    ],
    ['a wrong method on a known path', () => request(t.url).delete('/health'), 404, 'request/not-found'],
    [
      'an admin route without a key',
      () => request(t.url).get('/admin/v1/anything'),
      401,
      'auth/unauthenticated',
    ],
  ])('answers %s with the error envelope', async (_name, send, status, code) => {
    const res = await send()
    expect(res.status).toBe(status)
    expect(res.headers['content-type']).toMatch(/application\/json/)
    expect(res.body).toEqual({ error: { code, message: expect.any(String) } })
  })

  it('serves the service key as an ES256 JWT verifiable against the JWKS', async () => {
    const jwks = createLocalJWKSet(t.platform.keys.jwks())
    const { payload, protectedHeader } = await jwtVerify(t.serviceKey, jwks, {
      audience: 'stratus',
      issuer: 'stratus',
    })
    expect(protectedHeader.alg).toBe('ES256')
    expect(payload.role).toBe('service')
  })

  it('lets the service key through the admin guard (to a 404 for an unknown admin route)', async () => {
    const res = await request(t.url).get('/admin/v1/anything').set('authorization', `Bearer ${t.serviceKey}`)
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('request/not-found')
  })

  it('exposes Prometheus metrics including HTTP latency and outbox lag', async () => {
    await request(t.url).get('/health')
    const res = await request(t.url).get('/metrics')
    expect(res.status).toBe(200)
    expect(res.text).toMatch(/stratus_http_request_duration_seconds_bucket\{[^}]*route="\/health"/)
    expect(res.text).toMatch(/^stratus_outbox_lag_seconds \d/m)
  })

  it('serves the OpenAPI document and the docs page', async () => {
    const spec = await request(t.url).get('/openapi.json')
    expect(spec.status).toBe(200)
    expect(spec.body.openapi).toBe('3.1.0')
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/health', '/ready', '/metrics']))
    const docs = await request(t.url).get('/docs/')
    expect(docs.status).toBe(200)
    expect(docs.text).toMatch(/swagger/i)
  })

  it('sets security headers, a request id, and CORS for the allowed origin only', async () => {
    const ok = await request(t.url).get('/health').set('origin', 'https://app.example')
    expect(ok.headers['x-content-type-options']).toBe('nosniff')
    expect(ok.headers['x-request-id']).toMatch(/^[A-Za-z0-9_-]{16,}$/)
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example')
    const other = await request(t.url).get('/health').set('origin', 'https://evil.example')
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('answers a browser preflight for every method the API uses, with the headers the SDK sends', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE', 'POST']) {
      const preflight = await request(t.url)
        .options('/db/v1/collections/posts/documents/p1')
        .set('origin', 'https://app.example')
        .set('access-control-request-method', method)
        .set('access-control-request-headers', 'authorization, content-type, if-match, x-stratus-meta-owner')
      expect(preflight.status).toBe(204)
      expect(preflight.headers['access-control-allow-methods']).toContain(method)
      expect(preflight.headers['access-control-allow-headers']).toMatch(/if-match/)
      expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example')
    }
  })
})
