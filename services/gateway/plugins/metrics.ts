import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Metrics } from '../../core/metrics.ts'

/** A gauge refreshed when /metrics is scraped (e.g. outbox lag, queue depths: one query per scrape). */
export type ScrapeCollector = () => Promise<void>

/** Told of every response (e.g. the per-minute rollups): must be cheap, it runs on every request. */
export type ResponseObserver = (url: string, statusCode: number, elapsedMs: number) => void

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
      const elapsed = reply.elapsedTime
      child.observe(elapsed / 1000)
      observe?.(request.url, reply.statusCode, elapsed)
      done()
    })
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
