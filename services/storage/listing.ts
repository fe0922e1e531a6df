import { StratusError } from '../core/errors.ts'
import type { Sql } from '../db/database.ts'
import type { Caller, StorageAccess } from './access.ts'
import type { Bucket } from './records.ts'
import {
  OBJECT_COLUMNS,
  type ObjectMetadata,
  type ObjectRow,
  toObjectMetadata,
  toStoredObject,
} from './records.ts'

/** One page of a listing. `prefixes` (folders) only when a delimiter was asked for. */
export interface ObjectPage {
  objects: ObjectMetadata[]
  /** Common prefixes ("folders") at this level, each ending with the delimiter, in key order. */
  prefixes?: string[]
  nextCursor: string | null
}

/** What a listing asks for. */
export interface ListOptions {
  prefix?: string
  limit?: number
  cursor?: string
  /** One character (`/`): keys that go on past it after `prefix` are rolled up into `prefixes`. */
  delimiter?: string
}

// A folder is shown to a caller whose read rule filters objects when one of its first objects passes.
const FOLDER_PROBE = 100

function encodeCursor(key: string): string {
  return Buffer.from(key).toString('base64url')
}

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString()
  if (!cursor || encodeCursor(key) !== cursor)
    throw new StratusError('request/invalid', 'Invalid cursor', { details: { field: 'cursor' } })
  return key
}

/**
 * The least string greater than every string that starts with `s`, in code point order (byte order
 * of UTF-8, which `COLLATE "C"` compares), or null when there is none (`s` empty).
 */
export function successor(s: string): string | null {
  const points = Array.from(s)
  while (points.length > 0) {
    let next = points.pop()!.codePointAt(0)! + 1
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000
    if (next <= 0x10ffff) return points.join('') + String.fromCodePoint(next)
  }
  return null
}

function checkDelimiter(delimiter: string | undefined): string | undefined {
  if (delimiter === undefined || delimiter === '') return undefined
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a key never holds a control character
  if (Array.from(delimiter).length !== 1 || /[\u0000-\u001f\u007f]/.test(delimiter))
    throw new StratusError('request/invalid', 'The delimiter is one character, such as /', {
      details: { field: 'delimiter' },
    })
  return delimiter
}

/** Where a page starts: after a key (exclusive), or from a bound (inclusive) past a skipped folder. */
type Start = { op: '>' | '>='; key: string } | null

/**
 * Object listings from the metadata, in code point (byte) order on every database: keyset pages on
 * the `(bucket, key COLLATE "C")` index, a prefix read as one index range. With a delimiter, the keys
 * under each folder are skipped with one range step per folder, however many objects it holds.
 */
export class ObjectListing {
  private readonly db: Sql
  private readonly access: StorageAccess

  constructor(db: Sql, access: StorageAccess) {
    this.db = db
    this.access = access
  }

  /**
   * A page of `bucket`'s objects (and folders, with a delimiter): `limit` entries at most, objects
   * and folders counted together in key order. A caller whose read rule filters objects sees only the
   * objects it allows (so a page may hold fewer than `limit` while more follow) and only the folders
   * where one of the first objects is allowed.
   */
  async list(caller: Caller, bucket: Bucket, options: ListOptions): Promise<ObjectPage> {
    const prefix = options.prefix ?? ''
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000)
    const delimiter = checkDelimiter(options.delimiter)
    const open = this.access.readsEverything(caller, bucket)
    // Without a read rule nothing is readable: say so rather than answer an empty page.
    if (!open && bucket.rules.read === undefined) this.access.check('read', caller, bucket, prefix, null)
    const readable = (object: ObjectMetadata) =>
      open || this.access.allows('read', caller, bucket, object.key, object)
    const cursor = options.cursor === undefined ? undefined : decodeCursor(options.cursor)
    let start: Start = cursor === undefined ? null : { op: '>', key: cursor }
    // A cursor that names a folder (it goes on past the delimiter) resumes after everything under it.
    if (
      cursor !== undefined &&
      delimiter &&
      cursor.startsWith(prefix) &&
      cursor.slice(prefix.length).includes(delimiter)
    ) {
      const next = successor(cursor)
      start = next === null ? null : { op: '>=', key: next }
    }

    const entries: ({ object: ObjectMetadata } | { prefix: string })[] = []
    for (;;) {
      const want = limit + 1 - entries.length
      const rows = await this.rows(bucket.name, prefix, start, want)
      let skipped = false
      for (const row of rows) {
        const object = toObjectMetadata(toStoredObject(row))
        const at = delimiter ? object.key.indexOf(delimiter, prefix.length) : -1
        if (at < 0) {
          entries.push({ object })
          start = { op: '>', key: object.key }
        } else {
          const folder = object.key.slice(0, at + delimiter!.length)
          entries.push({ prefix: folder })
          const next = successor(folder)
          start = next === null ? null : { op: '>=', key: next }
          skipped = true
          break
        }
      }
      if (entries.length > limit || (!skipped && rows.length < want) || start === null) break
    }

    const page = entries.slice(0, limit)
    const last = page[page.length - 1]
    const nextCursor =
      entries.length > limit && last ? encodeCursor('object' in last ? last.object.key : last.prefix) : null
    const objects: ObjectMetadata[] = []
    const prefixes: string[] = []
    for (const entry of page) {
      if ('object' in entry) {
        if (readable(entry.object)) objects.push(entry.object)
      } else if (open || (await this.folderReadable(caller, bucket, entry.prefix))) {
        prefixes.push(entry.prefix)
      }
    }
    return delimiter ? { objects, prefixes, nextCursor } : { objects, nextCursor }
  }

  /** Up to `limit` rows under `prefix` from `start`, in code point order. */
  private rows(bucket: string, prefix: string, start: Start, limit: number): Promise<ObjectRow[]> {
    const params: unknown[] = [bucket, prefix, limit]
    const where = ['bucket = $1', 'starts_with(key, $2)', 'key COLLATE "C" >= $2']
    const upper = successor(prefix)
    if (upper !== null) {
      params.push(upper)
      where.push(`key COLLATE "C" < $${params.length}`)
    }
    if (start) {
      params.push(start.key)
      where.push(`key COLLATE "C" ${start.op} $${params.length}`)
    }
    return this.db.query<ObjectRow>(
      `SELECT ${OBJECT_COLUMNS} FROM storage_objects WHERE ${where.join(' AND ')}
       ORDER BY key COLLATE "C" LIMIT $3`,
      params,
    )
  }

  /** True when the caller's read rule allows one of the first objects under `folder`. */
  private async folderReadable(caller: Caller, bucket: Bucket, folder: string): Promise<boolean> {
    const rows = await this.rows(bucket.name, folder, null, FOLDER_PROBE)
    return rows.some((row) => {
      const object = toObjectMetadata(toStoredObject(row))
      return this.access.allows('read', caller, bucket, object.key, object)
    })
  }
}
