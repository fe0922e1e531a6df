import { afterAll, describe, expect, it } from 'vitest'
import {
  CodeError,
  HostCallError,
  type HostCallHandler,
  INLINE_SLICE_MS,
  type Invocation,
  type VersionSpec,
} from './instance.ts'
import { SandboxPool } from './pool.ts'

const calls: { op: string; payload: unknown; body: unknown }[] = []
const host: HostCallHandler = async (op, payload, body) => {
  calls.push({ op, payload, body })
  if (op === 'request' && payload.path === '/fail') throw new HostCallError('db/not-found', 'nope', 404)
  return { value: { echoed: payload } }
}
const pool = new SandboxPool({
  host,
  allowFetch: false,
  logLines: 5,
  logLineLength: 50,
  maxPayloadBytes: 64 * 1024,
  maxMemoryMb: 64,
  warmPoolSize: 2,
  idleMs: 60_000,
})
afterAll(() => pool.close())

let version = 0
function spec(code: string, overrides: Partial<VersionSpec> = {}): VersionSpec {
  return {
    name: 'fn',
    version: ++version,
    code,
    env: { A: '1' },
    timeoutMs: 1000,
    memoryMb: 32,
    concurrency: 4,
    ...overrides,
  }
}
function invocation(s: VersionSpec, timeoutMs = s.timeoutMs): Invocation {
  return {
    functionName: s.name,
    version: s.version,
    executionId: 'x1',
    deadline: Date.now() + timeoutMs,
    logs: [],
    droppedLogs: 0,
  }
}
async function run(code: string, event: unknown = { id: 'e1' }, overrides: Partial<VersionSpec> = {}) {
  const s = spec(code, overrides)
  return pool.run(s, JSON.stringify(event), invocation(s))
}

describe('sandbox', () => {
  it('runs the default export with the event and ctx, and keeps logs', async () => {
    const out = await run(
      `export default async (event, ctx) => { ctx.log.info('hello', {a: 1}); console.warn('w'); return { id: event.id, env: ctx.env.A, name: ctx.functionName, v: ctx.version } }`,
    )
    expect(out.status).toBe('succeeded')
    expect(out.result).toEqual({ id: 'e1', env: '1', name: 'fn', v: version })
    expect(out.logs.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'hello {"a":1}'],
      ['warn', 'w'],
    ])
    expect(out.coldStart).toBe(true)
  })

  it('reuses a warm isolate for the same version', async () => {
    const s = spec(`let n = 0; export default async () => ++n`)
    const a = await pool.run(s, '{}', invocation(s))
    const b = await pool.run(s, '{}', invocation(s))
    expect([a.coldStart, b.coldStart, a.result, b.result]).toEqual([true, false, 1, 2])
  })

  it('bounds log lines and their length', async () => {
    const out = await run(
      `export default async (e, ctx) => { for (let i = 0; i < 9; i++) ctx.log.info('x'.repeat(80)) }`,
    )
    expect(out.logs).toHaveLength(6)
    expect(out.logs[0]!.msg).toHaveLength(51)
    expect(out.logs[5]!.msg).toMatch(/4 more log lines were dropped/)
  })

  it('reports a throw with its stack', async () => {
    const out = await run(`export default async () => { throw new TypeError('bad thing') }`)
    expect(out.status).toBe('failed')
    expect(out.error).toMatchObject({ name: 'TypeError', message: 'bad thing' })
    expect(out.error!.stack).toMatch(/fn\.js:1/)
  })

  it('times out a busy loop, and after awaiting the host', async () => {
    const t0 = Date.now()
    const loop = await run(`export default async () => { while (true) {} }`, {}, { timeoutMs: 200 })
    expect(loop.status).toBe('timeout')
    expect(Date.now() - t0).toBeLessThan(2000)
    const wait = await run(
      `export default async () => { await new Promise((r) => setTimeout(r, 5000)) }`,
      {},
      { timeoutMs: 200 },
    )
    expect(wait.status).toBe('timeout')
    const late = await run(
      `export default async (e, ctx) => { await ctx.queue.publish('q', 1); while (true) {} }`,
      {},
      { timeoutMs: 200 },
    )
    expect(late.status).toBe('timeout')
  })

  it('fails a memory bomb without harming the host', async () => {
    const out = await run(
      `export default async () => { const a = []; while (true) a.push(new Array(1e5).fill(1)) }`,
      {},
      { memoryMb: 16, timeoutMs: 10_000 },
    )
    expect(out.status).toBe('failed')
    expect(out.error!.message).toMatch(/memory limit/)
    const after = await run(`export default async () => 'alive'`)
    expect(after.result).toBe('alive')
  })

  it('contains escape attempts', async () => {
    const out = await run(`export default async () => {
      const r = {}
      r.process = typeof process
      r.require = typeof require
      r.globalProcess = typeof globalThis.process
      r.ctor = (() => { try { return typeof (function(){}).constructor('return process')() } catch (e) { return 'threw' } })()
      r.ctor2 = (() => { try { return typeof ({}).constructor.constructor('return this')().process } catch (e) { return 'threw' } })()
      r.fs = await import('node:fs').then(() => 'imported', (e) => 'refused')
      r.fetch = typeof fetch
      r.host = typeof __stratus_host + typeof __stratus_log
      r.buffer = typeof Buffer
      return r
    }`)
    expect(out.status).toBe('succeeded')
    expect(out.result).toEqual({
      process: 'undefined',
      require: 'undefined',
      globalProcess: 'undefined',
      ctor: 'threw',
      ctor2: 'undefined',
      fs: 'refused',
      fetch: 'undefined',
      host: 'undefinedundefined',
      buffer: 'undefined',
    })
  })

  it('refuses a result larger than maxPayloadBytes, in the isolate or, multi-byte, at the host', async () => {
    const big = await run(`export default async () => 'x'.repeat(200 * 1024)`, {}, { memoryMb: 64 })
    expect(big.status).toBe('failed')
    expect(big.error).toMatchObject({ name: 'ResultTooLargeError' })
    expect(big.error!.message).toMatch(/at most 65536 bytes/)
    // 30k characters fit the isolate's character count, but are 90 kB of UTF-8.
    const wide = await run(`export default async () => '\u20ac'.repeat(30000)`)
    expect(wide.status).toBe('failed')
    expect(wide.error).toMatchObject({ name: 'ResultTooLargeError' })
    const fits = await run(`export default async () => 'x'.repeat(60 * 1024)`)
    expect(fits.status).toBe('succeeded')
    expect((fits.result as string).length).toBe(60 * 1024)
  })

  it('refuses ctx calls whose body is larger than maxPayloadBytes, before they reach the host', async () => {
    calls.length = 0
    const out = await run(`export default async (e, ctx) => {
      const r = []
      try { await ctx.db.collection('c').add({ s: 'x'.repeat(100 * 1024) }) } catch (err) { r.push(err.code, err.status) }
      try { await ctx.storage.from('b').upload('k', new Uint8Array(100 * 1024)) } catch (err) { r.push(err.code) }
      return r
    }`)
    expect(out.result).toEqual(['request/too-large', 413, 'request/too-large'])
    expect(calls).toHaveLength(0)
  })

  it('stops sending log lines past the limit, and cuts each in the isolate', async () => {
    const out = await run(
      `export default async () => { for (let i = 0; i < 1e6; i++) console.log('y'.repeat(1000)) }`,
      {},
      { timeoutMs: 10_000 },
    )
    expect(out.status).toBe('succeeded')
    expect(out.logs).toHaveLength(6)
    expect(out.logs[0]!.msg).toHaveLength(51)
    expect(out.logs[5]!.msg).toMatch(/999995 more log lines were dropped/)
  })

  it('never serialises a value far larger than the limit (a result, a logged object, a ctx body)', async () => {
    calls.length = 0
    const out = await run(
      `export default async (e, ctx) => {
        const big = { rows: Array.from({ length: 20000 }, (_, i) => ({ i, s: 'v'.repeat(10) })) }
        console.log('small', { a: 1 })
        console.log('big', big)
        try { await ctx.db.collection('c').add(big) } catch (err) { console.log(err.code) }
        return big
      }`,
      {},
      { memoryMb: 64 },
    )
    expect(out.status).toBe('failed')
    expect(out.error).toMatchObject({ name: 'ResultTooLargeError' })
    expect(out.logs.map((l) => l.msg)).toEqual([
      'small {"a":1}',
      'big [a value too large to log]',
      'request/too-large',
    ])
    expect(calls).toHaveLength(0)
  })

  it("cuts a huge error message to a log line's length", async () => {
    const out = await run(
      `export default async () => { throw new Error('z'.repeat(5e6)) }`,
      {},
      { memoryMb: 64 },
    )
    expect(out.status).toBe('failed')
    expect(out.error!.message.length).toBeLessThanOrEqual(50)
  })

  it("holds a version to the node's memory cap whatever it asks for", async () => {
    const out = await run(
      `export default async () => { const a = []; while (true) a.push(new Array(1e5).fill(1)) }`,
      {},
      { memoryMb: 100_000, timeoutMs: 20_000 },
    )
    expect(out.status).toBe('failed')
    expect(out.error!.message).toMatch(/memory limit/)
  })

  it('keeps functions apart: no state shared between versions', async () => {
    const a = await run(`globalThis.secret = 42; export default async () => globalThis.secret`)
    const b = await run(`export default async () => typeof globalThis.secret`)
    expect([a.result, b.result]).toEqual([42, 'undefined'])
  })

  it('refuses bad modules with the compiler message and position', async () => {
    await expect(pool.validate(spec('export default async (e) => {\n  let x = ;\n}'))).rejects.toMatchObject({
      name: 'CodeError',
      line: 2,
    })
    await expect(
      pool.validate(spec(`import fs from 'node:fs'; export default async () => 1`)),
    ).rejects.toThrow(/imports are not available/)
    await expect(pool.validate(spec(`export const x = 1`))).rejects.toThrow(/default function/)
    await expect(pool.validate(spec(`throw new Error('boom at load')`))).rejects.toThrow(/boom at load/)
    // A throw's position is the innermost frame in the module, a function the top level called included.
    await expect(
      pool.validate(
        spec(`const a = 1\nfunction f() {\n    throw new Error('deep')\n}\nf()\nexport default f`),
      ),
    ).rejects.toMatchObject({ line: 3, column: 11, message: expect.stringMatching(/deep/) })
    await expect(pool.validate(spec(`while (true) {}`))).rejects.toBeInstanceOf(CodeError)
  })

  it('decides which export runs: a default export, else a Lambda-style handler, else a clear refusal', async () => {
    expect(await pool.validate(spec('export default async () => 1'))).toBe('default')
    expect(await pool.validate(spec('export const handler = async () => 1'))).toBe('handler')
    expect(await pool.validate(spec('export async function handler() {}\nexport default () => 1'))).toBe(
      'default',
    )
    await expect(pool.validate(spec('export const handler = 1'))).rejects.toThrow(
      /default function \(export default .*\) or a Lambda-style handler/,
    )
    // A version runs the export its deploy chose, even when the module has both.
    const both = 'export default async () => "default"\nexport const handler = async () => "handler"'
    expect((await run(both, {}, { entry: 'handler' })).result).toBe('handler')
    expect((await run(both, {}, { entry: 'default' })).result).toBe('default')
    await expect(pool.validate(spec('export default async () => 1', { entry: 'handler' }))).rejects.toThrow(
      /function named handler/,
    )
  })

  it("hands a Lambda-style handler Lambda's context, with ctx as context.stratus", async () => {
    const s = spec(
      `export const handler = async (event, context) => {
        const first = context.getRemainingTimeInMillis()
        const until = Date.now() + 30
        while (Date.now() < until) {}
        const second = context.getRemainingTimeInMillis()
        context.callbackWaitsForEmptyEventLoop = false
        const { getRemainingTimeInMillis, stratus, ...plain } = context
        return {
          event, plain, first, second,
          clients: [typeof stratus.db.collection, typeof stratus.storage.from, typeof stratus.queue.publish],
          frozen: Object.isFrozen(stratus), env: stratus.env.A, executionId: stratus.executionId,
        }
      }`,
      { entry: 'handler', memoryMb: 48, timeoutMs: 2000 },
    )
    const out = await pool.run(s, JSON.stringify({ Records: [] }), invocation(s))
    expect(out.status, JSON.stringify(out.error)).toBe('succeeded')
    const r = out.result as Record<string, unknown> & { first: number; second: number }
    expect(r.event).toEqual({ Records: [] })
    expect(r.plain).toEqual({
      awsRequestId: 'x1',
      functionName: 'fn',
      functionVersion: String(s.version),
      memoryLimitInMB: '48',
      invokedFunctionArn: `arn:stratus:functions:local:000000000000:function:fn:${s.version}`,
      logGroupName: '/stratus/functions/fn',
      logStreamName: `${s.version}/x1`,
      callbackWaitsForEmptyEventLoop: false,
    })
    expect(r.first).toBeGreaterThan(r.second + 25)
    expect(r.first).toBeLessThanOrEqual(2000)
    expect(r.second).toBeGreaterThan(0)
    expect(r.clients).toEqual(['function', 'function', 'function'])
    expect([r.frozen, r.env, r.executionId]).toEqual([true, '1', 'x1'])
  })

  it('routes ctx calls to the host and maps host errors to StratusError', async () => {
    calls.length = 0
    const out = await run(`export default async (e, ctx) => {
      const doc = await ctx.db.collection('posts').doc('p1').get()
      const q = await ctx.db.collection('posts').where('n', '>=', 1).orderBy('n', 'desc').limit(2).get()
      const pub = await ctx.queue.publish('emails', { to: 'a' }, { delayMs: 5 })
      return { doc, q, pub }
    }`)
    expect(out.status).toBe('succeeded')
    expect(calls.map((c) => (c.payload as { method: string; path: string }).path)).toEqual([
      '/db/v1/collections/posts/documents/p1',
      '/db/v1/collections/posts/documents',
      '/queue/v1/emails/messages',
    ])
    expect((calls[1]!.payload as { query: unknown }).query).toEqual({
      where: '[["n",">=",1]]',
      orderBy: '[["n","desc"]]',
      limit: '2',
    })
    // A JSON body is serialised inside the isolate and travels beside the call, as text.
    expect((calls[2]!.payload as { jsonBody: unknown }).jsonBody).toBe(true)
    expect(JSON.parse(calls[2]!.body as string)).toEqual({ payload: { to: 'a' }, delayMs: 5 })
  })

  it('answers a warm call that settles inline without a promise', async () => {
    const s = spec(`export default async (e) => e.n + 1`)
    await pool.prewarm(s)
    const ran = pool.run(s, '{"n":1}', invocation(s))
    expect(ran).not.toBeInstanceOf(Promise)
    expect(ran).toMatchObject({ status: 'succeeded', result: 2, coldStart: false, inline: 'fast' })
  })

  it('runs a function that outgrows its inline slice again, threaded, once and whole', async () => {
    // Busy for 3× the slice: the inline run is stopped and the invocation re-run in a new isolate.
    const s = spec(
      `export default async (e, ctx) => {
        ctx.log.info('start')
        const until = Date.now() + ${INLINE_SLICE_MS * 3}
        while (Date.now() < until) {}
        return 'done'
      }`,
    )
    await pool.prewarm(s)
    const first = await pool.run(s, '{}', invocation(s))
    // Warm, yet a cold start: the re-run's new isolate.
    expect(first).toMatchObject({ status: 'succeeded', result: 'done', coldStart: true })
    expect(first.logs.map((l) => l.msg)).toEqual(['start'])
    const second = await pool.run(s, '{}', invocation(s))
    expect(second).toMatchObject({ status: 'succeeded', result: 'done', coldStart: false })
    expect(second.inline).toBeUndefined()
  })

  it('serves a host call an inline run did not await, once, after its logs', async () => {
    const s = spec(`export default async (e, ctx) => {
      ctx.log.info('one'); ctx.queue.publish('fire', { n: 1 }); ctx.log.info('two'); return 'quick'
    }`)
    const before = calls.length
    const out = await pool.run(s, '{}', invocation(s))
    expect(out).toMatchObject({ status: 'succeeded', result: 'quick', inline: 'fast' })
    expect(out.logs.map((l) => l.msg)).toEqual(['one', 'two'])
    expect(calls.slice(before).map((c) => c.op)).toEqual(['request'])
    // An isolate that called the host may be busy on its own thread: it is never entered inline again.
    const next = await pool.run(s, '{}', invocation(s))
    expect(next).toMatchObject({ status: 'succeeded', result: 'quick' })
    expect(next.inline).toBeUndefined()
  })

  it('enforces the per-function concurrency', async () => {
    const s = spec(
      `export default async () => { await new Promise((r) => setTimeout(r, 100)); return Date.now() }`,
      { concurrency: 1 },
    )
    const t0 = Date.now()
    await Promise.all([
      pool.run(s, '{}', invocation(s)),
      pool.run(s, '{}', invocation(s)),
      pool.run(s, '{}', invocation(s)),
    ])
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290)
  })
})
