import { GAUGES, LATENCY_BUCKETS_MS, labelKey, SERVICES } from './catalog.ts'

/** One row of `metrics_minutes` for this node. */
export interface MinuteRow {
  /** The minute's start, epoch milliseconds. */
  minute: number
  metric: string
  /** Canonical label text (catalog.ts `labelKey`). */
  labels: string
  value: number
}

/** A sampled gauge value, stored under the minute it was sampled in. */
export interface GaugeSample {
  metric: string
  labels: Record<string, string>
  value: number
}

const MINUTE = 60_000
const SEP = '\u0000'
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const
const SERVICE_INDEX = new Map<string, number>(SERVICES.map((s, i) => [s, i]))
const ALL_SERVICES = [...SERVICES, 'other'] as const
const LE = [...LATENCY_BUCKETS_MS.map(String), '+Inf']
const GAUGE_SET = new Set(GAUGES)

const key = (metric: string, labels: Record<string, string>) => `${metric}${SEP}${labelKey(labels)}`

/** The keys one function's executions add to, built once per function name. */
interface FunctionKeys {
  executions: Record<'succeeded' | 'failed' | 'timeout', string>
  failures: string
  durationMs: string
  mbMs: string
}

/**
 * This node's per-minute accumulator. The hot paths (every HTTP response, every execution, every
 * upload and download) only add to a map entry under precomputed keys; `drain` hands the minutes
 * gathered since the last flush to the writer. Counts land in the minute they happened in, whatever
 * the flush interval.
 */
export class MinuteRecorder {
  private current = new Map<string, number>()
  private currentMinute = 0
  private minuteEnd = 0
  private closed: Array<{ minute: number; values: Map<string, number> }> = []
  /** Rows a failed write gave back: merged into the next drain. */
  private unwritten: MinuteRow[] = []
  /** requestKeys[service][status class], latencyKeys[service][bucket]. */
  private readonly requestKeys: string[][]
  private readonly latencyKeys: string[][]
  private readonly functionKeys = new Map<string, FunctionKeys>()
  private readonly bucketKeys = new Map<string, { uploads: string; egress: string }>()
  private readonly queueKeys = new Map<string, { published: string; processed: string }>()

  constructor() {
    this.requestKeys = ALL_SERVICES.map((service) =>
      STATUS_CLASSES.map((status) => key('requests', { service, status })),
    )
    this.latencyKeys = ALL_SERVICES.map((service) =>
      LE.map((le) => key('request_latency_bucket', { service, le })),
    )
  }

  /** One HTTP response: its service is the URL's first path segment (`/db/v1/…` → `db`). */
  request(url: string, statusCode: number, elapsedMs: number): void {
    const end = firstSegmentEnd(url)
    const service = SERVICE_INDEX.get(url.slice(1, end)) ?? SERVICES.length
    const statusClass = Math.min(4, Math.max(0, Math.floor(statusCode / 100) - 1))
    let bucket = 0
    while (bucket < LATENCY_BUCKETS_MS.length && elapsedMs > LATENCY_BUCKETS_MS[bucket]!) bucket++
    this.add(this.requestKeys[service]![statusClass]!, 1)
    this.add(this.latencyKeys[service]![bucket]!, 1)
  }

  /**
   * One execution (every attempt counts, as Lambda bills retries). Billed duration is the duration
   * rounded up to the next whole millisecond; GB-seconds are kept as integer MB·ms, so sums are exact.
   */
  execution(
    name: string,
    status: 'succeeded' | 'failed' | 'timeout',
    durationMs: number,
    memoryMb: number,
  ): void {
    let keys = this.functionKeys.get(name)
    if (!keys) {
      keys = {
        executions: {
          succeeded: key('function_executions', { function: name, status: 'succeeded' }),
          failed: key('function_executions', { function: name, status: 'failed' }),
          timeout: key('function_executions', { function: name, status: 'timeout' }),
        },
        failures: key('function_failures', { function: name }),
        durationMs: key('function_duration_ms', { function: name }),
        mbMs: key('function_mb_ms', { function: name }),
      }
      this.functionKeys.set(name, keys)
    }
    this.add(keys.executions[status], 1)
    if (status !== 'succeeded') this.add(keys.failures, 1)
    this.add(keys.durationMs, durationMs)
    this.add(keys.mbMs, memoryMb * Math.max(1, Math.ceil(durationMs)))
  }

  /** An object stored in `bucket`. */
  upload(bucket: string): void {
    this.add(this.bucket(bucket).uploads, 1)
  }

  /** Object bytes about to be sent from `bucket`. */
  egress(bucket: string, bytes: number): void {
    if (bytes > 0) this.add(this.bucket(bucket).egress, bytes)
  }

  /** A message published to `queue`, or one delivery of it to a consumer finished (`processed`). */
  queueMessage(queue: string, what: 'published' | 'processed'): void {
    let keys = this.queueKeys.get(queue)
    if (!keys) {
      keys = {
        published: key('queue_published', { queue }),
        processed: key('queue_processed', { queue }),
      }
      this.queueKeys.set(queue, keys)
    }
    this.add(keys[what], 1)
  }

  /**
   * Everything gathered since the last drain, as rows (counters summed per minute; `samples`, the
   * gauges sampled now, stored under the current minute). Pass rows that could not be written to
   * `giveBack`.
   */
  drain(samples: readonly GaugeSample[] = [], now = Date.now()): MinuteRow[] {
    this.roll(now)
    const merged = new Map<string, MinuteRow>()
    const put = (minute: number, metric: string, labels: string, value: number) => {
      const id = `${minute}${SEP}${metric}${SEP}${labels}`
      const row = merged.get(id)
      if (!row) merged.set(id, { minute, metric, labels, value })
      else row.value = GAUGE_SET.has(metric) ? value : row.value + value
    }
    for (const row of this.unwritten) put(row.minute, row.metric, row.labels, row.value)
    this.unwritten = []
    const minutes = [...this.closed, { minute: this.currentMinute, values: this.current }]
    for (const { minute, values } of minutes) {
      for (const [k, value] of values) {
        const at = k.indexOf(SEP)
        put(minute, k.slice(0, at), k.slice(at + 1), value)
      }
    }
    const sampledAt = now - (now % MINUTE)
    for (const s of samples) put(sampledAt, s.metric, labelKey(s.labels), s.value)
    this.closed = []
    this.current = new Map()
    return [...merged.values()]
  }

  /** Rows a write failed to store: they go out again with the next drain. */
  giveBack(rows: readonly MinuteRow[]): void {
    this.unwritten.push(...rows)
  }

  private bucket(name: string): { uploads: string; egress: string } {
    let keys = this.bucketKeys.get(name)
    if (!keys) {
      keys = {
        uploads: key('storage_uploads', { bucket: name }),
        egress: key('storage_egress_bytes', { bucket: name }),
      }
      this.bucketKeys.set(name, keys)
    }
    return keys
  }

  private add(k: string, n: number): void {
    const now = Date.now()
    if (now >= this.minuteEnd) this.roll(now)
    this.current.set(k, (this.current.get(k) ?? 0) + n)
  }

  /** Closes the current minute if `now` is past it. */
  private roll(now: number): void {
    if (now < this.minuteEnd) return
    if (this.current.size > 0) this.closed.push({ minute: this.currentMinute, values: this.current })
    this.current = new Map()
    this.currentMinute = now - (now % MINUTE)
    this.minuteEnd = this.currentMinute + MINUTE
  }
}

/** Where the first path segment of `url` ends (at `/`, `?` or the end). */
function firstSegmentEnd(url: string): number {
  for (let i = 1; i < url.length; i++) {
    const c = url.charCodeAt(i)
    if (c === 47 /* / */ || c === 63 /* ? */) return i
  }
  return url.length
}
