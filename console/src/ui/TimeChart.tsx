import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface ChartLine {
  label: string
  /** [time in ms, value] pairs, in time order. */
  points: [number, number][]
}

/** Distinct colours that read on light and dark backgrounds. */
const PALETTE = ['#3b82f6', '#ef4444', '#10b981', '#f59e0b', '#8b5cf6', '#ec4899', '#14b8a6', '#64748b']

/** Lines on a shared time axis (seconds), as uPlot wants them: one x array, one y array per line. */
export function alignLines(lines: readonly ChartLine[]): uPlot.AlignedData {
  const times = [...new Set(lines.flatMap((line) => line.points.map(([t]) => t)))].sort((a, b) => a - b)
  const index = new Map(times.map((t, i) => [t, i]))
  const ys = lines.map((line) => {
    const y: (number | null)[] = new Array(times.length).fill(null)
    for (const [t, v] of line.points) y[index.get(t)!] = v
    return y
  })
  return [times.map((t) => t / 1000), ...ys] as uPlot.AlignedData
}

/**
 * A time-series chart (uPlot: small, fast, canvas). Screen readers get `summary` instead of the
 * canvas, which shows nothing to them.
 */
export function TimeChart({
  title,
  lines,
  unit,
  summary,
  height = 180,
  window,
}: {
  title: string
  lines: readonly ChartLine[]
  unit: string
  summary: string
  height?: number
  /** The time span to show ([from, to] in ms), whatever the data covers; default: the data's own span. */
  window?: readonly [number, number]
}) {
  const holder = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const span = useRef(window)
  span.current = window
  const shape = lines.map((line) => line.label).join('\u0000')

  // A new set of lines needs a new chart; new points for the same lines only new data.
  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt when the set of lines changes, by design.
  useEffect(() => {
    const element = holder.current
    if (!element) return
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: {
          time: true,
          // A fixed window keeps one point, or a minute of them, from stretching across the whole axis.
          range: (_u, min, max) =>
            span.current ? [span.current[0] / 1000, span.current[1] / 1000] : [min, max],
        },
        y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' } },
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.15)' },
          size: 60,
          values: (_u, ticks) => ticks.map((v) => `${Number(v.toPrecision(3))}${unit ? ` ${unit}` : ''}`),
        },
      ],
      series: [
        {},
        ...lines.map((line, i) => ({
          label: line.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          spanGaps: false,
          // Dots make a lone minute visible; a line alone needs two points.
          points: { show: line.points.length < 5, size: 5 },
        })),
      ],
    }
    plot.current = new uPlot(options, alignLines(lines), element)
    const resize = new ResizeObserver(() => {
      plot.current?.setSize({ width: Math.max(element.clientWidth, 200), height })
    })
    resize.observe(element)
    return () => {
      resize.disconnect()
      plot.current?.destroy()
      plot.current = null
    }
  }, [shape, height, unit])

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new window must redraw too (the x range reads it from a ref).
  useEffect(() => {
    plot.current?.setData(alignLines(lines))
  }, [lines, window?.[0], window?.[1]])

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={holder} className="chart-canvas" role="img" aria-label={`${title}: ${summary}`} />
      {lines.length === 0 && <p className="muted chart-empty">No data in this period yet.</p>}
    </figure>
  )
}
