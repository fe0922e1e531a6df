import { valueAt } from './paths.ts'
import type { OrderClause, WhereClause } from './query.ts'
import { compareKeys, keyRank, MISSING_KEY, sortKey } from './sort-key.ts'

/**
 * The in-memory side of the query semantics, for realtime (which must decide whether a change matches
 * a subscription without asking the database) and for tests that hold it against the SQL compiler.
 * Every comparison goes through sort keys, exactly as the SQL does.
 *
 * - `==`, `in`: the field holds an equal value (`== null` matches an explicit null, not a missing field).
 * - `!=`, `not-in`: the field exists and holds none of the values (a missing field never matches).
 * - `<`, `<=`, `>`, `>=`: the field holds a value of the same type class as the operand (numbers with
 *   numbers, strings with strings, …) that compares so in the total order.
 * - `array-contains`: the field is an array with an element equal to the value;
 *   `array-contains-any`: … equal to one of the values.
 */

/** What the matcher and comparator read of a document. */
export interface MatchableDocument {
  id: string
  data: unknown
  /** ISO-8601 (as the API returns it). */
  createdAt: string
  updatedAt: string
}

function arrayElementKeys(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map(sortKey) : undefined
}

/** True when `data` satisfies one clause. */
export function matchesClause(data: unknown, clause: WhereClause): boolean {
  const value = valueAt(data, clause.path)
  switch (clause.op) {
    case 'array-contains':
      return arrayElementKeys(value)?.includes(clause.key) ?? false
    case 'array-contains-any': {
      const elements = arrayElementKeys(value)
      return elements ? elements.some((key) => clause.keys.includes(key)) : false
    }
    default:
      break
  }
  const key = sortKey(value)
  switch (clause.op) {
    case '==':
      return key === clause.key
    case '!=':
      return key !== MISSING_KEY && key !== clause.key
    case 'in':
      return clause.keys.includes(key)
    case 'not-in':
      return key !== MISSING_KEY && !clause.keys.includes(key)
    default: {
      if (keyRank(key) !== keyRank(clause.key)) return false
      const c = compareKeys(key, clause.key)
      if (clause.op === '<') return c < 0
      if (clause.op === '<=') return c <= 0
      if (clause.op === '>') return c > 0
      return c >= 0
    }
  }
}

/** True when `data` (a document's data) satisfies every clause of `where`. */
export function matchesWhere(data: unknown, where: readonly WhereClause[]): boolean {
  for (const clause of where) if (!matchesClause(data, clause)) return false
  return true
}

/** The value a document sorts by for one order clause, as a comparable string. */
export function orderKey(doc: MatchableDocument, clause: OrderClause): string {
  const field = clause.field
  if (field.kind === 'data') return sortKey(valueAt(doc.data, field.path))
  if (field.field === '$id') return doc.id
  return field.field === '$createdAt' ? doc.createdAt : doc.updatedAt
}

/**
 * A comparator for documents in a list's full order (`resolveOrder`: the requested fields, then `$id`),
 * the same order the SQL compiler produces.
 */
export function compareDocuments(
  order: readonly OrderClause[],
): (a: MatchableDocument, b: MatchableDocument) => number {
  return (a, b) => {
    for (const clause of order) {
      const c = compareKeys(orderKey(a, clause), orderKey(b, clause))
      if (c !== 0) return clause.direction === 'asc' ? c : -c
    }
    return 0
  }
}
