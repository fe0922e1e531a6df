import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../services/core/config.ts'
import { createLogger } from '../../services/core/logger.ts'
import { createPlatform, type Platform } from '../../services/platform.ts'
import {
  deploy,
  executions,
  FUNCTIONS_TEST_ENV,
  type Server,
  service,
  waitForExecutions,
} from '../functions/helpers.ts'
import { eventually, TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/lanes.ts'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'
import {
  FLAKY_CODE,
  gbSeconds,
  OBSERVABILITY_TEST_ENV,
  type SeriesBody,
  series,
  total,
  usage,
} from './helpers.ts'

// Two platforms in one process, sharing Postgres and Redis: what two nodes of a cluster share.
describe.skipIf(!TEST_DATABASE_URL || !TEST_REDIS_URL)('observability across two nodes (real)', () => {
  let a: TestPlatform
  let b: Platform
  let bServer: Server
  beforeAll(async () => {
    a = await startTestPlatform('real', { ...FUNCTIONS_TEST_ENV, ...OBSERVABILITY_TEST_ENV })
    const config = loadConfig(a.env)
    b = await createPlatform(config, 'all', createLogger(config.log.level))
    bServer = { url: await b.app!.listen({ host: '127.0.0.1', port: 0 }), serviceKey: a.serviceKey }
  })
  afterAll(async () => {
    await b?.close()
    await a?.close()
  })
  const flushBoth = () => Promise.all([a.platform.observability.flush(), b.observability.flush()])

  it('sums requests and executions across nodes, and meters retries exactly', async () => {
    await flushBoth()
    const before = await series(a, 'requests', { groupBy: 'service,status' })
    await deploy(a, 'hello2', {
      code: 'export default async () => 1',
      memoryMb: 32,
      triggers: [{ type: 'http', public: true }],
    })
    await deploy(a, 'flaky2', {
      code: FLAKY_CODE,
      memoryMb: 256,
      retries: 2,
      triggers: [{ type: 'queue', queue: 'flaky2' }],
    })
    // Each node serves some of the calls (b learns of new functions from the database).
    const calls: Array<[Server, number]> = [
      [a, 3],
      [bServer, 2],
    ]
    for (const [server, n] of calls) {
      for (let i = 0; i < n; i++) {
        const res = await request(server.url).post('/functions/v1/hello2')
        expect(res.status, JSON.stringify(res.body)).toBe(200)
      }
    }
    for (const server of [a, bServer]) {
      const res = await request(server.url)
        .post('/queue/v1/flaky2/messages')
        .set(service(server))
        .send({ payload: 1 })
      expect(res.status).toBe(202)
    }
    await waitForExecutions(a, 'flaky2', 2, (e) => e.status === 'succeeded', 60_000)
    // Responses are counted when their connection closes, a moment after the client has them: flush
    // until all are in.
    // (Only the test calls /functions and /queue here; the flaky handler's ctx.db calls count under db.)
    const delta = (body: SeriesBody, service: string) =>
      total(body, { service, status: '2xx' }) - total(before, { service, status: '2xx' })
    const after = (await eventually(async () => {
      await flushBoth()
      const body = await series(bServer, 'requests', { groupBy: 'service,status' })
      return delta(body, 'functions') >= 5 && delta(body, 'queue') >= 2 ? body : undefined
    })) as SeriesBody
    expect(delta(after, 'functions')).toBe(5)
    expect(delta(after, 'queue')).toBe(2)
    const runs = await series(a, 'function_executions', { groupBy: 'function' })
    expect(total(runs, { function: 'hello2' })).toBe(5)

    const flaky = await executions(a, 'flaky2')
    expect(flaky).toHaveLength(6)
    const u = await usage(bServer)
    expect(u.functions.find((f) => f.name === 'hello2')).toMatchObject({ invocations: 5, failures: 0 })
    const metered = u.functions.find((f) => f.name === 'flaky2')
    expect(metered).toMatchObject({ invocations: 6, failures: 4 })
    expect(metered!.gbSeconds).toBeCloseTo(
      gbSeconds(
        256,
        flaky.map((e) => e.durationMs),
      ),
      12,
    )
  })

  it('rebuilds a trace written through one node from the other', async () => {
    await deploy(a, 'on-crossing', {
      code: `export default async (event, ctx) => { await ctx.db.collection('crossed').doc(event.data.document.id).set({}) }`,
      triggers: [
        { type: 'event', event: 'db.document.created', subject: 'collections/crossing/documents/*' },
      ],
    })
    const traceId = '5f0c3b6e1d2a4c8b9e7f6a5b4c3d2e1f'
    const res = await request(bServer.url)
      .post('/db/v1/collections/crossing/documents')
      .set(service(bServer))
      .set('traceparent', `00-${traceId}-1122334455667788-01`)
      .send({ id: 'x1', data: {} })
    expect(res.status).toBe(201)
    // Whichever node ran the function and wrote each row, node a answers with the whole tree.
    const spans = await eventually(async () => {
      const found = await request(a.url).get(`/admin/v1/traces/${traceId}`).set(service(a))
      const list = (found.body.spans ?? []) as Array<{ kind: string; attributes: { derived?: boolean } }>
      return list.length === 5 && list.every((s) => !s.attributes.derived) ? list : undefined
    })
    expect(spans!.map((s) => s.kind)).toEqual(['request', 'event', 'execution', 'write', 'event'])
  })

  it('lists both nodes while they run, and a closed one no more', async () => {
    const res = await request(a.url).get('/admin/v1/nodes').set(service(a))
    expect(res.status).toBe(200)
    const ids = res.body.nodes.map((n: { id: string }) => n.id)
    expect(ids.sort()).toEqual([a.platform.observability.nodeId, b.observability.nodeId].sort())
    await b.close()
    const later = await request(a.url).get('/admin/v1/nodes').set(service(a))
    expect(later.body.nodes.map((n: { id: string }) => n.id)).toEqual([a.platform.observability.nodeId])
  })
})
