import http from 'node:http'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { LANES } from '../support/lanes.ts'
import { usePlatform } from '../support/platform.ts'

/** A GET with the path sent byte for byte (clients' URL parsers would re-encode a malformed one). */
function rawGet(base: string, path: string): Promise<{ status: number; type: string; body: string }> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

// Three kinds of input the gateway refuses for every route at once, each with 400 request/invalid in
// our envelope: numbers that coerce to ±Infinity, strings Postgres cannot store (lone surrogates), and
// URLs that do not percent-decode.
describe.each(LANES)('malformed input at the gateway (%s)', (lane) => {
  const t = usePlatform(lane, {})
  const service = () => ({ authorization: `Bearer ${t.serviceKey}` })
  const expectInvalid = (res: request.Response) => {
    expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([400, 'request/invalid'])
  }

  it.each([
    ['/admin/v1/users', 'limit'],
    ['/admin/v1/mail', 'limit'],
    ['/admin/v1/dead-letters', 'limit'],
    ['/admin/v1/functions/no-such-fn/executions', 'limit'],
    ['/admin/v1/functions/no-such-fn/executions', 'version'],
  ])('refuses non-finite numbers on %s?%s=…', async (path, field) => {
    for (const value of ['Infinity', '-Infinity', '1e400', '-1e400', 'NaN', '9'.repeat(400)]) {
      const res = await request(t.url).get(`${path}?${field}=${value}`).set(service())
      expectInvalid(res)
      expect(JSON.stringify(res.body.error.details), value).toContain(`/${field}`)
    }
  })

  it('refuses a non-finite limit on a document query (as the query error it already was)', async () => {
    const res = await request(t.url).get('/db/v1/collections/x/documents?limit=1e400').set(service())
    expect([res.status, res.body.error?.code]).toEqual([400, 'db/invalid-query'])
  })

  it('refuses non-finite numbers in a JSON body, as a string or a literal', async () => {
    for (const body of ['{"version": "1e400"}', '{"version": "Infinity"}', '{"version": 1e400}']) {
      const res = await request(t.url)
        .post('/admin/v1/functions/no-such-fn/rollback')
        .set(service())
        .type('json')
        .send(body)
      expectInvalid(res)
      expect(JSON.stringify(res.body.error.details), body).toContain('/version')
    }
  })

  it('refuses integers beyond what the database stores (found by the fuzzer), in a body or a query', async () => {
    const rollback = await request(t.url)
      .post('/admin/v1/functions/no-such-fn/rollback')
      .set(service())
      .send({ version: 2 ** 53 })
    expectInvalid(rollback)
    for (const body of ['{"version": 2.199180863664567e+196}', '{"version": -9007199254740993}']) {
      const res = await request(t.url)
        .post('/admin/v1/functions/no-such-fn/rollback')
        .set(service())
        .type('json')
        .send(body)
      expectInvalid(res)
    }
    expectInvalid(await request(t.url).get('/admin/v1/users?limit=2e196').set(service()))
    const executions = await request(t.url)
      .get(`/admin/v1/functions/no-such-fn/executions?version=${2 ** 40}`)
      .set(service())
    expect(executions.status, JSON.stringify(executions.body)).toBeLessThan(500)
  })

  it('answers an MFA enrolment without a caller with 401, whether or not secrets can be stored', async () => {
    // The real lane runs here without AUTH_ENCRYPTION_KEY: enrolment would be 503 for a signed-in user.
    const res = await request(t.url).post('/auth/v1/factors').send({ type: 'totp' })
    expect([res.status, res.body.error?.code]).toEqual([401, 'auth/unauthenticated'])
  })

  it('refuses lone surrogates in JSON bodies (values and keys) before any route, and stores nothing', async () => {
    const settings = (body: string) =>
      request(t.url).put('/admin/v1/auth/settings').set(service()).type('json').send(body)
    expectInvalid(await settings('{"redirectUrls": ["https://a.example/\\ud800"]}'))
    expectInvalid(await settings('{"redirectUrls": ["https://a.example/\\uDC00x"]}'))
    expectInvalid(await settings('{"redirectUrls": [], "\\ud83d": 1}'))
    const stored = await request(t.url).get('/admin/v1/auth/settings').set(service())
    expect(stored.body.redirectUrls).toEqual([])
    // A well-formed pair (an emoji) and an escaped backslash before "ud800" are fine.
    const ok = await settings(
      '{"redirectUrls": ["https://a.example/\\ud83d\\ude00", "https://b.example/\\\\ud800"]}',
    )
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)

    const doc = (body: string) =>
      request(t.url).post('/db/v1/collections/surrogates/documents').set(service()).type('json').send(body)
    expectInvalid(await doc('{"data": {"a": "x\\ud800y"}}'))
    expectInvalid(await doc('{"data": {"\\udfff": 1}}'))
    const list = await request(t.url).get('/db/v1/collections/surrogates/documents').set(service())
    expect(list.body.documents).toEqual([])
  })

  it('answers a GET on the realtime endpoint without the WebSocket upgrade with the envelope', async () => {
    const res = await rawGet(t.url, '/realtime/v1')
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).error.code).toBe('request/invalid')
  })

  it.each(['/%', '/db/v1/%zz', '/%E0%A4%A', '/admin/v1/%'])('answers %s with the envelope', async (path) => {
    const res = await rawGet(t.url, path)
    expect(res.status).toBe(400)
    expect(res.type).toMatch(/^application\/json/)
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'request/invalid', message: expect.any(String) })
  })
})
