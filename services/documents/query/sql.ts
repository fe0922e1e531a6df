import { createHash } from 'node:crypto'
import { DOCUMENT_COLUMNS } from '../documents.ts'
import type { FieldPath } from './paths.ts'
import { formatFieldPath } from './paths.ts'
import type { OrderClause, OrderField, WhereClause } from './query.ts'
import { keyRank, MISSING_KEY, nextRank } from './sort-key.ts'

/**
 * Compiles parsed queries to parameterised SQL over the `documents` table. Every value, and every
 * field-path segment, is a parameter: nothing a client sends is spliced into the SQL text. Paths go
 * through `data -> $n::text`, which (unlike `#>`) never indexes into arrays, as `valueAt` does not.
 * Each field is compared through `stratus_sort_key(…) COLLATE "C"`, the same keys `matcher.ts` uses,
 * so filtering and ordering agree with the in-memory semantics, and a declared index (an expression
 * index on exactly these expressions: see `createIndexSql`) serves them. The planner sees the
 * parameters' values (unnamed statements get custom plans), which is what lets it match those indexes.
 */

/** Parameterised SQL. */
export interface SqlQuery {
  text: string
  params: unknown[]
}

/** Collects parameters; equal path segments share one placeholder, so equal expressions read alike. */
class Params {
  readonly values: unknown[] = []
  private readonly segments = new Map<string, string>()

  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }

  segment(name: string): string {
    let placeholder = this.segments.get(name)
    if (!placeholder) {
      placeholder = this.add(name)
      this.segments.set(name, placeholder)
    }
    return placeholder
  }
}

function valueSql(path: FieldPath, p: Params): string {
  return `data${path.map((segment) => ` -> ${p.segment(segment)}::text`).join('')}`
}

function keySql(path: FieldPath, p: Params): string {
  return `stratus_sort_key(${valueSql(path, p)}) COLLATE "C"`
}

/** The SQL of one order field, and how a cursor value for it is bound. */
function orderFieldSql(field: OrderField, p: Params): { expr: string; cast: string } {
  if (field.kind === 'data') return { expr: keySql(field.path, p), cast: '::text' }
  if (field.field === '$id') return { expr: 'id COLLATE "C"', cast: '::text' }
  return { expr: field.field === '$createdAt' ? 'created_at' : 'updated_at', cast: '::timestamptz' }
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value !== 'object'
}

function whereSql(clause: WhereClause, p: Params): string {
  const value = valueSql(clause.path, p)
  const key = keySql(clause.path, p)
  switch (clause.op) {
    case '==':
      return `${key} = ${p.add(clause.key)}`
    case '!=':
      return `(${key} <> '${MISSING_KEY}' AND ${key} <> ${p.add(clause.key)})`
    case 'in':
      return `${key} = ANY(${p.add(clause.keys)}::text[])`
    case 'not-in':
      return `(${key} <> '${MISSING_KEY}' AND ${key} <> ALL(${p.add(clause.keys)}::text[]))`
    case '<':
    case '<=':
      return `(${key} ${clause.op} ${p.add(clause.key)} AND ${key} >= ${p.add(keyRank(clause.key))})`
    case '>':
    case '>=':
      return `(${key} ${clause.op} ${p.add(clause.key)} AND ${key} < ${p.add(nextRank(keyRank(clause.key)))})`
    case 'array-contains':
      // Containment of a one-element array is element equality for scalars (and can use a GIN index);
      // for arrays and objects it would be partial matching, so those compare sort keys.
      if (isScalar(clause.value)) {
        return `(jsonb_typeof(${value}) = 'array' AND ${value} @> ${p.add(JSON.stringify([clause.value]))}::jsonb)`
      }
      return `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${value}) = 'array' THEN ${value} END) AS e(v) WHERE stratus_sort_key(e.v) COLLATE "C" = ${p.add(clause.key)})`
    case 'array-contains-any': {
      const values = clause.value as unknown[]
      if (values.every(isScalar)) {
        const wrapped = values.map((v) => JSON.stringify([v]))
        return `(jsonb_typeof(${value}) = 'array' AND ${value} @> ANY(${p.add(wrapped)}::jsonb[]))`
      }
      return `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${value}) = 'array' THEN ${value} END) AS e(v) WHERE stratus_sort_key(e.v) COLLATE "C" = ANY(${p.add(clause.keys)}::text[]))`
    }
  }
}

/**
 * "After this position" in the given order: a row comparison when every field ascends (which an index
 * range scan serves directly), else the expanded lexicographic form, led by a bound on the first field.
 */
function afterSql(order: readonly OrderClause[], position: readonly string[], p: Params): string {
  const fields = order.map((clause, i) => {
    const { expr, cast } = orderFieldSql(clause.field, p)
    return { expr, value: `${p.add(position[i])}${cast}`, direction: clause.direction }
  })
  if (fields.every((f) => f.direction === 'asc')) {
    return `(${fields.map((f) => f.expr).join(', ')}) > (${fields.map((f) => f.value).join(', ')})`
  }
  const beyond = (f: (typeof fields)[number]) => `${f.expr} ${f.direction === 'asc' ? '>' : '<'} ${f.value}`
  let condition = beyond(fields[fields.length - 1]!)
  for (let i = fields.length - 2; i >= 0; i--) {
    const f = fields[i]!
    condition = `${beyond(f)} OR (${f.expr} = ${f.value} AND (${condition}))`
  }
  const first = fields[0]!
  return `${first.expr} ${first.direction === 'asc' ? '>=' : '<='} ${first.value} AND (${condition})`
}

/** What a list query asks for. `order` is the full order (`resolveOrder`); `after` a cursor position. */
export interface ListQuery {
  collection: string
  where: readonly WhereClause[]
  order: readonly OrderClause[]
  /** One value per order field (sort keys, ids, ISO timestamps), from a cursor. */
  after?: readonly string[]
  limit: number
}

/**
 * A page of a list: the documents' columns, plus `k0…kn`, each row's value of every order field (what
 * the next cursor is made of, computed by the database itself).
 */
export function compileList(query: ListQuery): SqlQuery {
  const p = new Params()
  const conditions = [`collection = ${p.add(query.collection)}`]
  for (const clause of query.where) conditions.push(whereSql(clause, p))
  if (query.after) conditions.push(afterSql(query.order, query.after, p))
  const fields = query.order.map((clause) => ({ ...orderFieldSql(clause.field, p), clause }))
  const keys = fields.map((f, i) => `${f.expr} AS k${i}`).join(', ')
  const orderBy = fields.map((f) => `${f.expr} ${f.clause.direction === 'asc' ? 'ASC' : 'DESC'}`).join(', ')
  return {
    text: `SELECT ${DOCUMENT_COLUMNS}, ${keys} FROM documents WHERE ${conditions.join(' AND ')} ORDER BY ${orderBy} LIMIT ${p.add(query.limit)}`,
    params: p.values,
  }
}

/** A field of a declared index: a data path or a system field, and its direction. */
export interface IndexField {
  field: OrderField
  direction: 'asc' | 'desc'
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

function indexFieldSql(field: OrderField): string {
  if (field.kind === 'system') {
    return field.field === '$id'
      ? 'id COLLATE "C"'
      : field.field === '$createdAt'
        ? 'created_at'
        : 'updated_at'
  }
  // DDL takes no parameters: segments become quoted literals (a field path is an admin's declaration).
  const value = `data${field.path.map((segment) => ` -> ${literal(segment)}`).join('')}`
  return `(stratus_sort_key(${value}) COLLATE "C")`
}

/** The canonical text of an index's fields. */
export function indexSignature(fields: readonly IndexField[]): string {
  return fields
    .map((f) => `${f.field.kind === 'system' ? f.field.field : formatFieldPath(f.field.path)} ${f.direction}`)
    .join(',')
}

/** The deterministic name of a collection's index on `fields` (fits Postgres's 63-byte names). */
export function indexName(collection: string, fields: readonly IndexField[]): string {
  const hash = createHash('sha256')
    .update(`${collection}\n${indexSignature(fields)}`)
    .digest('hex')
  return `documents_ix_${hash.slice(0, 32)}`
}

/**
 * The expression index serving filters and orders on `fields` within one collection (partial on it),
 * ending with the id tie-breaker. `concurrently` on PostgreSQL, so writes go on while it builds.
 */
export function createIndexSql(
  collection: string,
  fields: readonly IndexField[],
  concurrently: boolean,
): string {
  const columns = fields.map((f) => `${indexFieldSql(f.field)} ${f.direction === 'asc' ? 'ASC' : 'DESC'}`)
  if (!fields.some((f) => f.field.kind === 'system' && f.field.field === '$id'))
    columns.push('id COLLATE "C"')
  return `CREATE INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF NOT EXISTS "${indexName(collection, fields)}" ON documents (${columns.join(', ')}) WHERE collection = ${literal(collection)}`
}

/** Drops an index made by `createIndexSql`. */
export function dropIndexSql(name: string, concurrently: boolean): string {
  return `DROP INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF EXISTS "${name}"`
}
