import { newId } from '../core/ids.ts'
import { stratusVersion } from '../core/install-root.ts'
import type { Logger } from '../core/logger.ts'
import type { Database } from '../db/database.ts'
import { NodeRegistry, type NodeView } from './nodes.ts'
import { buildSeries, parseSeriesRequest, parseWindow, type Series, storedGroups } from './query.ts'
import { type GaugeSample, MinuteRecorder } from './recorder.ts'
import { ObservabilityStore } from './store.ts'

/** Longest gap between heartbeats: a node unseen for two of them drops off the list. */
const MAX_HEARTBEAT_MS = 15_000

/** What the observability service needs; built by the composition root. */
export interface ObservabilityOptions {
  db: Database
  logger: Logger
  /** This process's role, as the nodes list shows it. */
  role: string
  /** Whether this node records per-minute rollups (METRICS_ROLLUP); nodes register either way. */
  rollup: boolean
  /** How often the recorder's rows go to the database (METRICS_FLUSH_MS). */
  flushMs: number
  /** How long rows are kept (METRICS_RETENTION_DAYS), for `prune`. */
  retentionDays: number
  /** Gauges sampled at each flush (queue depth, outbox lag, connections, stored bytes…). */
  samplers?: ReadonlyArray<() => Promise<GaugeSample[]>>
  /** Current bytes per bucket, for usage. */
  storedBytes: () => Promise<Array<{ name: string; bytes: number }>>
}

/** `GET /usage`'s answer. */
export interface Usage {
  from: string
  to: string
  functions: Array<{ name: string; invocations: number; failures: number; gbSeconds: number }>
  buckets: Array<{ name: string; storedBytes: number; uploads: number; egressBytes: number }>
  requests: Record<string, number>
}

/**
 * Per-node rollups into `metrics_minutes`, the live-nodes registry, and the series and usage reads
 * over them. `recorder` (absent when rollups are off) is what the hot paths feed; `start` registers the
 * node and starts the flush and heartbeat timers; `close` flushes a last time and deregisters.
 */
export class ObservabilityService {
  readonly nodeId = newId()
  /** Fed by the gateway, the functions runtime and storage; undefined when METRICS_ROLLUP is off. */
  readonly recorder: MinuteRecorder | undefined
  private readonly options: ObservabilityOptions
  private readonly store: ObservabilityStore
  private readonly nodes: NodeRegistry
  private readonly timers: NodeJS.Timeout[] = []
  private flushing: Promise<void> | undefined
  private closed = false

  constructor(options: ObservabilityOptions) {
    this.options = options
    this.store = new ObservabilityStore(options.db)
    this.recorder = options.rollup ? new MinuteRecorder() : undefined
    this.nodes = new NodeRegistry(options.db, {
      id: this.nodeId,
      role: options.role,
      version: stratusVersion(),
      heartbeatMs: Math.min(MAX_HEARTBEAT_MS, options.flushMs),
    })
  }

  /** Registers this node, then heartbeats and flushes on timers that never hold the process open. */
  async start(): Promise<void> {
    await this.nodes.heartbeat()
    const heartbeatMs = Math.min(MAX_HEARTBEAT_MS, this.options.flushMs)
    const every = (ms: number, run: () => Promise<void>, what: string) => {
      const timer = setInterval(() => {
        run().catch((error) => this.options.logger.warn({ err: error }, `observability: ${what} failed`))
      }, ms)
      timer.unref()
      this.timers.push(timer)
    }
    every(heartbeatMs, () => this.nodes.heartbeat(), 'heartbeat')
    if (this.recorder) every(this.options.flushMs, () => this.flush(), 'flush')
  }

  /**
   * Writes what the recorder gathered, with freshly sampled gauges, in one upsert. Rows a failed write
   * could not store go out with the next flush. Concurrent calls share one write, then run again.
   */
  async flush(): Promise<void> {
    const recorder = this.recorder
    if (!recorder) return
    while (this.flushing) await this.flushing
    this.flushing = (async () => {
      const samples = await this.sample()
      const rows = recorder.drain(samples)
      try {
        await this.store.writeMinutes(this.nodeId, rows)
      } catch (error) {
        recorder.giveBack(rows)
        throw error
      }
    })().finally(() => {
      this.flushing = undefined
    })
    return this.flushing
  }

  /** A time series (`GET /metrics/series`), summed across nodes. */
  async series(raw: {
    metric?: string
    groupBy?: string
    from?: string
    to?: string
    step?: string
  }): Promise<{ metric: string; step: number; series: Series[] }> {
    const request = parseSeriesRequest(raw)
    const cells = await this.store.series({
      metric: request.definition.stored ?? request.metric,
      kind: request.definition.kind,
      groupBy: storedGroups(request),
      from: request.from,
      to: request.to,
      stepSeconds: request.stepSeconds,
    })
    return { metric: request.metric, step: request.stepSeconds, series: buildSeries(request, cells) }
  }

  /**
   * Usage over a window (default: from the start of the current UTC month to now), at minute
   * resolution: the minutes that start in [from, to). Stored bytes are current, not the window's.
   */
  async usage(raw: { from?: string; to?: string }): Promise<Usage> {
    const { from, to } = parseWindow(raw, (t) => {
      const d = new Date(t)
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
    })
    const [fn, bucketTotals, requestTotals, stored] = await Promise.all([
      this.store.totals(['function_executions', 'function_failures', 'function_mb_ms'], 'function', from, to),
      this.store.totals(['storage_uploads', 'storage_egress_bytes'], 'bucket', from, to),
      this.store.totals(['requests'], 'service', from, to),
      this.options.storedBytes(),
    ])
    const functions = new Map<string, Usage['functions'][number]>()
    for (const row of fn) {
      let f = functions.get(row.name)
      if (!f) {
        f = { name: row.name, invocations: 0, failures: 0, gbSeconds: 0 }
        functions.set(row.name, f)
      }
      if (row.metric === 'function_executions') f.invocations += row.value
      else if (row.metric === 'function_failures') f.failures += row.value
      // MB·ms are whole numbers: one division, so the figure is as exact as a double allows.
      else f.gbSeconds = row.value / (1024 * 1000)
    }
    const buckets = new Map<string, Usage['buckets'][number]>()
    const bucket = (name: string) => {
      let b = buckets.get(name)
      if (!b) {
        b = { name, storedBytes: 0, uploads: 0, egressBytes: 0 }
        buckets.set(name, b)
      }
      return b
    }
    for (const s of stored) bucket(s.name).storedBytes = s.bytes
    for (const row of bucketTotals) {
      if (row.metric === 'storage_uploads') bucket(row.name).uploads += row.value
      else bucket(row.name).egressBytes += row.value
    }
    const requests: Record<string, number> = {}
    for (const row of requestTotals) requests[row.name] = (requests[row.name] ?? 0) + row.value
    const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name)
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      functions: [...functions.values()].sort(byName),
      buckets: [...buckets.values()].sort(byName),
      requests,
    }
  }

  /**
   * Per-minute rates of counters over the last `minutes` minutes, the current one included (as far as
   * nodes have flushed it), per value of `label`: the totals summed across nodes, divided by `minutes`.
   */
  async recentRates(
    metrics: readonly string[],
    label: string,
    minutes: number,
    now = Date.now(),
  ): Promise<Map<string, Record<string, number>>> {
    const from = new Date(now - (now % 60_000) - (minutes - 1) * 60_000)
    const rows = await this.store.totals(metrics, label, from, new Date(now + 60_000))
    const out = new Map<string, Record<string, number>>()
    for (const row of rows) {
      const totals = out.get(row.name) ?? {}
      totals[row.metric] = (totals[row.metric] ?? 0) + row.value
      out.set(row.name, totals)
    }
    for (const totals of out.values()) for (const metric in totals) totals[metric]! /= minutes
    return out
  }

  /** Live nodes (`GET /nodes`). */
  liveNodes(): Promise<NodeView[]> {
    return this.nodes.live()
  }

  /** Deletes rows past retention; a housekeeping task. */
  prune(): Promise<Record<string, number>> {
    return this.store.prune(this.options.retentionDays)
  }

  /** Stops the timers, flushes a last time and leaves the nodes list. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const timer of this.timers) clearInterval(timer)
    await this.flush().catch((error) =>
      this.options.logger.warn({ err: error }, 'observability: last flush failed'),
    )
    await this.nodes
      .remove()
      .catch((error) => this.options.logger.warn({ err: error }, 'observability: deregistering failed'))
  }

  private async sample(): Promise<GaugeSample[]> {
    const results = await Promise.all(
      (this.options.samplers ?? []).map((sample) =>
        sample().catch((error) => {
          this.options.logger.warn({ err: error }, 'observability: a gauge sampler failed')
          return [] as GaugeSample[]
        }),
      ),
    )
    return results.flat()
  }
}
