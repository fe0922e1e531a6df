import type { Series, SeriesAnswer } from '../../api/observability.ts'
import type { ChartLine } from '../../ui/TimeChart.tsx'

const time = (iso: string) => new Date(iso).getTime()

function label(series: Series, key: string | undefined, fallback: string): string {
  return (key && series.labels[key]) || fallback
}

/** One line per series, values as stored (or `scale`d). */
export function linesOf(
  answer: SeriesAnswer | undefined,
  key?: string,
  fallback = 'all',
  scale = 1,
): ChartLine[] {
  if (!answer) return []
  return answer.series.map((series) => ({
    label: label(series, key, fallback),
    points: series.points.map(([t, v]) => [time(t), v * scale] as [number, number]),
  }))
}

/** Per-second rates from per-step counts. */
export function ratesOf(answer: SeriesAnswer | undefined, key?: string, fallback = 'all'): ChartLine[] {
  if (!answer) return []
  return linesOf(answer, key, fallback, 1 / answer.step)
}

/**
 * Error rate in percent per step, from `requests` grouped by status class: one line for 5xx, one for
 * 4xx. Steps without requests have no value (not 0 %: nothing was asked).
 */
export function errorRates(answer: SeriesAnswer | undefined): ChartLine[] {
  if (!answer) return []
  const totals = new Map<number, number>()
  const byClass = new Map<string, Map<number, number>>()
  for (const series of answer.series) {
    const status = series.labels.status ?? 'other'
    const counts = byClass.get(status) ?? new Map<number, number>()
    byClass.set(status, counts)
    for (const [t, v] of series.points) {
      const at = time(t)
      totals.set(at, (totals.get(at) ?? 0) + v)
      counts.set(at, (counts.get(at) ?? 0) + v)
    }
  }
  const times = [...totals.keys()].sort((a, b) => a - b).filter((t) => (totals.get(t) ?? 0) > 0)
  return ['5xx', '4xx'].map((status) => ({
    label: status,
    points: times.map(
      (t) => [t, ((byClass.get(status)?.get(t) ?? 0) / totals.get(t)!) * 100] as [number, number],
    ),
  }))
}

/** The last value of each line, for the chart's text summary. */
export function summarize(lines: readonly ChartLine[], unit: string, digits = 1): string {
  if (lines.length === 0) return 'no data in this period'
  return lines
    .map((line) => {
      const last = line.points.at(-1)
      return `${line.label} ${last ? `${last[1].toFixed(digits)}${unit ? ` ${unit}` : ''}` : 'no data'}`
    })
    .join(', ')
}
