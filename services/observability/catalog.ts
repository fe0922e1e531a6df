/**
 * The per-minute metrics Stratus keeps in `metrics_minutes`, and how the series API folds each one
 * across nodes and across the minutes of a step:
 * - `counter`: summed across nodes and minutes (requests, executions, bytes).
 * - `node-gauge`: a value each node samples about itself (its realtime connections): summed across
 *   nodes for a minute, the highest minute of a step.
 * - `cluster-gauge`: a value every node samples from the shared database (queue depth, outbox lag,
 *   stored bytes): nodes see the same thing, so the highest of them, then the highest minute of a step.
 * - `quantile`: a percentile of the request latency histogram, whose fixed buckets add up across nodes
 *   and minutes before the percentile is read off them.
 */
export type MetricKind = 'counter' | 'node-gauge' | 'cluster-gauge' | 'quantile'

export interface MetricDefinition {
  kind: MetricKind
  /** The labels a series may be grouped by. */
  labels: readonly string[]
  unit: string
  description: string
  /** The stored metric this one is read from (default: its own name). */
  stored?: string
  /** Stored values are multiplied by this before they are answered (default 1). */
  scale?: number
  /** For `quantile`: which one, 0 < q < 1. */
  quantile?: number
}

/** Request latency bucket bounds, in milliseconds (the last bucket, `+Inf`, is implied). */
export const LATENCY_BUCKETS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000] as const

/** The first path segment of the request URL, for these; any other path counts as `other`. */
export const SERVICES = ['auth', 'db', 'storage', 'functions', 'queue', 'realtime', 'admin'] as const

const latency = (quantile: number): MetricDefinition => ({
  kind: 'quantile',
  labels: ['service'],
  unit: 'ms',
  description: `p${quantile * 100} request latency (from fixed buckets; interpolated within one)`,
  stored: 'request_latency_bucket',
  quantile,
})

/** Every metric the series API answers, by name. */
export const METRICS: Readonly<Record<string, MetricDefinition>> = {
  requests: {
    kind: 'counter',
    labels: ['service', 'status'],
    unit: 'requests',
    description: 'HTTP requests by service (db, storage…) and status class (2xx…5xx)',
  },
  latency_p50: latency(0.5),
  latency_p95: latency(0.95),
  latency_p99: latency(0.99),
  function_executions: {
    kind: 'counter',
    labels: ['function', 'status'],
    unit: 'executions',
    description: 'Function executions (every attempt) by function and status (succeeded, failed, timeout)',
  },
  function_failures: {
    kind: 'counter',
    labels: ['function'],
    unit: 'executions',
    description: 'Function executions that failed or timed out',
  },
  function_duration_ms: {
    kind: 'counter',
    labels: ['function'],
    unit: 'ms',
    description: 'Total execution time (divide by executions for the mean)',
  },
  function_gb_seconds: {
    kind: 'counter',
    labels: ['function'],
    unit: 'GB-s',
    description: 'Memory limit × duration billed in 1 ms increments',
    stored: 'function_mb_ms',
    scale: 1 / (1024 * 1000),
  },
  queue_depth: {
    kind: 'cluster-gauge',
    labels: ['queue'],
    unit: 'messages',
    description: 'Messages waiting or delayed per queue',
  },
  queue_oldest_age_seconds: {
    kind: 'cluster-gauge',
    labels: ['queue'],
    unit: 's',
    description:
      'Seconds the oldest message ready for its consumers has waited (for a consumer to be deployed, or in their job queue)',
  },
  queue_published: {
    kind: 'counter',
    labels: ['queue'],
    unit: 'messages',
    description: 'Messages published per queue (a publish refused as a `dedupId` duplicate is not counted)',
  },
  queue_processed: {
    kind: 'counter',
    labels: ['queue'],
    unit: 'deliveries',
    description:
      "Deliveries to a queue's consumers that finished: succeeded, or dead-lettered after the last attempt (one per consumer)",
  },
  outbox_lag_seconds: {
    kind: 'cluster-gauge',
    labels: [],
    unit: 's',
    description: 'Age of the oldest committed event not yet published',
  },
  realtime_connections: {
    kind: 'node-gauge',
    labels: [],
    unit: 'connections',
    description: 'Open realtime WebSocket connections',
  },
  storage_bytes: {
    kind: 'cluster-gauge',
    labels: ['bucket'],
    unit: 'bytes',
    description: 'Bytes stored per bucket',
  },
  storage_uploads: {
    kind: 'counter',
    labels: ['bucket'],
    unit: 'uploads',
    description: 'Objects uploaded per bucket',
  },
  storage_egress_bytes: {
    kind: 'counter',
    labels: ['bucket'],
    unit: 'bytes',
    description: 'Object bytes sent per bucket (downloads and ranges; HEAD and 304 send none)',
  },
}

/** Stored metrics sampled at flush: a later sample within a minute replaces the earlier one. */
export const GAUGES: readonly string[] = Object.entries(METRICS)
  .filter(([, m]) => m.kind === 'node-gauge' || m.kind === 'cluster-gauge')
  .map(([name]) => name)

/** A label set as stored: JSON with its keys sorted, so equal sets are equal text. */
export function labelKey(labels: Readonly<Record<string, string>>): string {
  const sorted: Record<string, string> = {}
  for (const name of Object.keys(labels).sort()) sorted[name] = labels[name]!
  return JSON.stringify(sorted)
}
