import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signUp } from '../auth/helpers.ts'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { deploy, executions, FUNCTIONS_TEST_ENV, service, waitForExecutions } from './helpers.ts'

describe.each(LANES)('functions: HTTP trigger and sandbox (%s)', (lane) => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform(lane, { ...FUNCTIONS_TEST_ENV, RATE_LIMIT_SIGNUP: '0' })
  })
  afterAll(() => t?.close())

  it('hands the request to the function as an http.request event and answers with its result', async () => {
    await deploy(t, 'echo', {
      code: `export default async (event, ctx) => {
        ctx.log.info('got', event.data.method, event.data.path)
        return { type: event.type, data: event.data, name: ctx.functionName, version: ctx.version, env: ctx.env.GREETING, hasDeadline: ctx.deadline > Date.now() }
      }`,
      env: { GREETING: 'hi' },
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).post('/functions/v1/echo/sub/path?x=1').send({ hello: 'world' })
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/application\/json/)
    expect(res.body).toMatchObject({
      type: 'http.request',
      name: 'echo',
      version: 1,
      env: 'hi',
      hasDeadline: true,
      data: { method: 'POST', path: '/sub/path', query: { x: '1' }, body: { hello: 'world' }, auth: null },
    })
    expect(res.body.data.headers['content-type']).toMatch(/application\/json/)
    const text = await request(t.url)
      .put('/functions/v1/echo')
      .set('content-type', 'text/plain')
      .send('plain words')
    expect(text.body.data).toMatchObject({ method: 'PUT', path: '/', body: 'plain words' })

    const [execution] = await waitForExecutions(t, 'echo', 2)
    expect(execution).toMatchObject({
      version: 1,
      trigger: 'http',
      status: 'succeeded',
      attempt: 1,
      error: null,
    })
    expect(execution!.logs).toEqual([{ level: 'info', msg: 'got PUT /', time: expect.any(String) }])
    expect(res.headers['x-stratus-execution-id']).toBeTruthy()
  })

  it('records log lines and errors with any characters intact (quotes, backslashes, braces, NUL, emoji)', async () => {
    const awkward = 'q" b\\ c, {x} [y] NULL \u00e9 \u{1F600} nul:\u0000:'
    await deploy(t, 'awkward', {
      code: `export default async (event, ctx) => {
        ctx.log.info(${JSON.stringify(awkward)})
        throw new Error(${JSON.stringify(awkward)})
      }`,
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).post('/functions/v1/awkward').send({})
    expect(res.status).toBe(500)
    const [execution] = await waitForExecutions(t, 'awkward', 1)
    // Postgres cannot store NUL in text or jsonb: it is kept as U+FFFD.
    const stored = awkward.replace('\u0000', '\uFFFD')
    expect(execution!.logs.map((l) => l.msg)).toEqual([stored])
    expect(execution!.error).toMatchObject({ message: stored })
  })

  it('answers with {status, headers, body} when the function returns one, and 204 for no result', async () => {
    await deploy(t, 'shaped', {
      code: `export default async (event) => event.data.query.none ? undefined :
        ({ status: 201, headers: { 'x-made': 'yes', 'content-type': 'text/csv' }, body: 'a,b\\n1,2' })`,
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).get('/functions/v1/shaped')
    expect(res.status).toBe(201)
    expect(res.headers['x-made']).toBe('yes')
    expect(res.headers['content-type']).toMatch(/text\/csv/)
    expect(res.text).toBe('a,b\n1,2')
    expect((await request(t.url).get('/functions/v1/shaped?none=1')).status).toBe(204)
  })

  it('needs a signed-in caller unless the trigger is public, and passes the caller as auth', async () => {
    await deploy(t, 'private', {
      code: 'export default async (event) => event.data.auth',
      triggers: [{ type: 'http' }],
    })
    const anon = await request(t.url).post('/functions/v1/private')
    expect([anon.status, anon.body.error.code]).toEqual([401, 'auth/unauthenticated'])
    const user = await signUp(t)
    const res = await request(t.url)
      .post('/functions/v1/private')
      .set('authorization', `Bearer ${user.access}`)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ uid: user.uid, role: 'authenticated', email: user.email })
    const bad = await request(t.url).post('/functions/v1/private').set('authorization', 'Bearer nonsense')
    expect(bad.status).toBe(401)
  })

  it('is a 404 for an unknown function or one without an HTTP trigger', async () => {
    await deploy(t, 'no-http', {
      code: 'export default async () => 1',
      triggers: [{ type: 'queue', queue: 'q1' }],
    })
    for (const name of ['no-http', 'missing']) {
      const res = await request(t.url).post(`/functions/v1/${name}`)
      expect([res.status, res.body.error.code]).toEqual([404, 'functions/not-found'])
    }
  })

  it('a throw is a 500 functions/failed, recorded with its stack; the platform keeps serving', async () => {
    await deploy(t, 'thrower', {
      code: `export default async (event, ctx) => { ctx.log.warn('about to fail'); throw new Error('kaboom') }`,
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).post('/functions/v1/thrower')
    expect([res.status, res.body.error.code]).toEqual([500, 'functions/failed'])
    expect(res.body.error.details.executionId).toBeTruthy()
    const [e] = await waitForExecutions(t, 'thrower', 1)
    expect(e).toMatchObject({ status: 'failed', error: { name: 'Error', message: 'kaboom' } })
    expect(e!.error!.stack).toMatch(/thrower\.js:1/)
    expect(e!.logs[0]).toMatchObject({ level: 'warn', msg: 'about to fail' })
    expect(e!.id).toBe(res.body.error.details.executionId)
  })

  it('a loop times out with 504 functions/timeout and the platform keeps serving', async () => {
    await deploy(t, 'looper', {
      code: 'export default async () => { while (true) {} }',
      timeoutMs: 300,
      triggers: [{ type: 'http', public: true }],
    })
    const started = Date.now()
    const [res, health] = await Promise.all([
      request(t.url).post('/functions/v1/looper'),
      new Promise((r) => setTimeout(r, 50)).then(() => request(t.url).get('/health')),
    ])
    expect([res.status, res.body.error.code]).toEqual([504, 'functions/timeout'])
    expect(Date.now() - started).toBeLessThan(3000)
    expect(health.status).toBe(200)
    const [e] = await waitForExecutions(t, 'looper', 1)
    expect(e!.status).toBe('timeout')
    // The next call gets a fresh isolate and times out again, cleanly.
    expect((await request(t.url).post('/functions/v1/looper')).status).toBe(504)
  })

  it('a memory bomb fails its execution only', async () => {
    await deploy(t, 'bomb', {
      code: 'export default async () => { const a = []; while (true) a.push(new Array(1e5).fill(7)) }',
      memoryMb: 16,
      timeoutMs: 20_000,
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).post('/functions/v1/bomb')
    expect([res.status, res.body.error.code]).toEqual([500, 'functions/failed'])
    const [e] = await waitForExecutions(t, 'bomb', 1)
    expect(e!.error!.message).toMatch(/memory limit/)
    expect((await request(t.url).get('/health')).status).toBe(200)
  })

  it('contains escape attempts: no process, require, node:fs, host realm or other functions', async () => {
    await deploy(t, 'escape', {
      code: `globalThis.mine = 'escape'
      export default async () => {
        const tries = {}
        const attempt = async (name, fn) => { try { tries[name] = await fn() } catch (e) { tries[name] = 'blocked: ' + e.message } }
        await attempt('process', () => typeof process)
        await attempt('require', () => typeof require)
        await attempt('fs', () => import('node:fs').then(() => 'imported'))
        await attempt('ctor', () => (function () {}).constructor('return process')())
        await attempt('ctorGlobal', () => typeof ({}).constructor.constructor('return globalThis')().process)
        await attempt('asyncCtor', async () => typeof (await (async () => {}).constructor('return process')()))
        await attempt('errorStack', () => { Error.prepareStackTrace = (e, s) => s; const s = new Error().stack; return typeof s[0]?.getThis?.() })
        await attempt('fetch', () => typeof fetch)
        await attempt('other', () => typeof globalThis.neighbour)
        return tries
      }`,
      triggers: [{ type: 'http', public: true }],
    })
    await deploy(t, 'neighbour', {
      code: `globalThis.neighbour = 'secret'\nexport default async () => globalThis.neighbour`,
      triggers: [{ type: 'http', public: true }],
    })
    expect(JSON.parse((await request(t.url).get('/functions/v1/neighbour')).text)).toBe('secret')
    const res = await request(t.url).get('/functions/v1/escape')
    expect(res.status).toBe(200)
    expect(res.body.process).toBe('undefined')
    expect(res.body.require).toBe('undefined')
    expect(res.body.fs).toMatch(/^blocked/)
    expect(res.body.ctor).toMatch(/^blocked: process is not defined/)
    expect(res.body.ctorGlobal).toBe('undefined')
    expect(res.body.asyncCtor).toMatch(/^blocked: process is not defined/)
    expect(res.body.errorStack).not.toBe('object')
    expect(res.body.fetch).toBe('undefined')
    expect(res.body.other).toBe('undefined')
  })

  it('lists executions newest first, filtered by status, paged by cursor', async () => {
    await deploy(t, 'flaky', {
      code: `export default async (event) => { if (event.data.query.fail) throw new Error('asked to'); return 'ok' }`,
      triggers: [{ type: 'http', public: true }],
    })
    for (const q of ['', '?fail=1', '', '?fail=1', '']) await request(t.url).post(`/functions/v1/flaky${q}`)
    await waitForExecutions(t, 'flaky', 5)
    expect((await executions(t, 'flaky', { status: 'failed' })).map((e) => e.status)).toEqual([
      'failed',
      'failed',
    ])
    expect(await executions(t, 'flaky', { status: 'succeeded' })).toHaveLength(3)
    const first = await request(t.url).get('/admin/v1/functions/flaky/executions?limit=2').set(service(t))
    expect(first.body.executions).toHaveLength(2)
    const second = await request(t.url)
      .get(`/admin/v1/functions/flaky/executions?limit=10&cursor=${first.body.nextCursor}`)
      .set(service(t))
    expect(second.body.executions).toHaveLength(3)
    expect(second.body.nextCursor).toBeNull()
    const all = [...first.body.executions, ...second.body.executions].map((e: { id: string }) => e.id)
    expect(all).toEqual([...all].sort().reverse())
    const bad = await request(t.url).get('/admin/v1/functions/flaky/executions?status=weird').set(service(t))
    expect(bad.status).toBe(400)
    expect((await request(t.url).get('/admin/v1/functions/nope/executions').set(service(t))).status).toBe(404)
  })

  it('keeps isolates warm: the first call after a deploy is not a cold start', async () => {
    await deploy(t, 'warm', {
      code: 'let n = 0\nexport default async () => ++n',
      triggers: [{ type: 'http', public: true }],
    })
    const a = await request(t.url).get('/functions/v1/warm')
    const b = await request(t.url).get('/functions/v1/warm')
    expect([a.body, b.body]).toEqual([1, 2])
    const list = await waitForExecutions(t, 'warm', 2)
    expect(list.map((e) => (e as unknown as { coldStart: boolean }).coldStart)).toEqual([false, false])
    const metrics = await request(t.url).get('/metrics')
    expect(metrics.text).toMatch(
      /stratus_function_executions_total\{function="warm",trigger="http",status="succeeded"\} 2/,
    )
  })
})
