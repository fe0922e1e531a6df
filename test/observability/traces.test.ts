import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { deploy, FUNCTIONS_TEST_ENV, publish, service, waitForExecutions } from '../functions/helpers.ts'
import { eventually } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import { allPublished, FLAKY_CODE, OBSERVABILITY_TEST_ENV } from './helpers.ts'

/** A span as GET /admin/v1/traces/{id} answers it. */
interface Span {
  id: string
  parentId?: string
  kind: 'request' | 'event' | 'execution' | 'write' | 'message'
  name: string
  start: string
  end?: string
  status: string
  // biome-ignore lint/suspicious/noExplicitAny: attributes differ by kind; the assertions name them
  attributes: Record<string, any>
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/
const hex = (n: number) =>
  Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('')

/** A caller's traceparent: a fresh trace id and span id, sampled. */
function callerContext(): { traceId: string; spanId: string; header: string } {
  const traceId = hex(32)
  const spanId = hex(16)
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` }
}

/** The trace id and span id of a response's traceparent (fails when it has none). */
function responseContext(res: request.Response): { traceId: string; spanId: string } {
  const match = TRACEPARENT.exec(String(res.headers.traceparent))
  expect(match, `traceparent: ${res.headers.traceparent}`).not.toBeNull()
  return { traceId: match![1]!, spanId: match![2]! }
}

describe.each(LANES)('observability: traces (%s)', (lane) => {
  const t = usePlatform(lane, { ...FUNCTIONS_TEST_ENV, ...OBSERVABILITY_TEST_ENV })

  async function trace(traceId: string): Promise<Span[]> {
    const res = await request(t.url).get(`/admin/v1/traces/${traceId}`).set(service(t))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.traceId).toBe(traceId)
    return res.body.spans
  }

  it('rebuilds one tree: request → event → execution → write → event → three attempts', async () => {
    // A: on each new order, writes a shipment (through ctx, so in the same trace). B: on each new
    // shipment, fails twice, then succeeds (it counts its attempts in documents of its own).
    await deploy(t, 'ship-order', {
      code: `export default async (event, ctx) => {
        const order = event.data.document
        await ctx.db.collection('shipments').doc(order.id).set({ order: order.id })
      }`,
      triggers: [{ type: 'event', event: 'db.document.created', subject: 'collections/orders/documents/*' }],
    })
    await deploy(t, 'notify-shipment', {
      code: FLAKY_CODE,
      retries: 2,
      triggers: [
        { type: 'event', event: 'db.document.created', subject: 'collections/shipments/documents/*' },
      ],
    })
    const caller = callerContext()
    const res = await request(t.url)
      .post('/db/v1/collections/orders/documents')
      .set(service(t))
      .set('traceparent', caller.header)
      .send({ id: 'o1', data: { total: 12 } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    // The answer continues the caller's trace with a span of its own.
    const own = responseContext(res)
    expect(own.traceId).toBe(caller.traceId)
    expect(own.spanId).not.toBe(caller.spanId)

    const attempts = await waitForExecutions(t, 'notify-shipment', 3)
    expect(attempts.map((e) => [e.attempt, e.status]).sort()).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ])
    // The third attempt's own write (its attempt counter) is part of the trace too: wait for its event.
    const spans = (await eventually(async () => {
      const all = await trace(caller.traceId)
      const counters = all.filter(
        (s) => s.kind === 'event' && s.attributes.subject.startsWith('collections/attempts/'),
      )
      return counters.length === 3 ? all : undefined
    }))!

    const byId = new Map(spans.map((s) => [s.id, s]))
    const children = (parent: Span) => spans.filter((s) => s.parentId === parent.id)
    // One tree: every parent is in the answer, one root, nothing derived.
    expect(spans.filter((s) => s.parentId === undefined)).toHaveLength(1)
    for (const s of spans) {
      if (s.parentId !== undefined) expect(byId.has(s.parentId), `parent of ${s.kind} ${s.name}`).toBe(true)
      expect(s.attributes.derived).toBeUndefined()
      expect(Date.parse(s.start)).not.toBeNaN()
    }
    // Oldest first.
    const starts = spans.map((s) => Date.parse(s.start))
    expect([...starts].sort((a, b) => a - b)).toEqual(starts)

    const root = spans.find((s) => s.parentId === undefined)!
    expect(root).toMatchObject({
      id: own.spanId,
      kind: 'request',
      name: expect.stringMatching(/^POST \/db\/v1\/collections\/:\w+\/documents$/),
      status: 'ok',
      attributes: {
        method: 'POST',
        path: '/db/v1/collections/orders/documents',
        statusCode: 201,
        remoteParentId: caller.spanId,
      },
    })
    const [created, ...others] = children(root)
    expect(others).toHaveLength(0)
    expect(created).toMatchObject({
      kind: 'event',
      name: 'db.document.created',
      status: 'published',
      attributes: { type: 'db.document.created', subject: 'collections/orders/documents/o1' },
    })
    expect(created!.attributes.sequence).toEqual(expect.any(Number))
    expect(created!.attributes.id).toEqual(expect.any(String))

    const [shipRun, ...moreRuns] = children(created!)
    expect(moreRuns).toHaveLength(0)
    expect(shipRun).toMatchObject({
      kind: 'execution',
      name: 'ship-order',
      status: 'succeeded',
      attributes: {
        function: 'ship-order',
        version: 1,
        attempt: 1,
        status: 'succeeded',
        trigger: 'event',
        eventId: created!.attributes.id,
        logs: [],
      },
    })
    expect(shipRun!.attributes.durationMs).toEqual(expect.any(Number))

    const [write, ...moreWrites] = children(shipRun!)
    expect(moreWrites).toHaveLength(0)
    expect(write).toMatchObject({
      kind: 'write',
      name: expect.stringMatching(/^PUT \/db\/v1\/collections\/:\w+\/documents\/:\w+$/),
      status: 'ok',
      attributes: { function: 'ship-order', path: '/db/v1/collections/shipments/documents/o1' },
    })
    const [shipment, ...moreEvents] = children(write!)
    expect(moreEvents).toHaveLength(0)
    expect(shipment).toMatchObject({
      kind: 'event',
      name: 'db.document.created',
      attributes: { subject: 'collections/shipments/documents/o1' },
    })
    expect(shipment!.attributes.sequence).toBeGreaterThan(created!.attributes.sequence)

    const runs = children(shipment!)
    expect(runs.map((r) => [r.kind, r.name, r.attributes.attempt, r.status])).toEqual([
      ['execution', 'notify-shipment', 1, 'failed'],
      ['execution', 'notify-shipment', 2, 'failed'],
      ['execution', 'notify-shipment', 3, 'succeeded'],
    ])
    expect(runs[0]!.attributes.error).toMatchObject({ message: 'attempt 1 fails' })
    // Each attempt counted itself through ctx: a write of its own, whose event ends the branch.
    for (const run of runs) {
      const writes = children(run)
      expect(writes.map((w) => w.kind)).toEqual(['write'])
      expect(children(writes[0]!).map((e) => [e.kind, e.attributes.subject])).toEqual([
        ['event', `collections/attempts/documents/${shipment!.attributes.id}`],
      ])
    }
    expect(spans).toHaveLength(1 + 1 + 1 + 1 + 1 + 3 * 3)

    // The events carry the trace as CloudEvents extensions, and list their executions.
    const listed = await request(t.url)
      .get('/admin/v1/events')
      .query({ subject: 'collections/shipments/documents/*' })
      .set(service(t))
    expect(listed.status).toBe(200)
    expect(listed.body.events).toHaveLength(1)
    const event = listed.body.events[0]
    expect(event).toMatchObject({
      specversion: '1.0',
      id: shipment!.attributes.id,
      type: 'db.document.created',
      sequence: shipment!.attributes.sequence,
      traceparent: `00-${caller.traceId}-${shipment!.id}-01`,
      causationid: write!.id,
    })
    expect(
      event.executions.map((e: { function: string; attempt: number; status: string }) => [
        e.function,
        e.attempt,
        e.status,
      ]),
    ).toEqual([
      ['notify-shipment', 1, 'failed'],
      ['notify-shipment', 2, 'failed'],
      ['notify-shipment', 3, 'succeeded'],
    ])
    expect(event.executions.map((e: { id: string }) => e.id)).toEqual(
      runs.map((r) => r.attributes.executionId),
    )
    // The executions API names each run's trace too (the console links an execution to it).
    const executions = await request(t.url)
      .get('/admin/v1/functions/notify-shipment/executions')
      .set(service(t))
    expect(executions.status).toBe(200)
    expect(executions.body.executions.map((e: { traceId?: string }) => e.traceId)).toEqual([
      caller.traceId,
      caller.traceId,
      caller.traceId,
    ])
  })

  it('a request without a traceparent, or with an invalid one, starts a trace of its own', async () => {
    for (const header of [
      undefined,
      'garbage',
      `00-${'A'.repeat(32)}-${'b'.repeat(16)}-01`,
      `00-${'0'.repeat(32)}-${'b'.repeat(16)}-01`,
      `00-${'a'.repeat(32)}-${'0'.repeat(16)}-01`,
      `ff-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01-extra`,
    ]) {
      const call = request(t.url).post('/db/v1/collections/loose/documents').set(service(t))
      if (header !== undefined) call.set('traceparent', header)
      const res = await call.send({ data: { header: header ?? null } })
      expect(res.status, `${header}: ${JSON.stringify(res.body)}`).toBe(201)
      const own = responseContext(res)
      expect(header ?? '').not.toContain(own.traceId)
      await allPublished(t)
      const spans = await trace(own.traceId)
      expect(spans.map((s) => [s.kind, s.parentId === undefined])).toEqual([
        ['request', true],
        ['event', false],
      ])
      expect(spans[0]!.attributes.remoteParentId).toBeUndefined()
    }
    // A later version may carry more fields: its first four are used.
    const caller = callerContext()
    const res = await request(t.url)
      .get('/health')
      .set('traceparent', `01-${caller.traceId}-${caller.spanId}-01-future`)
    expect(responseContext(res).traceId).toBe(caller.traceId)
  })

  it('answers a traceparent on every route, errors and unknown paths included', async () => {
    const caller = callerContext()
    const cases: Array<[string, () => request.Test, number]> = [
      ['health', () => request(t.url).get('/health'), 200],
      ['openapi', () => request(t.url).get('/openapi.json'), 200],
      ['metrics', () => request(t.url).get('/metrics'), 200],
      ['unknown route', () => request(t.url).get('/nope'), 404],
      ['unknown admin route, no credentials', () => request(t.url).get('/admin/v1/nope'), 401],
      ['admin without credentials', () => request(t.url).get('/admin/v1/events'), 401],
      [
        'bad token',
        () => request(t.url).get('/db/v1/collections/x/documents').set('authorization', 'Bearer x'),
        401,
      ],
      [
        'malformed JSON',
        () =>
          request(t.url)
            .post('/db/v1/collections/x/documents')
            .set(service(t))
            .set('content-type', 'application/json')
            .send('{"data":'),
        400,
      ],
      ['URL that does not decode', () => request(t.url).get('/db/v1/collections/%E0%A4%A/documents'), 400],
      [
        'missing document',
        () => request(t.url).get('/db/v1/collections/x/documents/none').set(service(t)),
        404,
      ],
      ['missing function', () => request(t.url).post('/functions/v1/none'), 404],
    ]
    for (const [what, call, status] of cases) {
      const fresh = await call()
      expect(fresh.status, what).toBe(status)
      responseContext(fresh)
      const continued = await call().set('traceparent', caller.header)
      expect(continued.status, what).toBe(status)
      expect(responseContext(continued).traceId, what).toBe(caller.traceId)
    }
    // Browsers may read it from other origins.
    const cors = await request(t.url).get('/health').set('origin', 'https://app.example')
    expect(cors.headers['access-control-expose-headers']).toContain('traceparent')
    const preflight = await request(t.url)
      .options('/db/v1/collections/x/documents')
      .set('origin', 'https://app.example')
      .set('access-control-request-method', 'POST')
    expect(preflight.status).toBeLessThan(300)
    responseContext(preflight)
  })

  it('an HTTP invocation is the parent of its execution, whose writes continue the trace', async () => {
    await deploy(t, 'http-writer', {
      code: `export default async (event, ctx) => {
        await ctx.db.collection('from-http').doc('h1').set({ ok: true })
        return { ok: true }
      }`,
      triggers: [{ type: 'http', public: true }],
    })
    const res = await request(t.url).post('/functions/v1/http-writer').send({})
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const own = responseContext(res)
    const spans = (await eventually(async () => {
      const found = await request(t.url).get(`/admin/v1/traces/${own.traceId}`).set(service(t))
      // The execution's record is written in the background: until then it is derived from its write.
      const recorded = (s: Span) => s.kind === 'execution' && !s.attributes.derived
      return found.status === 200 &&
        found.body.spans.some(recorded) &&
        found.body.spans.some((s: Span) => s.kind === 'event')
        ? (found.body.spans as Span[])
        : undefined
    }))!
    // The invocation request wrote nothing itself, so it keeps no row: it is derived from its execution.
    expect(spans.map((s) => s.kind)).toEqual(['request', 'execution', 'write', 'event'])
    const [caller, run, write, event] = spans as [Span, Span, Span, Span]
    expect(caller).toMatchObject({
      id: own.spanId,
      status: 'unknown',
      attributes: { derived: true, function: 'http-writer' },
    })
    expect(run).toMatchObject({
      parentId: own.spanId,
      attributes: { trigger: 'http', function: 'http-writer' },
    })
    expect(write.parentId).toBe(run.id)
    expect(event).toMatchObject({
      parentId: write.id,
      attributes: { subject: 'collections/from-http/documents/h1' },
    })
  })

  it('queue messages, their retries and dead-letter redrives stay in the trace of the publish', async () => {
    await deploy(t, 'mail-once', {
      code: `export default async (event) => { throw new Error('smtp down') }`,
      retries: 1,
      triggers: [{ type: 'queue', queue: 'mail' }],
    })
    const caller = callerContext()
    const res = await request(t.url)
      .post('/queue/v1/mail/messages')
      .set(service(t))
      .set('traceparent', caller.header)
      .send({ payload: { to: 'ada@example.com' } })
    expect(res.status).toBe(202)
    await waitForExecutions(t, 'mail-once', 2)
    const dead = (await eventually(async () => {
      const list = await request(t.url).get('/admin/v1/dead-letters?function=mail-once').set(service(t))
      return list.body.deadLetters?.[0] as { id: string; event: { traceparent?: string } } | undefined
    }))!
    expect(TRACEPARENT.exec(dead.event.traceparent ?? '')?.[1]).toBe(caller.traceId)
    // Fixed, then retried from the dead-letter list: the redrive runs in the same trace.
    await deploy(t, 'mail-once', {
      code: 'export default async () => "sent"',
      triggers: [{ type: 'queue', queue: 'mail' }],
    })
    const redrive = await request(t.url).post(`/admin/v1/dead-letters/${dead.id}/retry`).set(service(t))
    expect(redrive.status, JSON.stringify(redrive.body)).toBeLessThan(300)
    await waitForExecutions(t, 'mail-once', 1, (e) => e.status === 'succeeded')

    const spans = await trace(caller.traceId)
    const message = spans.find((s) => s.kind === 'message')!
    expect(message).toMatchObject({
      name: 'queue.message.published',
      attributes: { queue: 'mail', id: res.body.id, subject: 'queues/mail' },
    })
    const runs = spans.filter((s) => s.kind === 'execution')
    expect(runs.map((r) => [r.parentId, r.attributes.version, r.attributes.attempt, r.status])).toEqual([
      [message.id, 1, 1, 'failed'],
      [message.id, 1, 2, 'failed'],
      [message.id, 2, 1, 'succeeded'],
    ])
    expect(runs.every((r) => r.attributes.trigger === 'queue')).toBe(true)
  })

  it('loads no OpenTelemetry exporter when no endpoint is configured', () => {
    expect(t.platform.otel).toBeUndefined()
  })

  it('refuses malformed trace ids with 400 and answers 404 for unknown traces', async () => {
    for (const id of [
      'xyz',
      'A'.repeat(32),
      'a'.repeat(31),
      'a'.repeat(33),
      '0'.repeat(32),
      `${'a'.repeat(31)}g`,
    ]) {
      const res = await request(t.url).get(`/admin/v1/traces/${id}`).set(service(t))
      expect(res.status, id).toBe(400)
      expect(res.body.error.code).toBe('request/invalid')
      responseContext(res)
    }
    const unknown = await request(t.url)
      .get(`/admin/v1/traces/${hex(32)}`)
      .set(service(t))
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe('observability/trace-not-found')
  })

  it('lets a viewer admin read traces and events; no credentials get 401, app users 403', async () => {
    const email = `viewer-${hex(8)}@example.com`
    const created = await request(t.url)
      .post('/admin/v1/admins')
      .set(service(t))
      .send({ email, password: 'correct horse battery', role: 'viewer' })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const session = await request(t.url)
      .post('/admin/v1/session')
      .send({ email, password: 'correct horse battery' })
    expect(session.status).toBe(200)
    const viewer = { authorization: `Bearer ${session.body.token}` }

    const res = await request(t.url)
      .post('/db/v1/collections/viewed/documents')
      .set(service(t))
      .send({ data: {} })
    const { traceId } = responseContext(res)
    await allPublished(t)
    const seen = await request(t.url).get(`/admin/v1/traces/${traceId}`).set(viewer)
    expect(seen.status).toBe(200)
    expect(seen.body.spans.length).toBe(2)
    const events = await request(t.url).get('/admin/v1/events?limit=1').set(viewer)
    expect(events.status).toBe(200)

    for (const path of [`/admin/v1/traces/${traceId}`, '/admin/v1/events']) {
      const anon = await request(t.url).get(path)
      expect(anon.status).toBe(401)
      expect(anon.body.error.code).toBe('auth/unauthenticated')
    }
    const user = await request(t.url)
      .post('/auth/v1/signup')
      .send({ email: `user-${hex(8)}@example.com`, password: 'correct horse battery' })
    const asUser = await request(t.url)
      .get('/admin/v1/events')
      .set('authorization', `Bearer ${user.body.session.access_token}`)
    expect(asUser.status).toBe(403)
    expect(asUser.body.error.code).toBe('auth/forbidden')
  })

  it('a queue publish without a traceparent is the root of its message trace', async () => {
    const msg = await publish(t, 'solo', { payload: 1 })
    await allPublished(t)
    const listed = await request(t.url)
      .get('/admin/v1/events')
      .query({ type: 'queue.message.published', subject: 'queues/solo' })
      .set(service(t))
    const event = listed.body.events.find((e: { id: string }) => e.id === msg.id)
    expect(event.causationid).toEqual(expect.stringMatching(/^[0-9a-f]{16}$/))
    const traceId = TRACEPARENT.exec(event.traceparent)![1]!
    const spans = await trace(traceId)
    expect(spans.map((s) => s.kind)).toEqual(['request', 'message'])
  })
})
