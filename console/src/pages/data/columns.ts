import type { Document } from '../../api/data.ts'

/** How many data fields the grid shows as columns; the rest are in the document editor. */
export const MAX_DATA_COLUMNS = 8
/** Documents looked at to choose columns: enough to be representative, few enough to be instant. */
const SAMPLE = 500

/**
 * The data fields to show as columns: the top-level fields the documents have most often (ties by
 * name: stored objects come back in jsonb's key order, shortest first, which reads as no order), at most
 * `max`. Chosen from the first page, so columns do not move while scrolling.
 */
export function dataColumns(docs: readonly Document[], max = MAX_DATA_COLUMNS): string[] {
  const counts = new Map<string, number>()
  for (const doc of docs.slice(0, SAMPLE)) {
    for (const key of Object.keys(doc.data)) counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, max)
    .map(([key]) => key)
}

/** A cell's text: strings as they are, other values as compact JSON, long ones cut. */
export function cellText(value: unknown, max = 120): string {
  if (value === undefined) return ''
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** The kind of value a cell holds, for styling (numbers right-aligned, null and missing muted). */
export function cellKind(value: unknown): 'missing' | 'null' | 'string' | 'number' | 'boolean' | 'json' {
  if (value === undefined) return 'missing'
  if (value === null) return 'null'
  if (typeof value === 'string') return 'string'
  if (typeof value === 'number') return 'number'
  if (typeof value === 'boolean') return 'boolean'
  return 'json'
}
