import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deploy, FUNCTIONS_TEST_ENV, service, waitForExecutions } from '../functions/helpers.ts'
import { LANES, startTestPlatform } from '../support/platform.ts'
import { OBSERVABILITY_TEST_ENV } from './helpers.ts'

/** A span as OTLP/HTTP JSON carries it (ids in hex). */
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes: Array<{ key: string; value: Record<string, unknown> }>
  status?: { code?: number }
}

interface OtlpRequest {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }
    scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }>
  }>
}

// OpenTelemetry's span kinds as OTLP numbers them.
const SERVER = 2
const PRODUCER = 4
const CONSUMER = 5

/** A collector: a plain HTTP server keeping what arrives at /v1/traces. */
async function startCollector(): Promise<{ server: Server; url: string; received: OtlpRequest[] }> {
  const received: OtlpRequest[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        expect(req.headers['content-type']).toMatch(/application\/json/)
        received.push(JSON.parse(body))
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${port}`, received }
}

describe.each(LANES)('observability: OpenTelemetry export (%s)', (lane) => {
  let collector: Awaited<ReturnType<typeof startCollector>>
  beforeAll(async () => {
    collector = await startCollector()
  })
  afterAll(() => new Promise<void>((resolve) => collector.server.close(() => resolve())))

  it('sends the spans of request → publish → delivery → execution in one trace, with our ids, flushed at shutdown', async () => {
    const t = await startTestPlatform(lane, {
      ...FUNCTIONS_TEST_ENV,
      ...OBSERVABILITY_TEST_ENV,
      OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/`,
      OTEL_SERVICE_NAME: 'stratus-test',
    })
    let closed = false
    try {
      expect(t.platform.otel).toBeDefined()
      await deploy(t, 'on-parcel', {
        code: 'export default async (event, ctx) => { ctx.log.info(event.data.document.id) }',
        triggers: [
          { type: 'event', event: 'db.document.created', subject: 'collections/parcels/documents/*' },
        ],
      })
      const traceId = 'a3ce929d0e0e47364bf92f3577b34da6'
      const callerSpan = 'b7ad6b7169203331'
      const res = await request(t.url)
        .post('/db/v1/collections/parcels/documents')
        .set(service(t))
        .set('traceparent', `00-${traceId}-${callerSpan}-01`)
        .send({ id: 'p1', data: {} })
      expect(res.status).toBe(201)
      const [run] = await waitForExecutions(t, 'on-parcel', 1)
      expect(run!.status).toBe('succeeded')
      const ours = await request(t.url).get(`/admin/v1/traces/${traceId}`).set(service(t))
      expect(ours.status).toBe(200)
      // Shutdown flushes what the batch processor still holds.
      await t.close()
      closed = true

      const spans = collector.received.flatMap((r) =>
        r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)),
      )
      const inTrace = spans.filter((s) => s.traceId === traceId)
      const one = (kind: number, name: RegExp) => {
        const found = inTrace.filter((s) => s.kind === kind && name.test(s.name))
        expect(
          found,
          `${kind} ${name}: ${JSON.stringify(inTrace.map((s) => [s.kind, s.name]))}`,
        ).toHaveLength(1)
        return found[0]!
      }
      const requestSpan = one(SERVER, /^POST \/db\/v1\/collections\/:\w+\/documents$/)
      const publish = one(PRODUCER, /^publish db\.document\.created$/)
      const delivery = one(CONSUMER, /^deliver db\.document\.created$/)
      const execution = one(CONSUMER, /^function on-parcel$/)
      expect(requestSpan.parentSpanId).toBe(callerSpan)
      expect(publish.parentSpanId).toBe(requestSpan.spanId)
      expect(delivery.parentSpanId).toBe(publish.spanId)
      expect(execution.parentSpanId).toBe(publish.spanId)
      for (const s of [requestSpan, publish, delivery, execution]) {
        expect(BigInt(s.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(s.startTimeUnixNano))
        expect(BigInt(s.startTimeUnixNano)).toBeGreaterThan(BigInt(Date.now() - 600_000) * 1_000_000n)
      }
      const attribute = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value
      expect(attribute(requestSpan, 'http.response.status_code')).toEqual({ intValue: 201 })
      expect(attribute(execution, 'faas.name')).toEqual({ stringValue: 'on-parcel' })

      // The exported ids are the trace API's.
      const api = ours.body.spans as Array<{ id: string; kind: string }>
      expect(api.find((s) => s.kind === 'request')?.id).toBe(requestSpan.spanId)
      expect(api.find((s) => s.kind === 'event')?.id).toBe(publish.spanId)
      expect(api.find((s) => s.kind === 'execution')?.id).toBe(execution.spanId)

      const resource = collector.received[0]!.resourceSpans[0]!.resource.attributes
      expect(resource.find((a) => a.key === 'service.name')?.value.stringValue).toBe('stratus-test')
      expect(resource.find((a) => a.key === 'service.instance.id')?.value.stringValue).toEqual(
        expect.any(String),
      )
    } finally {
      if (!closed) await t.close()
    }
  }, 90_000)
})
