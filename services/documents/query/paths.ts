import { StratusError } from '../../core/errors.ts'

/**
 * Field paths address `data`: segments separated by dots (`address.city`). A segment holding a dot,
 * a backtick or a leading `$` is written between backticks, with `\` escaping a backtick or a
 * backslash inside (`` `a.b`.c `` is the key "a.b", then "c"). Paths descend through objects only,
 * never into arrays (`tags.0` is the key "0" of an object, as in SQL `data -> 'tags' -> '0'`).
 */
export type FieldPath = readonly string[]

/** System fields a list may be ordered by (not data fields). */
export const SYSTEM_FIELDS = ['$createdAt', '$updatedAt', '$id'] as const
export type SystemField = (typeof SYSTEM_FIELDS)[number]

const MAX_PATH_LENGTH = 1024
const MAX_SEGMENTS = 32

function invalid(path: string, why: string): StratusError {
  return new StratusError('db/invalid-query', `Invalid field path ${JSON.stringify(path)}: ${why}`)
}

/** Parses a field path, or throws `db/invalid-query`. */
export function parseFieldPath(path: unknown): FieldPath {
  if (typeof path !== 'string') throw new StratusError('db/invalid-query', 'A field path must be a string')
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) {
    throw invalid(path, `must be 1-${MAX_PATH_LENGTH} characters`)
  }
  const segments: string[] = []
  let i = 0
  for (;;) {
    let segment = ''
    if (path[i] === '`') {
      i++
      for (;;) {
        if (i >= path.length) throw invalid(path, 'unterminated backtick')
        const c = path[i]!
        if (c === '`') break
        if (c === '\\') {
          const next = path[i + 1]
          if (next !== '`' && next !== '\\') throw invalid(path, 'only \\` and \\\\ may be escaped')
          segment += next
          i += 2
          continue
        }
        segment += c
        i++
      }
      i++
      if (i < path.length && path[i] !== '.') throw invalid(path, 'a quoted segment must end at a dot')
    } else {
      const end = path.indexOf('.', i)
      segment = path.slice(i, end === -1 ? path.length : end)
      if (segment === '') throw invalid(path, 'empty segment')
      if (segment.includes('`')) throw invalid(path, 'a backtick must start a quoted segment')
      if (segment.startsWith('$')) throw invalid(path, 'quote a segment starting with $ in backticks')
      i += segment.length
    }
    if (segment.includes('\u0000')) throw invalid(path, 'must not contain U+0000')
    segments.push(segment)
    if (segments.length > MAX_SEGMENTS) throw invalid(path, `at most ${MAX_SEGMENTS} segments`)
    if (i >= path.length) return segments
    i++ // the dot
    if (i >= path.length) throw invalid(path, 'empty segment')
  }
}

/** The value at `path` in `data`, or undefined when a segment is missing or not an object's key. */
export function valueAt(data: unknown, path: FieldPath): unknown {
  let current = data
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined
    if (!Object.hasOwn(current, segment)) return undefined
    current = (current as Record<string, unknown>)[segment]
  }
  return current
}

/** The canonical text of a path (quoting segments that need it), e.g. for index names and cursors. */
export function formatFieldPath(path: FieldPath): string {
  return path
    .map((segment) =>
      /^[^.`$\\][^.`\\]*$/.test(segment) ? segment : `\`${segment.replace(/[`\\]/g, (c) => `\\${c}`)}\``,
    )
    .join('.')
}
