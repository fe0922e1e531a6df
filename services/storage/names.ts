import { StratusError } from '../core/errors.ts'
import { checkPath, InvalidPathError, MAX_PATH_BYTES } from './storage-driver.ts'

/** Bucket names: 1-63 characters of `[A-Za-z0-9_-]` (URL- and path-safe; never `.`-led). */
export const BUCKET_NAME_PATTERN = /^[A-Za-z0-9_-]{1,63}$/

/** Room left in a driver path for the bucket, the two slashes and the version segment. */
const VERSION_BYTES = 20
/** Longest object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = MAX_PATH_BYTES - 63 - 2 - VERSION_BYTES

/** Throws `request/invalid` unless `name` is a valid bucket name. */
export function checkBucketName(name: string): void {
  if (!BUCKET_NAME_PATTERN.test(name)) {
    throw new StratusError('request/invalid', 'A bucket name is 1-63 characters of [A-Za-z0-9_-]', {
      details: { field: 'bucket' },
    })
  }
}

/**
 * The stored form of an object key: Unicode NFC, so that two keys that look the same (`é` typed as one
 * code point or as `e` + combining accent, as macOS file names arrive) name one object.
 */
export function normalizeObjectKey(key: string): string {
  return key.normalize('NFC')
}

/**
 * Returns `key` in its stored form (NFC), or throws `request/invalid` unless it is a valid object key:
 * `/`-separated non-empty segments of at most 255 bytes, none `.` or `..`, no control characters or
 * backslashes, at most `MAX_KEY_BYTES` bytes. The key is normalised first and checked after, so no
 * normalisation can turn a checked key into a traversal. Traversal (`../x`, `a/../../b`, encoded or
 * not) is refused here, and again by the driver.
 */
export function checkObjectKey(raw: string): string {
  const key = normalizeObjectKey(raw)
  const fail = (reason: string): never => {
    throw new StratusError('request/invalid', `Invalid object key: ${reason}`, { details: { field: 'key' } })
  }
  if (key.length === 0) fail('empty')
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) fail(`longer than ${MAX_KEY_BYTES} bytes`)
  try {
    checkPath(key)
  } catch (error) {
    if (error instanceof InvalidPathError) fail(error.message.replace(/^.*: /, ''))
    throw error
  }
  return key
}

/**
 * Where an object's bytes live in the driver: `<bucket>/<key>/<version>`. Every write gets a fresh
 * version, so concurrent overwrites never write to the same path, and the metadata row names the bytes
 * it describes. (On S3 this is the object key inside S3_BUCKET.)
 */
export function blobPath(bucket: string, key: string, version: string): string {
  return `${bucket}/${key}/${version}`
}

const MAX_METADATA_BYTES = 8 * 1024
const MAX_METADATA_ENTRIES = 64
const METADATA_NAME = /^[a-z0-9][a-z0-9_.-]{0,127}$/

/**
 * Checks user metadata (`x-stratus-meta-<name>` headers): lower-case names of `[a-z0-9_.-]`, at most
 * 64 entries and 8 KiB in all. Returns a plain copy.
 */
export function checkMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  if (!metadata) return {}
  const entries = Object.entries(metadata)
  let bytes = 0
  for (const [name, value] of entries) {
    if (!METADATA_NAME.test(name))
      throw new StratusError('request/invalid', `Invalid metadata name "${name}"`, {
        details: { field: 'metadata' },
      })
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value)
  }
  if (entries.length > MAX_METADATA_ENTRIES || bytes > MAX_METADATA_BYTES)
    throw new StratusError(
      'request/invalid',
      `Object metadata is limited to ${MAX_METADATA_ENTRIES} entries and ${MAX_METADATA_BYTES} bytes`,
      { details: { field: 'metadata' } },
    )
  return Object.fromEntries(entries)
}
