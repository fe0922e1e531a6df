import type { Span } from '../../api/events.ts'

/** A span placed in the waterfall: its depth in the causal tree and its bar, in percent of the trace. */
export interface WaterfallRow {
  span: Span
  depth: number
  offsetPct: number
  widthPct: number
  durationMs: number | null
}

const ms = (iso: string | null | undefined) => (iso ? new Date(iso).getTime() : Number.NaN)

/**
 * Orders spans depth-first from the roots (children by start time) and places each on a shared time
 * axis. A span whose parent is missing is a root; an open span (no end) runs to the trace's end.
 */
export function layoutWaterfall(spans: readonly Span[]): { rows: WaterfallRow[]; totalMs: number } {
  if (spans.length === 0) return { rows: [], totalMs: 0 }
  const ids = new Set(spans.map((s) => s.id))
  const children = new Map<string | null, Span[]>()
  for (const span of spans) {
    const parent = span.parentId && ids.has(span.parentId) ? span.parentId : null
    const list = children.get(parent) ?? []
    list.push(span)
    children.set(parent, list)
  }
  for (const list of children.values())
    list.sort((a, b) => ms(a.start) - ms(b.start) || a.id.localeCompare(b.id))
  const t0 = Math.min(...spans.map((s) => ms(s.start)))
  const tEnd = Math.max(...spans.map((s) => Math.max(ms(s.start), ms(s.end) || ms(s.start))))
  const total = Math.max(tEnd - t0, 1)
  const rows: WaterfallRow[] = []
  const seen = new Set<string>()
  const place = (span: Span, depth: number) => {
    seen.add(span.id)
    const start = ms(span.start)
    const end = Number.isNaN(ms(span.end)) ? tEnd : ms(span.end)
    rows.push({
      span,
      depth,
      offsetPct: ((start - t0) / total) * 100,
      widthPct: Math.max(((end - start) / total) * 100, 0.5),
      durationMs: span.end ? end - start : null,
    })
    visit(span.id, depth + 1)
  }
  const visit = (parent: string | null, depth: number) => {
    for (const span of children.get(parent) ?? []) {
      if (!seen.has(span.id)) place(span, depth)
    }
  }
  visit(null, 0)
  // Spans only reachable through a cycle of parent links (bad data) still show, as roots.
  for (const span of spans) if (!seen.has(span.id)) place(span, 0)
  return { rows, totalMs: total }
}
