import type { Readable } from 'node:stream'

/**
 * The storage contract: where object bytes live. Two drivers implement it (local disk and S3 through
 * the `minio` client) and one conformance suite (`test/storage/driver-contract.ts`) runs against both.
 *
 * A driver knows nothing of buckets, rules or metadata: it stores opaque byte blobs under paths of
 * `/`-separated segments. The storage service chooses the paths (`<bucket>/<key>/<version>`, a fresh
 * version for every write, so a path is written at most once) and keeps the metadata in Postgres.
 */
export interface StorageDriver {
  /** `local` or `s3`, for logs. */
  readonly name: string

  /**
   * Streams `body` into `path` and resolves once the bytes are durably stored (fsynced on disk,
   * acknowledged by S3): only then may the caller publish the object. Atomic: a reader never sees a
   * partial blob, and if `body` errors (aborted client, size limit) or the write fails, nothing is
   * left behind and the promise rejects with `body`'s error. Reads `body` with back-pressure, holding
   * at most a bounded buffer in memory whatever the size. Throws `InvalidPathError` for a path that
   * could escape the driver's root.
   */
  put(path: string, body: Readable, options?: PutOptions): Promise<PutResult>

  /**
   * Opens the blob for reading, optionally a byte range (`end` inclusive, within the blob). Rejects
   * with `BlobNotFoundError` when there is no blob, before any byte is streamed.
   */
  get(path: string, range?: ByteRange): Promise<Readable>

  /** The blob's size, or null when there is none. */
  stat(path: string): Promise<{ size: number } | null>

  /** Removes the blob; a missing blob is not an error (deletes are retried by the sweep). */
  delete(path: string): Promise<void>

  /** Every blob path under `prefix` (a whole-segment prefix, e.g. `photos/`), in no particular order. */
  list(prefix: string): AsyncIterable<string>

  /** Resolves when the backing store answers (the local root is writable; the S3 bucket exists). */
  ping(): Promise<void>

  /** Releases the driver's resources. Idempotent. */
  close(): Promise<void>
}

/** Hints for `put`. */
export interface PutOptions {
  /** The media type to record with the blob, where the backend keeps one (S3). */
  contentType?: string
  /** The size, when the caller knows it in advance (lets the S3 driver skip multipart for small bodies). */
  size?: number
}

/** What `put` stored. */
export interface PutResult {
  size: number
}

/** A byte range: offsets from 0, `end` inclusive. */
export interface ByteRange {
  start: number
  end: number
}

/** No blob at `path`. */
export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError'
  readonly path: string
  constructor(path: string) {
    super(`No blob at ${path}`)
    this.path = path
  }
}

/** A path a driver refuses: empty, `.`/`..` segments, control characters, or otherwise unsafe. */
export class InvalidPathError extends Error {
  override name = 'InvalidPathError'
  readonly path: string
  constructor(path: string, reason: string) {
    super(`Invalid storage path ${JSON.stringify(path)}: ${reason}`)
    this.path = path
  }
}

/** Longest path segment either driver accepts (a file name on most file systems). */
export const MAX_SEGMENT_BYTES = 255
/** Longest path (an S3 key is at most 1024 bytes). */
export const MAX_PATH_BYTES = 1024

// C0 controls, DEL, and the backslash (a separator on Windows, and never needed in a key).
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters refused
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f\\]/

/**
 * Checks a blob path as both drivers require: `/`-separated, non-empty segments of at most 255 bytes,
 * none `.` or `..`, no control characters or backslashes, at most 1024 bytes in all. Returns the
 * segments. Drivers call it on every path they are given, whatever the caller checked before.
 */
export function checkPath(path: string): string[] {
  if (typeof path !== 'string' || path.length === 0) throw new InvalidPathError(String(path), 'empty')
  if (Buffer.byteLength(path) > MAX_PATH_BYTES)
    throw new InvalidPathError(path, `longer than ${MAX_PATH_BYTES} bytes`)
  if (UNSAFE_CHARACTERS.test(path)) throw new InvalidPathError(path, 'control character or backslash')
  const segments = path.split('/')
  for (const segment of segments) {
    if (segment === '') throw new InvalidPathError(path, 'empty segment')
    if (segment === '.' || segment === '..') throw new InvalidPathError(path, `"${segment}" segment`)
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)
      throw new InvalidPathError(path, `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`)
  }
  return segments
}
