import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { deploy, FUNCTIONS_TEST_ENV, service, waitForExecutions } from './helpers.ts'

/** What crosses the sandbox's boundary is capped (FUNCTIONS_MAX_PAYLOAD_BYTES), and memoryMb by the node. */
const MAX = 256 * 1024

describe.each(LANES)('functions: payload and memory limits (%s)', (lane) => {
  let t: TestPlatform
  // A peer for fetch: /chunked streams without a length, /sized declares it, /small fits.
  let peer: Server
  let peerUrl: string
  beforeAll(async () => {
    peer = createServer((req, res) => {
      if (req.url === '/small') return res.end('small body')
      if (req.url === '/sized') {
        res.setHeader('content-length', String(MAX * 4))
        return res.end(Buffer.alloc(MAX * 4, 1))
      }
      res.write(Buffer.alloc(MAX, 1))
      res.end(Buffer.alloc(MAX, 1))
    })
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve))
    peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`
    t = await startTestPlatform(lane, {
      ...FUNCTIONS_TEST_ENV,
      FUNCTIONS_MAX_PAYLOAD_BYTES: String(MAX),
      FUNCTIONS_MAX_MEMORY_MB: '512',
      FUNCTIONS_ALLOW_FETCH: 'true',
    })
    await request(t.url).put('/admin/v1/buckets/big').set(service(t)).send({}).expect(201)
  })
  afterAll(async () => {
    await t?.close()
    peer?.close()
  })

  it('answers a too-large result with 502 functions/result-too-large, and records the failure', async () => {
    await deploy(t, 'huge', {
      code: `export default async (event) => 'x'.repeat(Number(event.data.query.n))`,
      triggers: [{ type: 'http', public: true }],
      memoryMb: 256,
    })
    const res = await request(t.url)
      .get('/functions/v1/huge')
      .query({ n: String(20 * 1024 * 1024) })
    expect(res.status).toBe(502)
    expect(res.body.error.code).toBe('functions/result-too-large')
    expect(res.body.error.details.executionId).toEqual(expect.any(String))
    // The node kept serving meanwhile and after.
    await request(t.url).get('/health').expect(200)
    const ok = await request(t.url).get('/functions/v1/huge').query({ n: '1000' })
    expect(ok.status).toBe(200)
    expect(ok.body).toHaveLength(1000)
    // HTTP executions are recorded in batches: wait for it.
    const failed = await waitForExecutions(t, 'huge', 1, (e) => e.status === 'failed')
    expect(failed[0]!.error).toMatchObject({ name: 'ResultTooLargeError' })
  })

  it('refuses downloads and ctx answers larger than the cap without buffering them', async () => {
    const bytes = Buffer.alloc(MAX + 1, 7)
    await request(t.url)
      .put('/storage/v1/object/big/large.bin')
      .set(service(t))
      .set('content-type', 'application/octet-stream')
      .send(bytes)
      .expect(200)
    await request(t.url)
      .put('/storage/v1/object/big/small.bin')
      .set(service(t))
      .set('content-type', 'application/octet-stream')
      .send(Buffer.alloc(MAX, 1))
      .expect(200)
    await request(t.url)
      .put('/storage/v1/object/big/empty.bin')
      .set(service(t))
      .set('content-type', 'application/octet-stream')
      .send(Buffer.alloc(0))
      .expect(200)
    await deploy(t, 'reader', {
      code: `export default async (event, ctx) => {
        const out = {}
        try { await ctx.storage.from('big').download('large.bin'); out.large = 'read' } catch (e) { out.large = e.code }
        out.small = (await ctx.storage.from('big').download('small.bin')).size
        out.empty = (await ctx.storage.from('big').download('empty.bin')).size
        try { await ctx.storage.from('big').download('missing.bin') } catch (e) { out.missing = e.code }
        return out
      }`,
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).post('/functions/v1/reader')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toEqual({
      large: 'request/too-large',
      small: MAX,
      empty: 0,
      missing: 'storage/not-found',
    })
  })

  it('reads a fetch response only up to the cap', async () => {
    await deploy(t, 'fetcher', {
      code: `export default async (event, ctx) => {
        const out = {}
        for (const path of ['/small', '/sized', '/chunked']) {
          try { out[path] = await (await fetch(${JSON.stringify(peerUrl)} + path)).text() } catch (e) { out[path] = e.code }
        }
        return out
      }`,
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).post('/functions/v1/fetcher')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toEqual({
      '/small': 'small body',
      '/sized': 'request/too-large',
      '/chunked': 'request/too-large',
    })
  })

  it('refuses a ctx write larger than the cap inside the function', async () => {
    await deploy(t, 'writer', {
      code: `export default async (event, ctx) => {
        try { await ctx.db.collection('c').add({ s: 'x'.repeat(${MAX} + 10) }); return 'written' } catch (e) { return e.code }
      }`,
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).post('/functions/v1/writer')
    expect(res.body).toBe('request/too-large')
  })

  it('refuses a deploy asking for more memory than the node gives', async () => {
    const res = await request(t.url)
      .put('/admin/v1/functions/greedy')
      .set(service(t))
      .send({ code: 'export default async () => 1', memoryMb: 1024, triggers: [] })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('request/invalid')
    expect(res.body.error.message).toMatch(/FUNCTIONS_MAX_MEMORY_MB/)
    await request(t.url)
      .put('/admin/v1/functions/modest')
      .set(service(t))
      .send({ code: 'export default async () => 1', memoryMb: 512, triggers: [] })
      .expect(201)
  })
})
