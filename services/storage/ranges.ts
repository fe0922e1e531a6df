import type { ByteRange } from './storage-driver.ts'

/**
 * Resolves a `Range` header against an object of `size` bytes (RFC 9110 §14): `bytes=a-b`, `bytes=a-`
 * and `bytes=-n`. Returns `undefined` when the whole object should be served (no header, another unit,
 * a malformed value, or several ranges, which servers may ignore), `'unsatisfiable'` for a range that
 * starts past the end (416), or the range, clamped to the object.
 */
export function resolveRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (!match) return undefined
  const [, first, last] = match as unknown as [string, string, string]
  if (first === '' && last === '') return undefined
  if (first === '') {
    // The last n bytes.
    const n = Number(last)
    if (n === 0) return 'unsatisfiable'
    if (size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? Number.MAX_SAFE_INTEGER : Number(last)
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end: Math.min(end, size - 1) }
}

/**
 * True when an `If-None-Match` header matches `etag` (weak comparison, as RFC 9110 §13.1.2 asks):
 * `*`, or any listed tag equal to it with or without `W/`.
 */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false
  if (header.trim() === '*') return true
  const bare = (tag: string) => tag.trim().replace(/^W\//, '')
  return header.split(',').some((tag) => bare(tag) === bare(etag))
}
