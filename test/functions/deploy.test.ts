import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { deploy, FUNCTIONS_TEST_ENV, service } from './helpers.ts'

const versioned = (n: number) => ({
  code: `export default async () => ({ v: ${n} })`,
  triggers: [{ type: 'http', public: true }],
})

describe.each(LANES)('functions: deploy, versions, rollback, delete (%s)', (lane) => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform(lane, FUNCTIONS_TEST_ENV)
  })
  afterAll(() => t?.close())

  it('each deploy is a new immutable version that goes live; rollback makes an older one live', async () => {
    expect(await deploy(t, 'greet', versioned(1))).toBe(1)
    expect((await request(t.url).post('/functions/v1/greet')).body).toEqual({ v: 1 })
    expect(await deploy(t, 'greet', { ...versioned(2), env: { A: 'b' }, timeoutMs: 500, retries: 0 })).toBe(2)
    expect((await request(t.url).get('/functions/v1/greet')).body).toEqual({ v: 2 })

    const one = await request(t.url).get('/admin/v1/functions/greet').set(service(t))
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({ name: 'greet', version: 2, code: versioned(2).code })
    expect(one.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1])
    // Env values are never shown, only their names.
    expect(one.body.versions[0]).toMatchObject({
      env: { A: '••••' },
      timeoutMs: 500,
      retries: 0,
      memoryMb: 128,
    })
    expect(one.body.versions[1]).toMatchObject({ timeoutMs: 10_000, retries: 2, concurrency: 10 })

    const rolled = await request(t.url)
      .post('/admin/v1/functions/greet/rollback')
      .set(service(t))
      .send({ version: 1 })
    expect(rolled.status).toBe(200)
    expect(rolled.body).toEqual({ name: 'greet', version: 1 })
    expect((await request(t.url).post('/functions/v1/greet')).body).toEqual({ v: 1 })

    const list = await request(t.url).get('/admin/v1/functions').set(service(t))
    expect(list.body.functions).toEqual([expect.objectContaining({ name: 'greet', version: 1 })])

    // The next deploy numbers after the highest version, whatever is live.
    expect(await deploy(t, 'greet', versioned(3))).toBe(3)
    expect((await request(t.url).post('/functions/v1/greet')).body).toEqual({ v: 3 })
  })

  it('rollback to an unknown version or function is a 404', async () => {
    await deploy(t, 'rb', versioned(1))
    const bad = await request(t.url)
      .post('/admin/v1/functions/rb/rollback')
      .set(service(t))
      .send({ version: 9 })
    expect([bad.status, bad.body.error.code]).toEqual([404, 'functions/not-found'])
    const none = await request(t.url)
      .post('/admin/v1/functions/nope/rollback')
      .set(service(t))
      .send({ version: 1 })
    expect([none.status, none.body.error.code]).toEqual([404, 'functions/not-found'])
  })

  it('delete stops the function and forgets it', async () => {
    await deploy(t, 'gone', versioned(1))
    expect((await request(t.url).post('/functions/v1/gone')).status).toBe(200)
    const del = await request(t.url).delete('/admin/v1/functions/gone').set(service(t))
    expect(del.status).toBe(204)
    const after = await request(t.url).post('/functions/v1/gone')
    expect([after.status, after.body.error.code]).toEqual([404, 'functions/not-found'])
    expect((await request(t.url).get('/admin/v1/functions/gone').set(service(t))).status).toBe(404)
    expect((await request(t.url).delete('/admin/v1/functions/gone').set(service(t))).status).toBe(404)
    // The name can be deployed again, from version 1.
    expect(await deploy(t, 'gone', versioned(7))).toBe(1)
  })

  it('validates the module at deploy: the compiler message and line', async () => {
    const res = await request(t.url)
      .put('/admin/v1/functions/broken')
      .set(service(t))
      .send({ code: 'export default async (event) => {\n  const x = ;\n}', triggers: [] })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('functions/invalid-code')
    expect(res.body.error.message).toMatch(/SyntaxError: Unexpected token ';'/)
    expect(res.body.error.details).toEqual({ line: 2, column: expect.any(Number) })
    expect((await request(t.url).get('/admin/v1/functions/broken').set(service(t))).status).toBe(404)
  })

  it.each([
    ['an import', `import fs from 'node:fs'\nexport default async () => 1`, /imports are not available/],
    // A named `handler` alone is a portable handler (test/functions/portable.test.ts).
    ['neither a default export nor a handler', 'export const main = async () => 1', /default function/],
    ['a top-level throw', `throw new Error('at load')\nexport default async () => 1`, /at load/],
    ['a top-level infinite loop', 'while (true) {}\nexport default async () => 1', /ran too long/],
  ])('refuses a module with %s', async (_what, code, message) => {
    const res = await request(t.url)
      .put('/admin/v1/functions/bad')
      .set(service(t))
      .send({ code, triggers: [], timeoutMs: 300 })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('functions/invalid-code')
    expect(res.body.error.message).toMatch(message)
  })

  it.each([
    [
      { code: 'export default async () => 1', triggers: [{ type: 'schedule', cron: 'not a cron at all' }] },
      /cron/,
    ],
    [
      {
        code: 'export default async () => 1',
        triggers: [{ type: 'schedule', cron: '* * * * *', timezone: 'Mars/Olympus' }],
      },
      /time zone/,
    ],
    [{ code: 'export default async () => 1', triggers: [{ type: 'carrier-pigeon' }] }, /body/],
    [{ code: 'export default async () => 1', triggers: [{ type: 'queue', queue: 'bad name!' }] }, /body/],
    [{ code: 'export default async () => 1', triggers: [], memoryMb: 1 }, /memoryMb/],
    [{ code: '', triggers: [] }, /code/],
    [{ triggers: [] }, /code/],
  ])('rejects a bad deploy body %j with 400', async (body, message) => {
    const res = await request(t.url).put('/admin/v1/functions/badbody').set(service(t)).send(body)
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('request/invalid')
    expect(res.body.error.message).toMatch(message)
  })

  it('admin routes need the service key', async () => {
    const res = await request(t.url).put('/admin/v1/functions/x').send(versioned(1))
    expect(res.status).toBe(401)
    expect((await request(t.url).get('/admin/v1/functions')).status).toBe(401)
    expect((await request(t.url).get('/admin/v1/dead-letters')).status).toBe(401)
    expect((await request(t.url).get('/admin/v1/queues')).status).toBe(401)
  })
})
