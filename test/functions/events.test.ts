import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FUNCTIONS_JOB_QUEUE } from '../../functions-runtime/jobs.ts'
import { eventually } from '../support/lanes.ts'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { deploy, executions, FUNCTIONS_TEST_ENV, publish, service, waitForExecutions } from './helpers.ts'

describe.each(LANES)('functions: event triggers, retries, dead letters (%s)', (lane) => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform(lane, FUNCTIONS_TEST_ENV)
  })
  afterAll(() => t?.close())

  it('runs on matching bus events (type and subject glob), once each, with the event', async () => {
    await deploy(t, 'on-orders', {
      code: `export default async (event, ctx) => { ctx.log.info(event.type, event.subject, JSON.stringify(event.data.payload)) }`,
      triggers: [{ type: 'event', event: 'queue.message.published', subject: 'queues/orders-*' }],
    })
    const a = await publish(t, 'orders-eu', { payload: { n: 1 } })
    const b = await publish(t, 'orders-us', { payload: { n: 2 } })
    await publish(t, 'invoices', { payload: { n: 3 } })
    const list = await waitForExecutions(t, 'on-orders', 2)
    expect(list.map((e) => e.eventId).sort()).toEqual([a.id, b.id].sort())
    expect(list.every((e) => e.trigger === 'event' && e.status === 'succeeded' && e.attempt === 1)).toBe(true)
    expect(list.map((e) => e.logs[0]!.msg).sort()).toEqual([
      'queue.message.published queues/orders-eu {"n":1}',
      'queue.message.published queues/orders-us {"n":2}',
    ])
    await t.platform.functions.drain()
    expect(await executions(t, 'on-orders')).toHaveLength(2)
  })

  it('runs on database events through the same dispatcher', async () => {
    await deploy(t, 'on-posts', {
      code: 'export default async (event, ctx) => { ctx.log.info(event.data.document.id) }',
      triggers: [{ type: 'event', event: 'db.document.created', subject: 'collections/posts/documents/*' }],
    })
    const res = await request(t.url)
      .post('/db/v1/collections/posts/documents')
      .set(service(t))
      .send({ id: 'p1', data: { title: 'hello' } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const [e] = await waitForExecutions(t, 'on-posts', 1)
    expect(e!.logs[0]!.msg).toBe('p1')
  })

  it('retries with backoff, then dead-letters; a retry runs the live version', async () => {
    await deploy(t, 'fragile', {
      code: `export default async (event, ctx) => { throw new Error('fails on ' + event.data.payload.n) }`,
      retries: 2,
      triggers: [{ type: 'queue', queue: 'fragile-q' }],
    })
    const msg = await publish(t, 'fragile-q', { payload: { n: 1 } })
    const attempts = await waitForExecutions(t, 'fragile', 3)
    expect(attempts.map((e) => e.attempt).sort()).toEqual([1, 2, 3])
    expect(
      attempts.every((e) => e.status === 'failed' && e.eventId === msg.id && e.trigger === 'queue'),
    ).toBe(true)
    expect(attempts[0]!.error!.message).toBe('fails on 1')

    const dead = await eventually(async () => {
      const res = await request(t.url).get('/admin/v1/dead-letters?function=fragile').set(service(t))
      return res.body.deadLetters.length ? res.body.deadLetters : undefined
    })
    expect(dead).toHaveLength(1)
    expect(dead[0]).toMatchObject({
      function: 'fragile',
      version: 1,
      trigger: 'queue',
      eventId: msg.id,
      attempts: 3,
      error: { message: 'fails on 1' },
      event: { id: msg.id, type: 'queue.message.published', data: { payload: { n: 1 } } },
    })
    const queues = await request(t.url).get('/admin/v1/queues').set(service(t))
    expect(queues.body.queues.find((q: { name: string }) => q.name === 'fragile-q')).toMatchObject({
      dead: 1,
      depth: 0,
      inFlight: 0,
      consumers: ['fragile'],
    })

    // Fix the function, then redrive: the live version (2) handles the event.
    await deploy(t, 'fragile', {
      code: `export default async (event, ctx) => { ctx.log.info('fixed', event.data.payload.n) }`,
      triggers: [{ type: 'queue', queue: 'fragile-q' }],
    })
    const retry = await request(t.url).post(`/admin/v1/dead-letters/${dead[0].id}/retry`).set(service(t))
    expect(retry.status).toBe(202)
    expect(retry.body).toEqual({ id: dead[0].id, function: 'fragile', version: 2 })
    const [fixed] = await waitForExecutions(t, 'fragile', 1, (e) => e.version === 2)
    expect(fixed).toMatchObject({ status: 'succeeded', eventId: msg.id, trigger: 'queue' })
    expect(fixed!.logs[0]!.msg).toBe('fixed 1')
    const after = await request(t.url).get('/admin/v1/dead-letters?function=fragile').set(service(t))
    expect(after.body.deadLetters).toEqual([])
    const again = await request(t.url).post(`/admin/v1/dead-letters/${dead[0].id}/retry`).set(service(t))
    expect([again.status, again.body.error.code]).toEqual([404, 'functions/not-found'])
  })

  it('an event trigger retries its attempts in order, then dead-letters; with no retries at once', async () => {
    await deploy(t, 'brittle', {
      code: `export default async (event) => { throw new Error('brittle ' + event.data.payload.n) }`,
      retries: 2,
      triggers: [{ type: 'event', event: 'queue.message.published', subject: 'queues/brittle' }],
    })
    await deploy(t, 'no-retry', {
      code: `export default async () => { throw new Error('once only') }`,
      retries: 0,
      triggers: [{ type: 'event', event: 'queue.message.published', subject: 'queues/brittle' }],
    })
    const msg = await publish(t, 'brittle', { payload: { n: 7 } })
    const attempts = await waitForExecutions(t, 'brittle', 3)
    // Newest first: each attempt starts after the one before has failed.
    expect(attempts.map((e) => [e.attempt, e.status, e.trigger])).toEqual([
      [3, 'failed', 'event'],
      [2, 'failed', 'event'],
      [1, 'failed', 'event'],
    ])
    const dead = await eventually(async () => {
      const res = await request(t.url).get('/admin/v1/dead-letters').set(service(t))
      const mine = res.body.deadLetters.filter((d: { eventId: string }) => d.eventId === msg.id)
      return mine.length === 2 ? mine : undefined
    })
    const byFunction = Object.fromEntries(dead.map((d: { function: string }) => [d.function, d]))
    expect(byFunction.brittle).toMatchObject({
      trigger: 'event',
      attempts: 3,
      error: { message: 'brittle 7' },
    })
    expect(byFunction['no-retry']).toMatchObject({
      trigger: 'event',
      attempts: 1,
      error: { message: 'once only' },
    })
    expect(await executions(t, 'no-retry')).toHaveLength(1)
  })

  it('a retry succeeds after a transient failure: no dead letter, one success', async () => {
    // Fails on its first attempt only: the isolate's state survives between attempts of a warm isolate,
    // so the state is kept in the queue instead.
    await deploy(t, 'transient', {
      code: `export default async (event, ctx) => {
        const seen = await ctx.db.collection('transient').doc(event.id).get()
        if (!seen) { await ctx.db.collection('transient').doc(event.id).set({ tried: true }); throw new Error('first try') }
        ctx.log.info('second try')
      }`,
      triggers: [{ type: 'event', event: 'queue.message.published', subject: 'queues/transient' }],
    })
    const msg = await publish(t, 'transient', { payload: {} })
    const list = await waitForExecutions(t, 'transient', 1, (e) => e.status === 'succeeded')
    expect(list).toHaveLength(1)
    const all = await executions(t, 'transient')
    expect(all.map((e) => [e.attempt, e.status])).toEqual([
      [2, 'succeeded'],
      [1, 'failed'],
    ])
    expect(all.every((e) => e.eventId === msg.id)).toBe(true)
    const dl = await request(t.url).get('/admin/v1/dead-letters?function=transient').set(service(t))
    expect(dl.body.deadLetters).toEqual([])
  })

  it('never records two successful executions of one event on one version', async () => {
    await deploy(t, 'once', {
      code: `export default async (event, ctx) => { ctx.log.info('ran') }`,
      triggers: [{ type: 'queue', queue: 'once-q' }],
    })
    const msg = await publish(t, 'once-q', { payload: 1 })
    const [first] = await waitForExecutions(t, 'once', 1)
    // Deliver the same event again under another job id, as a crashed worker's re-run or a duplicate
    // publish outside the job queue's dedup window would: the runtime sees it already succeeded.
    const event = {
      ...((await t.platform.db.query('SELECT data FROM outbox WHERE event_id = $1', [msg.id]))[0]!
        .data as object),
    }
    await t.platform.jobs.add(FUNCTIONS_JOB_QUEUE, [
      {
        id: `once.1.${msg.id}.again`,
        data: {
          kind: 'event',
          function: 'once',
          version: 1,
          trigger: 'queue',
          queue: 'once-q',
          event: {
            id: msg.id,
            type: 'queue.message.published',
            subject: 'queues/once-q',
            time: new Date().toISOString(),
            data: event,
          },
        },
      },
    ])
    await t.platform.functions.drain()
    expect(await executions(t, 'once')).toEqual([first])
    // And the database refuses a second succeeded record outright.
    const inserted = await t.platform.functions.store.insertExecutions([
      { ...first!, id: 'dup1', function: 'once', coldStart: false } as never,
    ])
    expect(inserted.size).toBe(0)
  })

  it('validates dead-letter queries', async () => {
    expect((await request(t.url).get('/admin/v1/dead-letters?limit=0').set(service(t))).status).toBe(400)
    expect(
      (await request(t.url).get('/admin/v1/dead-letters?function=bad.name').set(service(t))).status,
    ).toBe(400)
    const missing = await request(t.url).post('/admin/v1/dead-letters/nope/retry').set(service(t))
    expect([missing.status, missing.body.error.code]).toEqual([404, 'functions/not-found'])
  })
})
