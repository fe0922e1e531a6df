import type { ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Metrics } from '../../core/metrics.ts'

/** A gauge refreshed when /metrics is scraped (e.g. outbox lag, queue depths: one query per scrape). */
export type ScrapeCollector = () => Promise<void>

/**
 * Told of every response (e.g. the per-minute rollups): must be cheap, it runs on every request. A
 * request the client gave up on before any answer is reported as 499 (nginx's "client closed").
 */
export type ResponseObserver = (url: string, statusCode: number, elapsedMs: number) => void

const STARTED = Symbol('stratus.started')
type Observed = ServerResponse & { [STARTED]: number; req: { url?: string } }

/**
 * Times every request into the HTTP histogram (labelled by route pattern, never by raw URL, so label
 * cardinality stays bounded), tells `observe` of it if given, and serves `/metrics` in Prometheus
 * text format.
 */
export const metricsPlugin = fp(
  async (
    app: FastifyInstance,
    options: { metrics: Metrics; collectors: readonly ScrapeCollector[]; observe?: ResponseObserver },
  ) => {
    const { metrics, observe } = options
    // Labelled children are cached: resolving a label set per observation is most of its cost.
    const children = new Map<string, { observe(value: number): void }>()
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched'
      const key = `${request.method} ${reply.statusCode} ${route}`
      let child = children.get(key)
      if (!child) {
        child = metrics.httpDuration.labels(request.method, route, String(reply.statusCode))
        children.set(key, child)
      }
      child.observe(reply.elapsedTime / 1000)
      done()
    })
    if (observe) {
      // On the socket's 'close', not in onResponse: fastify runs onResponse on 'finish' only, and a client
      // that has read the whole body may hang up before a streamed response finishes (downloads under
      // load): such requests were served, and metering must count every one. One shared listener, no
      // closure per request.
      function onClose(this: Observed): void {
        observe!(
          this.req.url ?? '/',
          this.headersSent ? this.statusCode : 499,
          performance.now() - this[STARTED],
        )
      }
      app.addHook('onRequest', (_request, reply, done) => {
        const res = reply.raw as Observed
        res[STARTED] = performance.now()
        // A response closes once: `on` spares the wrapper `once` allocates per call.
        res.on('close', onClose)
        done()
      })
    }
    app.get(
      '/metrics',
      { schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: false }, logLevel: 'warn' },
      async (request, reply) => {
        await Promise.all(
          options.collectors.map((collect) =>
            collect().catch((error) => request.log.warn({ err: error }, 'metrics collector failed')),
          ),
        )
        return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
      },
    )
  },
  { name: 'stratus-metrics' },
)
