import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signUp } from '../auth/helpers.ts'
import {
  deploy,
  executions,
  FUNCTIONS_TEST_ENV,
  publish,
  service,
  waitForExecutions,
} from '../functions/helpers.ts'
import { eventually } from '../support/lanes.ts'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'

async function queueStats(t: TestPlatform, name: string) {
  const res = await request(t.url).get('/admin/v1/queues').set(service(t))
  expect(res.status).toBe(200)
  return res.body.queues.find((q: { name: string }) => q.name === name)
}

describe.each(LANES)('queues (%s)', (lane) => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform(lane, { ...FUNCTIONS_TEST_ENV, RATE_LIMIT_SIGNUP: '0' })
  })
  afterAll(() => t?.close())

  it('feeds published messages to the queue trigger, with the message as event data', async () => {
    await deploy(t, 'mailer', {
      code: `export default async (event, ctx) => { ctx.log.info(event.type, event.subject, event.data.id, JSON.stringify(event.data.payload)) }`,
      triggers: [{ type: 'queue', queue: 'emails' }],
    })
    const msg = await publish(t, 'emails', { payload: { to: 'a@example.test' } })
    expect(msg).toEqual({ id: expect.any(String), duplicate: false })
    const [e] = await waitForExecutions(t, 'mailer', 1)
    expect(e).toMatchObject({ trigger: 'queue', status: 'succeeded', eventId: msg.id })
    expect(e!.logs[0]!.msg).toBe(`queue.message.published queues/emails ${msg.id} {"to":"a@example.test"}`)
    const events = await t.platform.db.query('SELECT type, subject, data FROM outbox WHERE event_id = $1', [
      msg.id,
    ])
    expect(events).toEqual([
      {
        type: 'queue.message.published',
        subject: 'queues/emails',
        data: { id: msg.id, payload: { to: 'a@example.test' } },
      },
    ])
  })

  it('delays a message by delayMs', async () => {
    await deploy(t, 'later', {
      code: 'export default async () => {}',
      triggers: [{ type: 'queue', queue: 'later' }],
    })
    const sent = Date.now()
    const msg = await publish(t, 'later', { payload: 'x', delayMs: 1500 })
    expect((await queueStats(t, 'later')).depth).toBeGreaterThanOrEqual(1)
    const [e] = await waitForExecutions(t, 'later', 1)
    expect(e!.eventId).toBe(msg.id)
    expect(Date.parse(e!.startedAt) - sent).toBeGreaterThanOrEqual(1400)
  })

  it('drops a repeated dedupId: same id back, one delivery', async () => {
    await deploy(t, 'dedup', {
      code: 'export default async () => {}',
      triggers: [{ type: 'queue', queue: 'dedup' }],
    })
    const a = await publish(t, 'dedup', { payload: 1, dedupId: 'order-42' })
    const b = await publish(t, 'dedup', { payload: 2, dedupId: 'order-42' })
    const c = await publish(t, 'dedup', { payload: 3, dedupId: 'order-43' })
    expect(b).toEqual({ id: a.id, duplicate: true })
    expect(c.id).not.toBe(a.id)
    await waitForExecutions(t, 'dedup', 2)
    await t.platform.functions.drain()
    expect((await executions(t, 'dedup')).map((e) => e.eventId).sort()).toEqual([a.id, c.id].sort())
  })

  it('keeps messages until a consumer is deployed, counting them in the depth', async () => {
    const first = await publish(t, 'backlog', { payload: 1 })
    const second = await publish(t, 'backlog', { payload: 2 })
    await t.platform.functions.drain()
    expect(await queueStats(t, 'backlog')).toMatchObject({
      name: 'backlog',
      depth: 2,
      inFlight: 0,
      dead: 0,
      consumers: [],
    })
    await deploy(t, 'late-consumer', {
      code: 'export default async () => {}',
      triggers: [{ type: 'queue', queue: 'backlog' }],
    })
    const list = await waitForExecutions(t, 'late-consumer', 2)
    expect(list.map((e) => e.eventId).sort()).toEqual([first.id, second.id].sort())
    await eventually(async () => (await queueStats(t, 'backlog')).depth === 0, 10_000, 'an empty backlog')
  })

  it('reports how long the oldest ready message has waited, and published/processed rates', async () => {
    const a = await publish(t, 'aging', { payload: 1 })
    await publish(t, 'aging', { payload: 2 })
    await publish(t, 'aging', { payload: 3, delayMs: 60_000 })
    // Nobody consumes it yet: the messages wait in the database, the delayed one is not ready.
    const waited = await eventually(async () => {
      const q = await queueStats(t, 'aging')
      return q.oldestAgeSeconds >= 0.2 ? q : undefined
    })
    const [{ created }] = (await t.platform.db.query(
      'SELECT created_at AS created FROM queue_messages WHERE id = $1',
      [a.id],
    )) as [{ created: Date }]
    expect(waited.oldestAgeSeconds).toBeLessThanOrEqual((Date.now() - created.getTime()) / 1000 + 0.5)
    expect(waited).toMatchObject({ depth: 3, publishedPerMinute: expect.any(Number), processedPerMinute: 0 })

    await deploy(t, 'ager', {
      code: 'export default async () => {}',
      triggers: [{ type: 'queue', queue: 'aging' }],
    })
    await waitForExecutions(t, 'ager', 2)
    // Rates come from the per-minute rollups: as soon as this node has flushed them. (No drain: the
    // delayed message waits in the job queue with Redis.)
    const after = await eventually(async () => {
      await t.platform.observability.flush()
      const q = await queueStats(t, 'aging')
      return q.processedPerMinute >= 2 / 5 && q.oldestAgeSeconds === 0 ? q : undefined
    })
    // Three published and two handled over the last five minutes.
    expect(after).toMatchObject({ publishedPerMinute: 3 / 5, processedPerMinute: 2 / 5, oldestAgeSeconds: 0 })
    const series = await request(t.url)
      .get('/admin/v1/metrics/series?metric=queue_processed&groupBy=queue')
      .set(service(t))
    expect(series.body.series).toEqual(
      expect.arrayContaining([expect.objectContaining({ labels: { queue: 'aging' } })]),
    )
  })

  it('ctx.queue.publish from a function feeds another function', async () => {
    await deploy(t, 'producer', {
      code: `export default async (event, ctx) => ctx.queue.publish('chain', { from: 'producer', n: event.data.body.n }, { dedupId: 'n' + event.data.body.n })`,
      triggers: [{ type: 'http', public: true }],
    })
    await deploy(t, 'consumer', {
      code: `export default async (event, ctx) => { ctx.log.info(JSON.stringify(event.data.payload)) }`,
      triggers: [{ type: 'queue', queue: 'chain' }],
    })
    const res = await request(t.url).post('/functions/v1/producer').send({ n: 7 })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ id: expect.any(String), duplicate: false })
    const [e] = await waitForExecutions(t, 'consumer', 1)
    expect(e!.eventId).toBe(res.body.id)
    expect(JSON.parse(e!.logs[0]!.msg)).toEqual({ from: 'producer', n: 7 })
  })

  it('lets only the service key publish, unless a queue rule allows the caller', async () => {
    const anon = await request(t.url).post('/queue/v1/guarded/messages').send({ payload: 1 })
    expect([anon.status, anon.body.error.code]).toEqual([401, 'auth/unauthenticated'])
    const user = await signUp(t)
    const denied = await request(t.url)
      .post('/queue/v1/guarded/messages')
      .set('authorization', `Bearer ${user.access}`)
      .send({ payload: 1 })
    expect([denied.status, denied.body.error.code]).toEqual([403, 'auth/forbidden'])
    const rule = await request(t.url)
      .put('/admin/v1/queues/guarded')
      .set(service(t))
      .send({ rules: { publish: 'auth != null && request.data.size < 10' } })
    expect(rule.status).toBe(200)
    const allowed = await request(t.url)
      .post('/queue/v1/guarded/messages')
      .set('authorization', `Bearer ${user.access}`)
      .send({ payload: { size: 3 } })
    expect(allowed.status).toBe(202)
    const tooBig = await request(t.url)
      .post('/queue/v1/guarded/messages')
      .set('authorization', `Bearer ${user.access}`)
      .send({ payload: { size: 30 } })
    expect(tooBig.status).toBe(403)
    const badRule = await request(t.url)
      .put('/admin/v1/queues/guarded')
      .set(service(t))
      .send({ rules: { publish: 'auth ==' } })
    expect([badRule.status, badRule.body.error.code]).toEqual([400, 'request/invalid'])
  })

  it.each([
    ['/queue/v1/q/messages', {}],
    ['/queue/v1/q/messages', { payload: 1, delayMs: -1 }],
    ['/queue/v1/q/messages', { payload: 1, extra: true }],
    ['/queue/v1/q/messages', { payload: 1, dedupId: '' }],
    ['/queue/v1/bad%20name/messages', { payload: 1 }],
  ])('rejects %s %j with 400', async (path, body) => {
    const res = await request(t.url).post(path).set(service(t)).send(body)
    expect([res.status, res.body.error.code]).toEqual([400, 'request/invalid'])
  })

  it('a malformed body is a 400, never a 500', async () => {
    const res = await request(t.url)
      .post('/queue/v1/q/messages')
      .set(service(t))
      .set('content-type', 'application/json')
      .send('{"payload": ')
    expect(res.status).toBe(400)
  })
})
