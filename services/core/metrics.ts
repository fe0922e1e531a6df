import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

let processMetrics: Registry | undefined

/**
 * The default metrics (CPU, memory, event-loop delay, GC) describe the process, and collecting them
 * starts an event-loop-delay monitor and a GC observer that prom-client never stops: one set serves
 * every platform of the process, rather than one more of each per platform a test starts.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry()
    // Event-loop delay sampled every 100 ms rather than prom-client's 10 ms: 100 timer wake-ups a second
    // cost an idle process about 0.5-1% of a core, as much as everything else it does while idle.
    collectDefaultMetrics({
      register: processMetrics,
      prefix: 'stratus_process_',
      eventLoopMonitoringPrecision: 100,
    })
    renameTotalGauges(processMetrics)
  }
  return processMetrics
}

/**
 * The process's Prometheus metrics. One registry per platform instance (tests build several in one
 * process), created at the entry point and handed to whatever records.
 */
export function createMetrics() {
  const registry = Registry.merge([processRegistry()])
  return {
    registry,
    httpDuration: new Histogram({
      name: 'stratus_http_request_duration_seconds',
      help: 'HTTP request latency by method, route and status code',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    outboxPublished: new Counter({
      name: 'stratus_outbox_published_total',
      help: 'Events the relay has published to the bus',
      registers: [registry],
    }),
    outboxPublishErrors: new Counter({
      name: 'stratus_outbox_publish_errors_total',
      help: 'Relay cycles that failed (the same events are retried)',
      registers: [registry],
    }),
    outboxLag: new Gauge({
      name: 'stratus_outbox_lag_seconds',
      help: 'Age of the oldest committed event not yet published (0 when none wait)',
      registers: [registry],
    }),
    eventLag: new Histogram({
      name: 'stratus_event_lag_seconds',
      help: 'Time from an event being committed to the outbox to its publication on the bus',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    busDeliveries: new Counter({
      name: 'stratus_bus_deliveries_total',
      help: 'Durable-subscriber deliveries by subscriber and outcome',
      labelNames: ['subscriber', 'outcome'] as const,
      registers: [registry],
    }),
    websocketConnections: new Gauge({
      name: 'stratus_websocket_connections',
      help: 'Open realtime WebSocket connections on this node',
      registers: [registry],
    }),
    busQueue: new Gauge({
      name: 'stratus_bus_queue_depth',
      help: 'Events waiting per durable subscriber and state',
      labelNames: ['subscriber', 'state'] as const,
      registers: [registry],
    }),
  }
}

/**
 * prom-client's default metrics include three gauges named `*_total`, a suffix the exposition format
 * keeps for counters (`promtool check metrics` refuses them): serve the same values without it.
 */
function renameTotalGauges(registry: Registry): void {
  // Keyed by the kind counted: `handles` → nodejs_active_handles_total becomes nodejs_handles_active.
  const counts: Record<string, () => number> = {
    handles: () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length,
    requests: () => (process as unknown as { _getActiveRequests(): unknown[] })._getActiveRequests().length,
    resources: () => process.getActiveResourcesInfo().length,
  }
  for (const [kind, count] of Object.entries(counts)) {
    const old = `stratus_process_nodejs_active_${kind}_total`
    if (!registry.getSingleMetric(old)) continue
    registry.removeSingleMetric(old)
    new Gauge({
      name: `stratus_process_nodejs_${kind}_active`,
      help: `Number of active ${kind} (prom-client's nodejs_active_${kind}_total, renamed)`,
      registers: [registry],
      collect() {
        this.set(count())
      },
    })
  }
}

/** The metrics of one platform instance. */
export type Metrics = ReturnType<typeof createMetrics>
