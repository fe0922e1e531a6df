/**
 * An audit entry's change as rows a person can read: each leaf field (dotted path) with its value
 * before and after. `before` is what a GET answered just before the change (the whole resource);
 * `after` is the request body, which may name only some fields (a PATCH), so a field only `before`
 * has was not sent, not removed, unless the change was a delete (no body at all).
 */
export type DiffKind = 'added' | 'changed' | 'unchanged' | 'not-sent' | 'removed'

export interface DiffRow {
  /** `rules.read`, `allowedContentTypes[0]`; '' for a value that is not an object. */
  path: string
  kind: DiffKind
  before?: unknown
  after?: unknown
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Leaf values by path. Empty objects and arrays are leaves (`{}`, `[]`), so they still show. */
export function flatten(value: unknown, path = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value) && value.length > 0) {
    value.forEach((item, index) => {
      flatten(item, `${path}[${index}]`, out)
    })
  } else if (isObject(value) && Object.keys(value).length > 0) {
    for (const [key, item] of Object.entries(value)) flatten(item, path ? `${path}.${key}` : key, out)
  } else {
    out.set(path, value)
  }
  return out
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/**
 * The resource inside a GET answer that wraps it (`{admin: {...}}`, `{user: {...}}`), when the request
 * body is the bare resource: comparing `admin.role` with `role` would say nothing changed.
 */
export function unwrapBefore(before: unknown, after: unknown): unknown {
  if (!isObject(before) || !isObject(after)) return before
  const keys = Object.keys(before)
  if (keys.length !== 1) return before
  const [key] = keys as [string]
  const inner = before[key]
  return isObject(inner) && !(key in after) ? inner : before
}

/** The rows of a change, in the order the fields first appear (before's order, then after's new ones). */
export function auditDiff(recordedBefore: unknown, after: unknown): DiffRow[] {
  const before = unwrapBefore(recordedBefore, after)
  const hasBefore = before !== undefined && before !== null
  const hasAfter = after !== undefined && after !== null
  const old = hasBefore ? flatten(before) : new Map<string, unknown>()
  const next = hasAfter ? flatten(after) : new Map<string, unknown>()
  const rows: DiffRow[] = []
  for (const [path, value] of old) {
    if (next.has(path)) {
      const changed = next.get(path)
      rows.push({ path, kind: same(value, changed) ? 'unchanged' : 'changed', before: value, after: changed })
    } else {
      rows.push({ path, kind: hasAfter ? 'not-sent' : 'removed', before: value })
    }
  }
  for (const [path, value] of next) if (!old.has(path)) rows.push({ path, kind: 'added', after: value })
  return rows
}

/** How many rows of each kind: "2 changed, 1 added". */
export function diffSummary(rows: readonly DiffRow[]): string {
  const order: DiffKind[] = ['changed', 'added', 'removed', 'unchanged', 'not-sent']
  const parts: string[] = []
  for (const kind of order) {
    const count = rows.filter((row) => row.kind === kind).length
    if (count) parts.push(`${count} ${kind === 'not-sent' ? 'not sent' : kind}`)
  }
  return parts.join(', ') || 'no fields'
}

/** A leaf value as JSON text (strings quoted, so `"1"` and `1` differ on screen). */
export function showValue(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value)
}
