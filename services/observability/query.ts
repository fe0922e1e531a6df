import { StratusError } from '../core/errors.ts'
import { LATENCY_BUCKETS_MS, METRICS, type MetricDefinition } from './catalog.ts'
import type { SeriesCell } from './store.ts'

/** Most points one series may have: a day of minutes (raise `step` for longer windows). */
export const MAX_POINTS = 1440
/** The longest window the series and usage APIs read. */
export const MAX_WINDOW_DAYS = 400

const MINUTE = 60_000
const DAY = 24 * 3600_000

/** A time series as the API answers it: points are `[ISO time of the step's start, value]`. */
export interface Series {
  labels: Record<string, string>
  points: Array<[string, number]>
}

const invalid = (message: string, details?: unknown) =>
  new StratusError('request/invalid', message, { details })

function parseTime(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback
  // ISO-8601 only: Date.parse also takes forms like "1" or "March 7", which would hide a typo.
  const t = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(t))
    throw invalid(`${name} must be an ISO-8601 time (e.g. 2026-11-30T12:00:00Z)`, { [name]: value })
  return t
}

/**
 * Parses `from`/`to` (ISO-8601; `to` defaults to now, `from` to `defaultSpanMs` before it): `from`
 * rounds down to its minute, since minutes are what is stored; `from` must come before `to`, and the
 * window is at most MAX_WINDOW_DAYS long.
 */
export function parseWindow(
  raw: { from?: string; to?: string },
  defaultFrom: (to: number) => number,
  now = Date.now(),
): { from: Date; to: Date } {
  const to = parseTime('to', raw.to, now)
  const from = parseTime('from', raw.from, defaultFrom(to))
  const fromMinute = from - (((from % MINUTE) + MINUTE) % MINUTE)
  if (from >= to) throw invalid('from must be before to', { from: raw.from, to: raw.to })
  if (to - fromMinute > MAX_WINDOW_DAYS * DAY)
    throw invalid(`The window may be at most ${MAX_WINDOW_DAYS} days long`, { maxDays: MAX_WINDOW_DAYS })
  return { from: new Date(fromMinute), to: new Date(to) }
}

/** A validated series request. */
export interface SeriesRequest {
  metric: string
  definition: MetricDefinition
  groupBy: string[]
  from: Date
  to: Date
  stepSeconds: number
}

/**
 * Validates `GET /metrics/series`'s query: a known metric, groupBy among its labels (comma-separated),
 * step a positive whole number of seconds that is a multiple of 60 (default 60), at most MAX_POINTS
 * steps in the window (default: the last hour).
 */
export function parseSeriesRequest(
  raw: { metric?: string; groupBy?: string; from?: string; to?: string; step?: string },
  now = Date.now(),
): SeriesRequest {
  const metric = raw.metric ?? ''
  const definition = Object.hasOwn(METRICS, metric) ? METRICS[metric] : undefined
  if (!definition)
    throw invalid(`Unknown metric ${JSON.stringify(metric)}`, { metrics: Object.keys(METRICS) })
  const groupBy = (raw.groupBy ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const unknown = groupBy.filter((label) => !definition.labels.includes(label))
  if (unknown.length > 0)
    throw invalid(`${metric} cannot be grouped by ${unknown.join(', ')}`, { labels: definition.labels })
  if (new Set(groupBy).size !== groupBy.length) throw invalid('groupBy names a label twice')
  const step = raw.step === undefined || raw.step === '' ? '60' : raw.step
  if (!/^\d{1,9}$/.test(step) || Number(step) <= 0 || Number(step) % 60 !== 0)
    throw invalid('step must be a positive whole number of seconds, a multiple of 60', { step: raw.step })
  const stepSeconds = Number(step)
  const { from, to } = parseWindow(raw, (t) => t - 3600_000, now)
  const points = Math.ceil((to.getTime() - alignDown(from.getTime(), stepSeconds)) / (stepSeconds * 1000))
  if (points > MAX_POINTS)
    throw invalid(`That window has ${points} steps; at most ${MAX_POINTS} (raise step)`, {
      maxPoints: MAX_POINTS,
    })
  return { metric, definition, groupBy, from, to, stepSeconds }
}

/** The groupBy labels the store must group by: quantiles also need their bucket bound `le`. */
export function storedGroups(request: SeriesRequest): string[] {
  return request.definition.kind === 'quantile' ? [...request.groupBy, 'le'] : request.groupBy
}

/**
 * Turns the store's cells into series: one per label combination, points in time order. Counters get
 * a zero for every step without data (nothing happened); gauges and quantiles leave such steps out
 * (nothing was measured).
 */
export function buildSeries(request: SeriesRequest, cells: readonly SeriesCell[]): Series[] {
  const { definition, groupBy } = request
  const scale = definition.scale ?? 1
  const bySeries = new Map<string, { labels: Record<string, string>; values: Map<number, number> }>()
  const seriesOf = (groups: (string | null)[]) => {
    const id = JSON.stringify(groups)
    let s = bySeries.get(id)
    if (!s) {
      const labels: Record<string, string> = {}
      groupBy.forEach((name, i) => {
        labels[name] = groups[i] ?? ''
      })
      s = { labels, values: new Map() }
      bySeries.set(id, s)
    }
    return s
  }
  if (definition.kind === 'quantile') {
    const histograms = new Map<
      string,
      { groups: (string | null)[]; t: number; counts: Map<string, number> }
    >()
    for (const cell of cells) {
      const groups = cell.groups.slice(0, groupBy.length)
      const id = `${cell.t}|${JSON.stringify(groups)}`
      let h = histograms.get(id)
      if (!h) {
        h = { groups, t: cell.t, counts: new Map() }
        histograms.set(id, h)
      }
      const le = cell.groups[groupBy.length] ?? '+Inf'
      h.counts.set(le, (h.counts.get(le) ?? 0) + cell.value)
    }
    for (const h of histograms.values()) {
      const value = quantileOf(definition.quantile ?? 0.5, h.counts)
      if (value !== undefined) seriesOf(h.groups).values.set(h.t, value)
    }
  } else {
    for (const cell of cells) seriesOf(cell.groups).values.set(cell.t, cell.value * scale)
  }
  if (definition.kind === 'counter' && bySeries.size === 0 && groupBy.length === 0) seriesOf([])
  const steps: number[] = []
  const stepMs = request.stepSeconds * 1000
  for (let t = alignDown(request.from.getTime(), request.stepSeconds); t < request.to.getTime(); t += stepMs)
    steps.push(t / 1000)
  return [...bySeries.values()]
    .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)))
    .map(({ labels, values }) => {
      const times = definition.kind === 'counter' ? steps : [...values.keys()].sort((a, b) => a - b)
      return {
        labels,
        points: times.map((t): [string, number] => [new Date(t * 1000).toISOString(), values.get(t) ?? 0]),
      }
    })
}

/**
 * The q-quantile of a histogram of request counts per upper bound (`le`, ms), interpolated linearly
 * within the bucket it falls in, as Prometheus's histogram_quantile does; one in the `+Inf` bucket
 * answers the highest finite bound. Undefined for an empty histogram.
 */
export function quantileOf(q: number, counts: ReadonlyMap<string, number>): number | undefined {
  const bounds = [...LATENCY_BUCKETS_MS, Number.POSITIVE_INFINITY]
  const perBucket = bounds.map((b) => counts.get(Number.isFinite(b) ? String(b) : '+Inf') ?? 0)
  const total = perBucket.reduce((a, b) => a + b, 0)
  if (total === 0) return undefined
  const rank = q * total
  let seen = 0
  for (let i = 0; i < bounds.length; i++) {
    const inBucket = perBucket[i]!
    if (seen + inBucket >= rank && inBucket > 0) {
      const upper = bounds[i]!
      if (!Number.isFinite(upper)) return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]
      const lower = i === 0 ? 0 : bounds[i - 1]!
      return lower + (upper - lower) * ((rank - seen) / inBucket)
    }
    seen += inBucket
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]
}

function alignDown(ms: number, stepSeconds: number): number {
  const stepMs = stepSeconds * 1000
  return ms - (((ms % stepMs) + stepMs) % stepMs)
}
