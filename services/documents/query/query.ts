import { StratusError } from '../../core/errors.ts'
import { checkJsonValue } from '../limits.ts'
import { type FieldPath, formatFieldPath, parseFieldPath, SYSTEM_FIELDS, type SystemField } from './paths.ts'
import { sortKey } from './sort-key.ts'

/**
 * The query model shared by the SQL compiler (`sql.ts`) and the in-memory matcher (`matcher.ts`):
 * both read the same parsed clauses, with their values' sort keys computed once here.
 */

export const WHERE_OPS = [
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
] as const
export type WhereOp = (typeof WHERE_OPS)[number]

/** Ops whose value is a list of values. */
const LIST_OPS: ReadonlySet<WhereOp> = new Set(['in', 'not-in', 'array-contains-any'])

/** One parsed `[fieldPath, op, value]` filter. */
export interface WhereClause {
  path: FieldPath
  op: WhereOp
  value: unknown
  /** sortKey(value), for the single-value ops. */
  key: string
  /** The values' sort keys, for `in`, `not-in` and `array-contains-any`. */
  keys: readonly string[]
}

/** What a list is ordered by: a data field, or a system field (`$createdAt`, `$updatedAt`, `$id`). */
export type OrderField = { kind: 'data'; path: FieldPath } | { kind: 'system'; field: SystemField }

export interface OrderClause {
  field: OrderField
  direction: 'asc' | 'desc'
}

/** Limits on a query's shape. */
export const QUERY_LIMITS = {
  maxClauses: 30,
  maxListValues: 100,
  maxOrderBy: 8,
  maxLimit: 1000,
  defaultLimit: 100,
} as const

function invalid(message: string, details?: unknown): StratusError {
  return new StratusError('db/invalid-query', message, details === undefined ? {} : { details })
}

/** Parses `where` (already JSON-decoded): an array of `[fieldPath, op, value]`. Throws `db/invalid-query`. */
export function parseWhere(raw: unknown, maxDepth = 100): WhereClause[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw invalid('where must be an array of [fieldPath, op, value]')
  if (raw.length > QUERY_LIMITS.maxClauses) {
    throw invalid(`where may hold at most ${QUERY_LIMITS.maxClauses} clauses`)
  }
  return raw.map((clause, index) => {
    if (!Array.isArray(clause) || clause.length !== 3) {
      throw invalid(`where[${index}] must be [fieldPath, op, value]`, { index })
    }
    const [rawPath, op, value] = clause as [unknown, unknown, unknown]
    const path = parseFieldPath(rawPath)
    if (typeof op !== 'string' || !(WHERE_OPS as readonly string[]).includes(op)) {
      throw invalid(`where[${index}]: unknown op ${JSON.stringify(op)}; use one of ${WHERE_OPS.join(' ')}`, {
        index,
      })
    }
    checkJsonValue(value, maxDepth, 'db/invalid-query', `where[${index}] value`)
    const whereOp = op as WhereOp
    if (LIST_OPS.has(whereOp)) {
      if (!Array.isArray(value) || value.length === 0 || value.length > QUERY_LIMITS.maxListValues) {
        throw invalid(`where[${index}]: ${op} needs an array of 1-${QUERY_LIMITS.maxListValues} values`, {
          index,
        })
      }
      return { path, op: whereOp, value, key: '', keys: value.map(sortKey) }
    }
    return { path, op: whereOp, value, key: sortKey(value), keys: [] }
  })
}

/** Parses `orderBy` (already JSON-decoded): an array of `[fieldPath, "asc"|"desc"]`. */
export function parseOrderBy(raw: unknown): OrderClause[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw invalid('orderBy must be an array of [fieldPath, "asc"|"desc"]')
  if (raw.length > QUERY_LIMITS.maxOrderBy) {
    throw invalid(`orderBy may hold at most ${QUERY_LIMITS.maxOrderBy} fields`)
  }
  return raw.map((clause, index) => {
    const [rawPath, direction] = Array.isArray(clause) ? clause : []
    if (!Array.isArray(clause) || clause.length < 1 || clause.length > 2) {
      throw invalid(`orderBy[${index}] must be [fieldPath, "asc"|"desc"]`, { index })
    }
    if (direction !== undefined && direction !== 'asc' && direction !== 'desc') {
      throw invalid(`orderBy[${index}]: the direction must be "asc" or "desc"`, { index })
    }
    const field: OrderField = (SYSTEM_FIELDS as readonly unknown[]).includes(rawPath)
      ? { kind: 'system', field: rawPath as SystemField }
      : { kind: 'data', path: parseFieldPath(rawPath) }
    return { field, direction: direction ?? 'asc' }
  })
}

/**
 * The full order of a list: the requested fields (default `$createdAt asc`), then `$id asc` as the
 * tie-breaker unless `$id` is already there. Every list is totally ordered, which keyset cursors need.
 */
export function resolveOrder(orderBy: readonly OrderClause[]): OrderClause[] {
  const order: OrderClause[] = orderBy.length
    ? [...orderBy]
    : [{ field: { kind: 'system', field: '$createdAt' }, direction: 'asc' }]
  const hasId = order.some((clause) => clause.field.kind === 'system' && clause.field.field === '$id')
  if (!hasId) order.push({ field: { kind: 'system', field: '$id' }, direction: 'asc' })
  return order
}

/** A canonical text of an order (cursors carry it, so a cursor only continues the order it came from). */
export function orderSignature(order: readonly OrderClause[]): string {
  return order
    .map(
      (clause) =>
        `${clause.field.kind === 'system' ? clause.field.field : formatFieldPath(clause.field.path)} ${clause.direction}`,
    )
    .join(',')
}

/** Parses a JSON query-string parameter, or throws `db/invalid-query` naming it. */
export function parseJsonParam(name: string, text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw invalid(`${name} is not valid JSON`)
  }
}

/** Parses `limit` (1-1000; default 100), or throws `db/invalid-query`. */
export function parseLimit(raw: string | number | undefined): number {
  if (raw === undefined || raw === '') return QUERY_LIMITS.defaultLimit
  const limit = typeof raw === 'number' ? raw : /^\d{1,7}$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isInteger(limit) || limit < 1 || limit > QUERY_LIMITS.maxLimit) {
    throw invalid(`limit must be an integer from 1 to ${QUERY_LIMITS.maxLimit}`)
  }
  return limit
}
