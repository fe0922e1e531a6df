import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { deploy, FUNCTIONS_TEST_ENV, service } from './helpers.ts'

/**
 * The escape corpus: every spelling of "up a level" tried so far, through every ctx client, by a
 * function that first replaces the built-ins the bootstrap once looked up at call time. Grow it with
 * every new trick. Each attempt must end in an error or an ordinary data answer, and none may reach
 * the admin API: the victim's secret env never leaks and no function is deployed.
 */
const UP = [
  '..',
  '.%2e',
  '%2e.',
  '%2E%2E',
  '%2e%2e',
  '%252e%252e',
  '..%2f',
  '%2e%2e%5c',
  '..\\\\',
  '\u2024\u2024',
  '.\u2024',
]

const ESCAPE_CODE = `
const UP = ${JSON.stringify(UP)}
export default async (event, ctx) => {
  const out = []
  const tries = []
  for (const up of UP) {
    const climb = [up, up, up, up, up].join('/')
    const admin = climb + '/admin/v1/functions/victim'
    const deployPath = climb + '/admin/v1/functions/evil'
    tries.push(
      () => ctx.db.collection(admin).doc('x').get(),
      () => ctx.db.collection('notes').doc(admin).get(),
      () => ctx.db.collection('notes').doc(deployPath).set({ code: 'export default async () => 1', triggers: [] }),
      () => ctx.db.collection(deployPath).doc(up).update({ a: 1 }),
      () => ctx.db.collection(deployPath).doc(up).delete(),
      () => ctx.db.collection(admin).add({ a: 1 }),
      () => ctx.db.collection(admin).where('a', '==', 1).get(),
      () => ctx.db.batch().set(ctx.db.collection(admin).doc(up), { a: 1 }).commit(),
      () => ctx.storage.from(admin).download('x'),
      () => ctx.storage.from('files').download(admin),
      () => ctx.storage.from('files').upload(deployPath, '{"code":"export default async () => 1","triggers":[]}', { contentType: 'application/json' }),
      () => ctx.storage.from('files').remove(admin),
      () => ctx.storage.from(admin).list(),
      () => ctx.storage.from('files').createSignedUrl(admin, 60),
      () => ctx.queue.publish(admin, { a: 1 }),
    )
  }
  // What the bootstrap once looked up when building a path: replaced before any ctx call.
  globalThis.encodeURIComponent = (s) => String(s)
  String.prototype.split = function () { return [String(this)] }
  Array.prototype.map = function () { return this }
  Array.prototype.join = function () { return String(this[0]) }
  for (const attempt of tries) {
    try {
      out.push({ ok: JSON.stringify(await attempt()) ?? 'undefined' })
    } catch (e) {
      out.push({ code: e && e.code, message: e && String(e.message) })
    }
  }
  return out
}`

describe.each(LANES)('functions: ctx clients cannot escape to the admin API (%s)', (lane) => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform(lane, FUNCTIONS_TEST_ENV)
    await deploy(t, 'victim', {
      code: 'export default async () => 1',
      env: { SECRET: 'victim-secret-value' },
      triggers: [{ type: 'http' }],
    })
    await request(t.url)
      .put('/admin/v1/buckets/files')
      .set(service(t))
      .send({})
      .expect((res) => expect(res.status).toBeLessThan(300))
  })
  afterAll(() => t?.close())

  it('refuses every dot-segment spelling through every ctx client, with built-ins replaced', async () => {
    await deploy(t, 'escape', {
      code: ESCAPE_CODE,
      triggers: [{ type: 'http', public: true }],
      timeoutMs: 30_000,
    })
    const res = await request(t.url).post('/functions/v1/escape')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const outcomes = res.body as { ok?: string; code?: string; message?: string }[]
    expect(outcomes).toHaveLength(UP.length * 15)
    const text = JSON.stringify(outcomes)
    expect(text).not.toContain('victim-secret-value')
    expect(text).not.toContain('"triggers"')
    // Every attempt that did not fail is an ordinary data answer: a missing document, an empty list,
    // or an object stored under a literal key in the bucket it named.
    for (const outcome of outcomes) {
      if (outcome.code !== undefined) {
        expect(outcome.code).toMatch(
          /^(request\/invalid|db\/|storage\/|auth\/forbidden$|request\/not-found$)/,
        )
      } else {
        expect(outcome.ok).toMatch(
          /^(null|undefined|\{"docs":\[\],"nextCursor":null\}|\{"objects":\[\],"nextCursor":null\}|\{"bucket":"files",.*)$/,
        )
      }
    }
    const evil = await request(t.url).get('/admin/v1/functions/evil').set(service(t))
    expect(evil.status).toBe(404)
  })

  it('a function principal is refused by the admin API whatever path reaches it', async () => {
    const token = await t.platform.keys.functionToken('escape')
    for (const path of ['/admin/v1/functions', '/admin/v1/functions/victim', '/admin/v1/no-such-route']) {
      const res = await request(t.url)
        .get(path)
        .set({ authorization: `Bearer ${token}` })
      expect(res.status, path).toBe(403)
      expect(res.body.error.code).toBe('auth/forbidden')
    }
    const put = await request(t.url)
      .put('/admin/v1/functions/evil')
      .set({ authorization: `Bearer ${token}` })
      .send({ code: 'export default async () => 1', triggers: [] })
    expect(put.status).toBe(403)
    // The same principal keeps the service role's reach over data (rules bypassed).
    const doc = await request(t.url)
      .post('/db/v1/collections/ruleless/documents')
      .set({ authorization: `Bearer ${token}` })
      .send({ data: { a: 1 } })
    expect(doc.status).toBe(201)
  })

  it('ctx writes are made as the function, not as the service key', async () => {
    await deploy(t, 'writer', {
      code: `export default async (event, ctx) => ctx.db.collection('written').add({ by: ctx.functionName })`,
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).post('/functions/v1/writer')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.data).toEqual({ by: 'writer' })
  })
})
