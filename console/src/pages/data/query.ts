import type { OrderClause, WhereClause, WhereOp } from '../../api/data.ts'

/** The query ops of `where`, in the order the filter menu offers them (API.md, Database). */
export const WHERE_OPS: readonly WhereOp[] = [
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'in',
  'not-in',
  'array-contains',
  'array-contains-any',
]

/** Ops whose value is a list of values. */
const LIST_OPS = new Set<WhereOp>(['in', 'not-in', 'array-contains-any'])
/** What the server accepts (services/documents/query): more is refused with 400 db/invalid-query. */
export const MAX_CLAUSES = 30
export const MAX_LIST_VALUES = 100

/** The fields every document has besides its data, as `orderBy` names them. */
export const SYSTEM_ORDER_FIELDS = ['$createdAt', '$updatedAt', '$id'] as const

/** One filter row as the admin types it: the value is text, read as JSON when it parses as JSON. */
export interface FilterRow {
  field: string
  op: WhereOp
  value: string
}

export function isListOp(op: WhereOp): boolean {
  return LIST_OPS.has(op)
}

/**
 * A typed value: JSON when the text is JSON (`42`, `true`, `null`, `"42"`, `[1, 2]`, `{"a": 1}`),
 * otherwise the text itself as a string (`Ada`). Quote a string that looks like something else: `"42"`.
 */
export function parseFilterValue(text: string): unknown {
  const trimmed = text.trim()
  if (trimmed === '') return ''
  try {
    return JSON.parse(trimmed)
  } catch {
    return text
  }
}

/** A list value: a JSON array (`["a", 2]`), or values separated by commas (`a, b, 3`), each read as above. */
export function parseListValue(text: string): unknown[] {
  const trimmed = text.trim()
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed)
      if (Array.isArray(parsed)) return parsed
    } catch {
      // Not JSON: read it as a comma-separated list.
    }
  }
  if (trimmed === '') return []
  return trimmed.split(',').map((part) => parseFilterValue(part.trim()))
}

/** How a value is written back into a filter row: strings bare unless they would read as something else. */
export function formatFilterValue(value: unknown): string {
  if (typeof value === 'string') {
    return value !== '' && parseFilterValue(value) === value && value.trim() === value
      ? value
      : JSON.stringify(value)
  }
  return JSON.stringify(value) ?? ''
}

export interface WhereResult {
  where: WhereClause[]
  /** One entry per row: why it cannot be sent, or null. */
  errors: (string | null)[]
}

/** The `where` JSON for filter rows; rows with neither field nor value are left out. */
export function filtersToWhere(rows: readonly FilterRow[]): WhereResult {
  const where: WhereClause[] = []
  const errors = rows.map((row): string | null => {
    const field = row.field.trim()
    if (field === '' && row.value.trim() === '') return null
    if (field === '') return 'Name a field'
    if (field.startsWith('$')) return 'Filters apply to data fields (quote a key that starts with $: `$key`)'
    if (isListOp(row.op)) {
      const values = parseListValue(row.value)
      if (values.length === 0) return `${row.op} needs at least one value`
      if (values.length > MAX_LIST_VALUES) return `${row.op} takes at most ${MAX_LIST_VALUES} values`
      where.push([field, row.op, values])
      return null
    }
    where.push([field, row.op, parseFilterValue(row.value)])
    return null
  })
  if (where.length > MAX_CLAUSES) {
    return {
      where,
      errors: errors.map((e, i) => e ?? (i >= MAX_CLAUSES ? `At most ${MAX_CLAUSES} filters` : null)),
    }
  }
  return { where, errors }
}

/** Filter rows for a `where` (a deep link's), so the admin can edit it. */
export function whereToFilters(where: readonly WhereClause[]): FilterRow[] {
  return where.map(([field, op, value]) => ({
    field,
    op,
    value: isListOp(op) && Array.isArray(value) ? JSON.stringify(value) : formatFilterValue(value),
  }))
}

/** Whether `value` is a `where` array the console can show as rows. */
export function isWhere(value: unknown): value is WhereClause[] {
  return (
    Array.isArray(value) &&
    value.every(
      (clause) =>
        Array.isArray(clause) &&
        clause.length === 3 &&
        typeof clause[0] === 'string' &&
        (WHERE_OPS as readonly unknown[]).includes(clause[1]),
    )
  )
}

export function isOrderBy(value: unknown): value is OrderClause[] {
  return (
    Array.isArray(value) &&
    value.every(
      (clause) =>
        Array.isArray(clause) &&
        clause.length === 2 &&
        typeof clause[0] === 'string' &&
        (clause[1] === 'asc' || clause[1] === 'desc'),
    )
  )
}

/** The order a click on a column header asks for: ascending, then descending, then the default order. */
export function nextOrder(current: readonly OrderClause[], field: string): OrderClause[] {
  const [first] = current
  if (!first || first[0] !== field) return [[field, 'asc']]
  if (first[1] === 'asc') return [[field, 'desc']]
  return []
}
