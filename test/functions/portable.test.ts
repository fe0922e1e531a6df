import { readFileSync } from 'node:fs'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signUp } from '../auth/helpers.ts'
import { eventually } from '../support/lanes.ts'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import {
  deploy,
  type ExecutionView,
  executions,
  FUNCTIONS_TEST_ENV,
  publish,
  service,
  waitForExecutions,
} from './helpers.ts'

/**
 * One module, deployed once with an HTTP, a queue and an event trigger. Nothing in it is Stratus's
 * own but the guarded `context.stratus`: it would run on AWS Lambda behind API Gateway (REST, proxy
 * integration) and an SQS event source as it is.
 */
const PORTABLE_MODULE = `
export const handler = async (event, context) => {
  if (event.specversion) {
    console.log('cloudevent', event.type, event.subject)
    return
  }
  if (event.Records) {
    const batchItemFailures = []
    for (const record of event.Records) {
      const order = JSON.parse(record.body)
      console.log('record', JSON.stringify({
        messageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        awsRequestId: context.awsRequestId,
        left: context.getRemainingTimeInMillis(),
        eventSource: record.eventSource,
        arn: record.eventSourceARN,
      }))
      if (order.fail === 'throw') throw new Error('cannot take order ' + order.id)
      if (order.fail === 'report') {
        batchItemFailures.push({ itemIdentifier: record.messageId })
        continue
      }
      if (context.stratus) await context.stratus.db.collection('shop-orders').doc(order.id).set(order)
    }
    return { batchItemFailures }
  }
  if (event.path === '/malformed') return { hello: 'world' }
  if (event.path === '/throw') throw new Error('boom')
  if (event.path === '/echo-bytes') {
    return {
      statusCode: 200,
      headers: { 'content-type': event.headers['content-type'] },
      body: event.body,
      isBase64Encoded: event.isBase64Encoded,
    }
  }
  const first = context.getRemainingTimeInMillis()
  await new Promise((resolve) => setTimeout(resolve, 25))
  const second = context.getRemainingTimeInMillis()
  return {
    statusCode: 201,
    headers: { 'content-type': 'application/json', 'x-request-id': context.awsRequestId },
    multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] },
    body: JSON.stringify({ event, awsRequestId: context.awsRequestId, first, second, arn: context.invokedFunctionArn }),
  }
}
`

const TIMEOUT_MS = 5000

/** The example of docs/functions.md ("Portable handlers"), which must run as documented. */
function documentedExample(): string {
  const doc = readFileSync(new URL('../../docs/functions.md', import.meta.url), 'utf8')
  const block = /```js\n(\/\/ orders\.js[^\n]*\n[\s\S]*?)```/.exec(doc)
  expect(block, 'the orders.js example in docs/functions.md').not.toBeNull()
  return block![1]!
}

describe.each(LANES)('functions: portable (Lambda-style) handlers (%s)', (lane) => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform(lane, { ...FUNCTIONS_TEST_ENV, RATE_LIMIT_SIGNUP: '0' })
    const res = await request(t.url)
      .put('/admin/v1/functions/shop')
      .set(service(t))
      .send({
        code: PORTABLE_MODULE,
        timeoutMs: TIMEOUT_MS,
        retries: 1,
        triggers: [
          { type: 'http', public: true },
          { type: 'queue', queue: 'orders' },
          { type: 'event', event: 'db.document.created', subject: 'collections/shop-orders/documents/*' },
        ],
      })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    // Which export runs is decided at deploy, once for the version.
    expect(res.body).toEqual({ name: 'shop', version: 1, entry: 'handler' })
  })
  afterAll(() => t?.close())

  it('shows the export a version runs', async () => {
    const fn = await request(t.url).get('/admin/v1/functions/shop').set(service(t))
    expect(fn.body.versions[0].entry).toBe('handler')
    const v = await request(t.url).get('/admin/v1/functions/shop/versions/1').set(service(t))
    expect(v.body.entry).toBe('handler')
    expect(await deploy(t, 'classic', { code: 'export default async () => 1', triggers: [] })).toBe(1)
    const classic = await request(t.url).get('/admin/v1/functions/classic').set(service(t))
    expect(classic.body.versions[0].entry).toBe('default')
  })

  it('refuses a module with neither a default export nor a handler, as before', async () => {
    const res = await request(t.url)
      .put('/admin/v1/functions/neither')
      .set(service(t))
      .send({ code: 'export const main = async () => 1', triggers: [] })
    expect([res.status, res.body.error.code]).toEqual([400, 'functions/invalid-code'])
    expect(res.body.error.message).toMatch(/default function .* or a Lambda-style handler/)
  })

  it('HTTP: an API Gateway proxy event in, the proxy response out', async () => {
    const user = await signUp(t)
    const raw = '{ "qty" : 1.50 }'
    const res = await request(t.url)
      .post('/functions/v1/shop/orders/42?tag=a&tag=b&q=x')
      .set('Content-Type', 'application/json')
      // Sent as one header line per value (superagent's types admit an array only for Cookie).
      .set('X-Multi', ['1', '2'] as unknown as string)
      .set('authorization', `Bearer ${user.access}`)
      .send(raw)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.headers['content-type']).toBe('application/json')
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2'])
    const executionId = res.headers['x-stratus-execution-id']
    expect(res.headers['x-request-id']).toBe(executionId)

    const { event, awsRequestId, first, second, arn } = res.body
    expect(awsRequestId).toBe(executionId)
    expect(arn).toBe('arn:stratus:functions:local:000000000000:function:shop:1')
    expect(event).toMatchObject({
      resource: '/{proxy+}',
      path: '/orders/42',
      httpMethod: 'POST',
      queryStringParameters: { tag: 'b', q: 'x' },
      multiValueQueryStringParameters: { tag: ['a', 'b'], q: ['x'] },
      pathParameters: { proxy: 'orders/42' },
      stageVariables: null,
      // The bytes as sent, not the parsed JSON serialised again.
      body: raw,
      isBase64Encoded: false,
      requestContext: {
        stage: 'v1',
        path: '/functions/v1/shop/orders/42',
        resourcePath: '/{proxy+}',
        httpMethod: 'POST',
        identity: { sourceIp: '127.0.0.1' },
        authorizer: { principalId: user.uid, claims: { sub: user.uid, email: user.email } },
      },
    })
    // Header names as the client spelled them; a repeated header once per value.
    expect(event.headers).toMatchObject({ 'Content-Type': 'application/json', 'X-Multi': '2' })
    expect(event.multiValueHeaders['X-Multi']).toEqual(['1', '2'])
    expect(event.headers.authorization).toBe(`Bearer ${user.access}`)

    // The remaining time counts down from the timeout.
    expect(first).toBeLessThanOrEqual(TIMEOUT_MS)
    expect(second).toBeGreaterThan(0)
    expect(first - second).toBeGreaterThanOrEqual(20)

    // awsRequestId is the execution id; requestContext.requestId is the event id it records.
    const [execution] = await waitForExecutions(t, 'shop', 1, (e) => e.id === executionId)
    expect(execution).toMatchObject({
      trigger: 'http',
      status: 'succeeded',
      eventId: event.requestContext.requestId,
    })
  })

  it('HTTP: no body and no query are null, an anonymous caller has no authorizer', async () => {
    const res = await request(t.url).get('/functions/v1/shop')
    expect(res.status).toBe(201)
    expect(res.body.event).toMatchObject({
      resource: '/',
      path: '/',
      httpMethod: 'GET',
      body: null,
      isBase64Encoded: false,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
    })
    expect(res.body.event.requestContext).not.toHaveProperty('authorizer')
  })

  it('HTTP: binary bodies travel in base64 both ways and come out as the same bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255, 0x89, 0x50, 0x4e, 0x47])
    const res = await fetch(`${t.url}/functions/v1/shop/echo-bytes`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes)
    // Text bodies stay text.
    const text = await request(t.url)
      .post('/functions/v1/shop/echo-bytes')
      .set('content-type', 'text/plain; charset=utf-8')
      .send('héllo')
    expect([text.status, text.text, text.headers['content-type']]).toEqual([
      200,
      'héllo',
      'text/plain; charset=utf-8',
    ])
  })

  it('HTTP: a rerun builds the proxy event from the request it is given, and answers the proxy response', async () => {
    const first = await request(t.url).get('/functions/v1/shop/echo-bytes').set('content-type', 'text/plain')
    const id = first.headers['x-stratus-execution-id']
    await waitForExecutions(t, 'shop', 1, (e) => e.id === id)
    const rerun = (body: string, type: string) =>
      request(t.url)
        .post(`/admin/v1/executions/${id}/rerun`)
        .set(service(t))
        .send({ request: { method: 'POST', path: '/echo-bytes', headers: { 'content-type': type }, body } })
    const text = await rerun('again', 'text/plain')
    expect(text.status, JSON.stringify(text.body)).toBe(200)
    expect(text.body).toMatchObject({
      status: 'succeeded',
      response: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'again' },
    })
    expect(text.body.response).not.toHaveProperty('isBase64Encoded')
    // Without the request as received, the event is built from the one given: as on the live path,
    // a body of a binary type reaches the handler in base64.
    const orders = await request(t.url)
      .post(`/admin/v1/executions/${id}/rerun`)
      .set(service(t))
      .send({
        request: {
          method: 'PUT',
          path: '/orders/7',
          headers: { 'content-type': 'application/octet-stream' },
          body: 'raw',
        },
      })
    expect(orders.body.response.status).toBe(201)
    expect(JSON.parse(orders.body.response.body).event).toMatchObject({
      httpMethod: 'PUT',
      path: '/orders/7',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from('raw').toString('base64'),
      isBase64Encoded: true,
      requestContext: { identity: { sourceIp: '127.0.0.1' } },
    })
  })

  it('HTTP: a result that is not a proxy response is 502 functions/malformed-response; a throw is 500', async () => {
    const res = await request(t.url).get('/functions/v1/shop/malformed')
    expect([res.status, res.body.error.code]).toEqual([502, 'functions/malformed-response'])
    expect(res.body.error.message).toMatch(/Malformed Lambda proxy response: unexpected key "hello"/)
    const id = res.body.error.details.executionId
    const [failed] = await waitForExecutions(t, 'shop', 1, (e) => e.id === id)
    expect(failed).toMatchObject({ status: 'failed', error: { name: 'MalformedProxyResponseError' } })

    const thrown = await request(t.url).get('/functions/v1/shop/throw')
    expect([thrown.status, thrown.body.error.code]).toEqual([500, 'functions/failed'])
  })

  it('queue: an SQS batch of one record, processed once; the record it writes reaches the event trigger as a CloudEvent', async () => {
    const msg = await publish(t, 'orders', { payload: { id: 'o-1', qty: 2 } })
    const [run] = await waitForExecutions(
      t,
      'shop',
      1,
      (e) => e.eventId === msg.id && e.status === 'succeeded',
    )
    expect(run!.trigger).toBe('queue')
    const record = recordLog(run!)
    expect(record).toMatchObject({
      messageId: msg.id,
      receiveCount: '1',
      awsRequestId: run!.id,
      eventSource: 'aws:sqs',
      arn: 'arn:stratus:queue:local:000000000000:orders',
    })
    expect(record.left).toBeGreaterThan(0)
    expect(record.left).toBeLessThanOrEqual(TIMEOUT_MS)

    const doc = await request(t.url).get('/db/v1/collections/shop-orders/documents/o-1').set(service(t))
    expect(doc.body.data).toEqual({ id: 'o-1', qty: 2 })
    const [onEvent] = await waitForExecutions(t, 'shop', 1, (e) => e.trigger === 'event')
    expect(onEvent!.logs.map((l) => l.msg)).toEqual([
      'cloudevent db.document.created collections/shop-orders/documents/o-1',
    ])

    await t.platform.functions.drain()
    const forMessage = (await executions(t, 'shop')).filter((e) => e.eventId === msg.id)
    expect(forMessage.map((e) => e.status)).toEqual(['succeeded'])
  })

  it.each([
    ['reports it in batchItemFailures', 'report', 'BatchItemFailure', /reported message .* as failed/],
    ['throws', 'throw', 'Error', /cannot take order/],
  ])(
    'queue: a handler that %s has the message retried, then dead-lettered',
    async (_what, fail, name, message) => {
      const msg = await publish(t, 'orders', { payload: { id: `bad-${fail}`, fail } })
      const attempts = await waitForExecutions(t, 'shop', 2, (e) => e.eventId === msg.id)
      expect(attempts.map((e) => [e.attempt, e.status, e.error?.name]).sort()).toEqual([
        [1, 'failed', name],
        [2, 'failed', name],
      ])
      // Each delivery says which it is, and has its own awsRequestId.
      expect(attempts.map((e) => recordLog(e).receiveCount).sort()).toEqual(['1', '2'])
      expect(attempts.every((e) => recordLog(e).awsRequestId === e.id)).toBe(true)

      const dead = await eventually(async () => {
        const res = await request(t.url).get('/admin/v1/dead-letters?function=shop').set(service(t))
        return res.body.deadLetters.find((d: { eventId: string }) => d.eventId === msg.id)
      })
      expect(dead).toMatchObject({ trigger: 'queue', attempts: 2, queue: 'orders', error: { name } })
      expect(dead.error.message).toMatch(message)
    },
  )
})

describe.each(LANES)('functions: the documented portable handler (%s)', (lane) => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform(lane, FUNCTIONS_TEST_ENV)
  })
  afterAll(() => t?.close())

  it('runs on an HTTP and a queue trigger as docs/functions.md says', async () => {
    await deploy(t, 'orders', {
      code: documentedExample(),
      triggers: [
        { type: 'http', public: true },
        { type: 'queue', queue: 'orders' },
      ],
    })
    const res = await request(t.url).get('/functions/v1/orders?name=docs')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      hello: 'docs',
      requestId: res.headers['x-stratus-execution-id'],
      msLeft: expect.any(Number),
    })
    expect(res.body.msLeft).toBeGreaterThan(0)

    const msg = await publish(t, 'orders', { payload: { id: 7, item: 'tea' } })
    const [run] = await waitForExecutions(t, 'orders', 1, (e) => e.eventId === msg.id)
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'queue' })
    expect(run!.logs.map((l) => l.msg)).toEqual(['stored order 7 delivery 1'])
    const doc = await request(t.url).get('/db/v1/collections/orders/documents/7').set(service(t))
    expect(doc.body.data).toEqual({ id: 7, item: 'tea' })

    // A message it cannot store (a payload that is not an object) is reported in batchItemFailures:
    // retried, then dead-lettered.
    const bad = await publish(t, 'orders', { payload: 'not an order' })
    const dead = await eventually(async () => {
      const list = await request(t.url).get('/admin/v1/dead-letters?function=orders').set(service(t))
      return list.body.deadLetters.find((d: { eventId: string }) => d.eventId === bad.id)
    }, 15_000)
    expect(dead).toMatchObject({ attempts: 3, error: { name: 'BatchItemFailure' } })
  })
})

/** The `record` line a queue execution logged. */
function recordLog(execution: ExecutionView): {
  messageId: string
  receiveCount: string
  awsRequestId: string
  left: number
  eventSource: string
  arn: string
} {
  const line = execution.logs.find((l) => l.msg.startsWith('record '))
  expect(line, JSON.stringify(execution)).toBeDefined()
  return JSON.parse(line!.msg.slice('record '.length))
}
