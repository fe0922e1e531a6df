import type { FinishedSpan, SpanRole, SpanSink } from '../core/trace.ts'

/** The OpenTelemetry export of one process: a span sink that batches to an OTLP/HTTP collector. */
export interface OtelExport extends SpanSink {
  /** Sends what is batched now. */
  flush(): Promise<void>
  /** Sends what is batched and stops (the resource stack calls it at shutdown). */
  close(): Promise<void>
}

/** Options of `openOtelExport`. */
export interface OtelExportOptions {
  /** The collector's base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<endpoint>/v1/traces`. */
  endpoint: string
  serviceName: string
  serviceVersion: string
  /** This node's id (as in GET /admin/v1/nodes). */
  instanceId: string
}

/**
 * Opens the OpenTelemetry export, with the official SDK: a tracer provider whose batch processor sends
 * OTLP/HTTP JSON. Loaded only when an endpoint is configured, so a node without one runs no OTel code.
 *
 * The platform's spans are finished when they are handed over, with ids of their own (the ids of its
 * `traceparent` headers, events and executions). Each is replayed through the SDK's tracer, whose id
 * generator hands out exactly those ids, under a parent context naming the parent span: the exported
 * spans have the same trace and span ids as the platform's own traces.
 */
export async function openOtelExport(options: OtelExportOptions): Promise<OtelExport> {
  const [api, sdk, exporterModule, resources] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ])
  // The ids the next startSpan takes (set just before it, synchronously).
  let next: { traceId: string; spanId: string } | undefined
  const random = new sdk.RandomIdGenerator()
  const exporter = new exporterModule.OTLPTraceExporter({
    url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces`,
  })
  const provider = new sdk.TracerProvider({
    resource: resources.resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': options.serviceVersion,
      'service.instance.id': options.instanceId,
    }),
    sampler: new sdk.AlwaysOnSampler(),
    idGenerator: {
      generateTraceId: () => next?.traceId ?? random.generateTraceId(),
      generateSpanId: () => next?.spanId ?? random.generateSpanId(),
    },
    spanProcessors: [
      new sdk.BatchSpanProcessor({
        exporter,
        maxQueueSize: 8192,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 1000,
      }),
    ],
  })
  const tracer = provider.getTracer('stratus', options.serviceVersion)
  const kinds: Record<SpanRole, number> = {
    server: api.SpanKind.SERVER,
    producer: api.SpanKind.PRODUCER,
    consumer: api.SpanKind.CONSUMER,
    internal: api.SpanKind.INTERNAL,
  }
  let closed = false
  return {
    add(span: FinishedSpan): void {
      // The caller's decision: a trace it did not sample is not sent.
      if (closed || !span.sampled) return
      const parent = span.parentId
        ? api.trace.setSpanContext(api.ROOT_CONTEXT, {
            traceId: span.traceId,
            spanId: span.parentId,
            traceFlags: api.TraceFlags.SAMPLED,
            isRemote: span.remoteParent === true,
          })
        : api.ROOT_CONTEXT
      next = { traceId: span.traceId, spanId: span.spanId }
      try {
        const started = tracer.startSpan(
          span.name,
          { kind: kinds[span.role], startTime: hrTime(span.start), attributes: span.attributes },
          parent,
        )
        if (span.error) started.setStatus({ code: api.SpanStatusCode.ERROR })
        started.end(hrTime(Math.max(span.start, span.end)))
      } finally {
        next = undefined
      }
    },
    flush: () => provider.forceFlush(),
    async close() {
      if (closed) return
      closed = true
      await provider.shutdown()
    },
  }
}

/** Epoch milliseconds as OpenTelemetry's [seconds, nanoseconds] (a bare number before the process started would be read as a performance timestamp). */
function hrTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000)
  return [seconds, Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6))]
}
