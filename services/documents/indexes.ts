import { StratusError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { Database } from '../db/database.ts'
import { parseFieldPath, SYSTEM_FIELDS, type SystemField } from './query/paths.ts'
import { createIndexSql, dropIndexSql, type IndexField, indexName } from './query/sql.ts'

/**
 * Declared indexes. An admin declares `indexes: [[path, "asc"|"desc"], …]` on a collection: each
 * entry is one index, on one field (`["score", "desc"]`) or on several, in order
 * (`[["status", "asc"], ["score", "desc"]]`). Each becomes an expression index on the fields' sort keys
 * (then the id), partial on the collection, named after the collection and fields.
 */

/** The declaration as an admin writes it (kept as written). */
export type IndexDeclaration = [string, 'asc' | 'desc'] | [string, 'asc' | 'desc'][]

const MAX_INDEXES = 64
const MAX_INDEX_FIELDS = 8

function invalid(message: string): StratusError {
  return new StratusError('request/invalid', message, { details: { field: 'indexes' } })
}

function parseIndexField(raw: unknown, where: string): IndexField {
  if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[0] !== 'string') {
    throw invalid(`${where} must be [fieldPath, "asc"|"desc"]`)
  }
  const [path, direction] = raw as [string, unknown]
  if (direction !== 'asc' && direction !== 'desc')
    throw invalid(`${where}: the direction must be "asc" or "desc"`)
  if ((SYSTEM_FIELDS as readonly string[]).includes(path)) {
    return { field: { kind: 'system', field: path as SystemField }, direction }
  }
  try {
    return { field: { kind: 'data', path: parseFieldPath(path) }, direction }
  } catch (error) {
    throw invalid(`${where}: ${(error as Error).message}`)
  }
}

/** Parses declared indexes, or throws `request/invalid`. */
export function parseIndexes(raw: unknown): IndexField[][] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw invalid('indexes must be an array')
  if (raw.length > MAX_INDEXES) throw invalid(`at most ${MAX_INDEXES} indexes per collection`)
  return raw.map((entry, i) => {
    if (Array.isArray(entry) && typeof entry[0] === 'string') return [parseIndexField(entry, `indexes[${i}]`)]
    if (!Array.isArray(entry) || entry.length === 0 || entry.length > MAX_INDEX_FIELDS) {
      throw invalid(`indexes[${i}] must be [fieldPath, dir] or a list of 1-${MAX_INDEX_FIELDS} of them`)
    }
    return entry.map((field, j) => parseIndexField(field, `indexes[${i}][${j}]`))
  })
}

/**
 * Makes the database's indexes for `collection` match `wanted`, given what was declared before:
 * creates the missing ones (and rebuilds one left invalid by an interrupted concurrent build), then
 * drops those no longer declared. CONCURRENTLY on PostgreSQL, so writes continue during a build;
 * PGlite has one connection and builds in place.
 */
export async function syncIndexes(
  db: Database,
  logger: Logger,
  collection: string,
  wanted: readonly IndexField[][],
  previous: readonly IndexField[][],
): Promise<void> {
  const concurrently = db.capabilities.connections === 'pool'
  const wantedNames = new Set<string>()
  for (const fields of wanted) {
    const name = indexName(collection, fields)
    wantedNames.add(name)
    const [state] = await db.query<{ valid: boolean }>(
      'SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1',
      [name],
    )
    if (state?.valid) continue
    if (state) await db.query(dropIndexSql(name, concurrently))
    const started = Date.now()
    await db.query(createIndexSql(collection, fields, concurrently))
    logger.info({ collection, index: name, ms: Date.now() - started }, 'built a declared index')
  }
  for (const fields of previous) {
    const name = indexName(collection, fields)
    if (!wantedNames.has(name)) await db.query(dropIndexSql(name, concurrently))
  }
}
