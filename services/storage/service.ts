import type { Readable } from 'node:stream'
import type { AuthContext } from '../auth/signing-keys.ts'
import { StratusError } from '../core/errors.ts'
import { EventTypes } from '../core/event-catalog.ts'
import { makeEvent } from '../core/events.ts'
import { newId } from '../core/ids.ts'
import type { Logger } from '../core/logger.ts'
import type { Database } from '../db/database.ts'
import { addToOutbox } from '../outbox/outbox.ts'
import type { RulesEvaluator } from '../rules/rules.ts'
import type { RuleSimulation, SimulatedOperation } from '../rules/simulation.ts'
import { type Caller, StorageAccess } from './access.ts'
import { type BucketInput, Buckets, bucketNotFound, contentTypeAllowed } from './buckets.ts'
import { StorageGarbage } from './garbage.ts'
import { type ListOptions, ObjectListing, type ObjectPage } from './listing.ts'
import { blobPath, checkBucketName, checkMetadata, checkObjectKey, normalizeObjectKey } from './names.ts'
import { noneMatch, resolveRange } from './ranges.ts'
import {
  type Bucket,
  type BucketRow,
  OBJECT_COLUMNS,
  type ObjectMetadata,
  type ObjectRow,
  type StoredObject,
  toBucket,
  toObjectMetadata,
  toStoredObject,
} from './records.ts'
import { UrlSigner } from './signing.ts'
import { type SimulatedUpload, simulateObjectRule } from './simulate.ts'
import { BlobNotFoundError, type ByteRange, type StorageDriver } from './storage-driver.ts'
import { UploadMeter } from './upload-meter.ts'

export type { Bucket, BucketInput, Caller, ListOptions, ObjectMetadata, ObjectPage }

/** What the storage service needs; built by the composition root. */
export interface StorageServiceOptions {
  db: Database
  driver: StorageDriver
  rules: RulesEvaluator
  logger: Logger
  /** The platform's object size cap (STORAGE_MAX_FILE_SIZE); a bucket may set a lower one. */
  maxFileSize: number
  /** How often this node sweeps unreferenced bytes (0 = only when `sweep()` is called). Default 60 s. */
  sweepIntervalMs?: number
  /** How long an upload may stream before its bytes count as abandoned. Default 24 h. */
  uploadTtlMs?: number
  /** Told of each stored upload and of the bytes each read sends (usage metering). */
  meter?: StorageMeter
}

/** Usage metering's view of storage: calls must be cheap (they run on every upload and read). */
export interface StorageMeter {
  upload(bucket: string): void
  egress(bucket: string, bytes: number): void
}

/** How a read is authorised: as a caller (rules), or by a signed URL's parameters. */
export type ReadAccess = { caller: Caller } | { signed: { expires?: string; signature?: string } }

/** What an upload declares besides its bytes. */
export interface UploadInput {
  /** The `content-type` to keep (default `application/octet-stream`). */
  contentType?: string
  /** The declared size (`content-length`), if any: refused at once when over the limit. */
  contentLength?: number
  /** User metadata (`x-stratus-meta-*`). */
  metadata?: Record<string, string>
}

/** Conditional and partial read options (HTTP's If-None-Match, Range, If-Range). */
export interface ReadOptions {
  ifNoneMatch?: string
  range?: string
  ifRange?: string
  /** Metadata only (HEAD): no bytes are opened. */
  head?: boolean
}

/** The outcome of a read. `body` is absent for `head` reads. */
export type ReadResult =
  | { kind: 'not-modified'; object: ObjectMetadata }
  | { kind: 'unsatisfiable'; object: ObjectMetadata }
  | { kind: 'whole'; object: ObjectMetadata; body?: Readable }
  | { kind: 'partial'; object: ObjectMetadata; range: ByteRange; body?: Readable }

/** A signed GET on one object. */
export interface SignedObject {
  bucket: string
  key: string
  expires: number
  signature: string
}

const objectNotFound = (bucket: string, key: string) =>
  new StratusError('storage/not-found', `No object ${key} in bucket ${bucket}`)
const subject = (bucket: string, key: string) => `buckets/${bucket}/objects/${key}`

/** The etag as HTTP quotes it. */
export const quotedEtag = (etag: string) => `"${etag}"`

interface Loaded {
  bucket: Bucket
  object: StoredObject | null
}

/**
 * Buckets and objects: metadata in Postgres, bytes in the storage driver, access through the shared CEL
 * rules evaluator. Knows nothing of HTTP.
 *
 * Writes never expose a partial or unreadable object: an upload streams into a fresh path (registered in
 * `storage_garbage` first, so a crash leaves nothing for long), and only once the driver says the bytes
 * are durable does one transaction publish the metadata and its `storage.object.created` event. An
 * overwrite swaps the row to the new bytes and queues the old ones for deletion in that transaction, so
 * of concurrent overwrites exactly one complete object remains and its metadata describes its bytes.
 */
export class StorageService {
  /** Bucket settings (the admin API). */
  readonly buckets: Buckets
  private readonly db: Database
  private readonly driver: StorageDriver
  private readonly access: StorageAccess
  private readonly garbage: StorageGarbage
  private readonly maxFileSize: number
  private readonly signer: UrlSigner
  private readonly meter: StorageMeter | undefined
  private readonly rules: RulesEvaluator
  private readonly listing: ObjectListing

  constructor(options: StorageServiceOptions) {
    this.db = options.db
    this.rules = options.rules
    this.driver = options.driver
    this.maxFileSize = options.maxFileSize
    this.buckets = new Buckets(options.db, options.rules, options.maxFileSize)
    this.access = new StorageAccess(options.rules, options.logger)
    this.listing = new ObjectListing(options.db, this.access)
    this.garbage = new StorageGarbage(options)
    this.signer = new UrlSigner(options.db)
    this.meter = options.meter
  }

  /** Bytes stored per bucket now (every bucket, empty ones too). */
  async bucketSizes(): Promise<Array<{ name: string; bytes: number }>> {
    const rows = await this.db.query<{ name: string; bytes: string | number }>(
      `SELECT b.name, coalesce(sum(o.size), 0)::bigint AS bytes
       FROM storage_buckets b LEFT JOIN storage_objects o ON o.bucket = b.name
       GROUP BY b.name ORDER BY b.name`,
    )
    return rows.map((r) => ({ name: r.name, bytes: Number(r.bytes) }))
  }

  /** How many objects each bucket holds (every bucket, 0 for an empty one). */
  async objectCounts(): Promise<Map<string, number>> {
    const rows = await this.db.query<{ name: string; n: number }>(
      `SELECT b.name, count(o.key)::int AS n
       FROM storage_buckets b LEFT JOIN storage_objects o ON o.bucket = b.name
       GROUP BY b.name`,
    )
    return new Map(rows.map((r) => [r.name, r.n]))
  }

  /**
   * Deletes a bucket with every object in it: each object as `remove` deletes it (with its
   * `storage.object.deleted` event and its blob), then the empty bucket. Not one transaction: a crash
   * midway leaves the bucket with the objects not reached yet.
   */
  async deleteBucketAndObjects(bucketName: string): Promise<{ deleted: number }> {
    checkBucketName(bucketName)
    const service: AuthContext = { uid: 'service', role: 'service', email: null, claims: { role: 'service' } }
    let deleted = 0
    for (;;) {
      const rows = await this.db.query<{ key: string }>(
        'SELECT key FROM storage_objects WHERE bucket = $1 ORDER BY key LIMIT 200',
        [bucketName],
      )
      if (rows.length === 0) break
      for (const { key } of rows) {
        try {
          await this.remove(service, bucketName, key)
          deleted++
        } catch (error) {
          if (!(error instanceof StratusError && error.code === 'storage/not-found')) throw error
        }
      }
    }
    await this.buckets.delete(bucketName)
    return { deleted }
  }

  /** The storage driver, for /ready (`ping`) and tests. */
  get storage(): StorageDriver {
    return this.driver
  }

  /** The bucket and, if any, the object at `key`, in one query. */
  private async load(bucketName: string, key: string): Promise<Loaded> {
    const rows = await this.db.query<BucketRow & Partial<Record<string, unknown>>>(
      `SELECT b.name, b.public, b.rules, b.max_file_size, b.allowed_content_types, b.created_at, b.updated_at,
              o.version, o.size, o.content_type, o.etag, o.metadata,
              o.created_at AS object_created_at, o.updated_at AS object_updated_at
       FROM storage_buckets b
       LEFT JOIN storage_objects o ON o.bucket = b.name AND o.key = $2
       WHERE b.name = $1`,
      [bucketName, key],
    )
    const row = rows[0]
    if (!row) throw bucketNotFound(bucketName)
    const bucket = toBucket(row)
    if (row.version === null || row.version === undefined) return { bucket, object: null }
    const object = toStoredObject({
      bucket: bucketName,
      key,
      version: row.version as string,
      size: row.size as number,
      content_type: row.content_type as string,
      etag: row.etag as string,
      metadata: row.metadata as Record<string, string>,
      created_at: row.object_created_at as Date,
      updated_at: row.object_updated_at as Date,
    })
    return { bucket, object }
  }

  // ---- objects ----

  /**
   * Stores `body` as `key` in `bucket`, replacing any object there, and returns its metadata. The write
   * rule is checked before the bytes are read (with the declared size, or 0 when the body is chunked)
   * and again with the actual size before the object is published. Every successful upload, overwrite
   * or not, emits `storage.object.created`.
   */
  async upload(
    caller: Caller,
    bucketName: string,
    key: string,
    body: Readable,
    input: UploadInput = {},
  ): Promise<ObjectMetadata> {
    checkBucketName(bucketName)
    key = checkObjectKey(key)
    const metadata = checkMetadata(input.metadata)
    const bucket = await this.buckets.get(bucketName)
    const contentType = input.contentType?.trim() || 'application/octet-stream'
    // Access first: a caller the rule refuses learns nothing of the bucket's limits.
    const declared = { key, size: input.contentLength ?? 0, contentType, metadata }
    this.access.check('write', caller, bucket, key, declared)
    if (!contentTypeAllowed(bucket.allowedContentTypes, contentType))
      throw new StratusError(
        'storage/invalid-content-type',
        `Bucket ${bucketName} does not accept ${contentType} (allowed: ${bucket.allowedContentTypes.join(', ')})`,
        { details: { allowedContentTypes: bucket.allowedContentTypes } },
      )
    const limit = Math.min(bucket.maxFileSize ?? Number.POSITIVE_INFINITY, this.maxFileSize)
    if (input.contentLength !== undefined && input.contentLength > limit)
      throw new StratusError(
        'storage/too-large',
        `The object is larger than this bucket accepts (${limit} bytes)`,
        { details: { maxFileSize: limit } },
      )

    const version = newId()
    const path = blobPath(bucketName, key, version)
    await this.garbage.register(path)
    const meter = new UploadMeter(limit)
    try {
      await this.pump(body, meter, path, { contentType, size: input.contentLength })
      if (input.contentLength !== undefined && meter.bytes !== input.contentLength)
        throw new StratusError('request/invalid', 'The body is shorter than its content-length')
      if (meter.bytes !== declared.size)
        this.access.check('write', caller, bucket, key, { ...declared, size: meter.bytes })
    } catch (error) {
      await this.garbage.collect(path)
      throw error
    }
    const etag = meter.digest()

    let inTransaction = true
    try {
      const { stored, previous } = await this.db.tx(async (tx) => {
        // Claim the upload: if the sweep already took it (an upload older than uploadTtlMs), its bytes
        // may be gone, so the object must not be published.
        if (!(await this.garbage.claim(tx, path)))
          throw new StratusError('service/unavailable', 'The upload took too long to complete; send it again')
        const values = [bucketName, key, version, meter.bytes, contentType, etag, JSON.stringify(metadata)]
        let previous: ObjectRow | undefined
        let row: ObjectRow | undefined
        for (;;) {
          // Lock the current row (READ COMMITTED re-reads it after a concurrent writer commits), so the
          // version replaced here is exactly the one queued for deletion below.
          previous = (
            await tx.query<ObjectRow>(
              `SELECT ${OBJECT_COLUMNS} FROM storage_objects WHERE bucket = $1 AND key = $2 FOR UPDATE`,
              [bucketName, key],
            )
          )[0]
          if (previous) {
            row = (
              await tx.query<ObjectRow>(
                `UPDATE storage_objects SET version = $3, size = $4, content_type = $5, etag = $6,
                   metadata = $7::jsonb, updated_at = now()
                 WHERE bucket = $1 AND key = $2 RETURNING ${OBJECT_COLUMNS}`,
                values,
              )
            )[0]
            break
          }
          row = (
            await tx.query<ObjectRow>(
              `INSERT INTO storage_objects (bucket, key, version, size, content_type, etag, metadata)
               VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
               ON CONFLICT (bucket, key) DO NOTHING RETURNING ${OBJECT_COLUMNS}`,
              values,
            )
          )[0]
          if (row) break
          // A concurrent upload created the key first: lock its row and replace it.
        }
        if (previous) await this.garbage.queue(tx, blobPath(bucketName, key, previous.version))
        const stored = toStoredObject(row!)
        await addToOutbox(
          tx,
          makeEvent({
            type: EventTypes.objectCreated,
            subject: subject(bucketName, key),
            data: { object: toObjectMetadata(stored) },
          }),
        )
        inTransaction = false
        return { stored, previous }
      })
      this.meter?.upload(bucketName)
      if (previous) await this.garbage.collect(blobPath(bucketName, key, previous.version))
      return toObjectMetadata(stored)
    } catch (error) {
      // Rolled back for sure (the error came before the commit): nothing references the bytes. After a
      // failed commit, whether it happened is unknown: the sweep decides (the garbage row exists iff not).
      if (inTransaction) await this.garbage.collect(path)
      if ((error as { code?: unknown }).code === '23503') throw bucketNotFound(bucketName)
      throw error
    }
  }

  /**
   * Streams `body` through the meter into the driver. `body` is piped, not handed over: when the meter
   * refuses the body (too large) the source is left alone (paused), so an HTTP layer can still answer.
   */
  private async pump(
    body: Readable,
    meter: UploadMeter,
    path: string,
    options: { contentType: string; size?: number },
  ): Promise<void> {
    const abort = (error?: Error) =>
      meter.destroy(error ?? new StratusError('request/invalid', 'The upload was aborted before its end'))
    const onClose = () => {
      if (!body.readableEnded) abort()
    }
    body.once('error', abort)
    body.once('close', onClose)
    body.pipe(meter)
    try {
      await this.driver.put(path, meter, options)
    } finally {
      body.off('error', abort)
      body.off('close', onClose)
      body.unpipe(meter)
    }
  }

  /**
   * Reads an object: authorises (a valid signed URL, a public bucket, or the read rule), answers
   * If-None-Match and Range, and opens the bytes (not for `head`).
   */
  async read(
    access: ReadAccess,
    bucketName: string,
    key: string,
    options: ReadOptions = {},
  ): Promise<ReadResult> {
    checkBucketName(bucketName)
    key = checkObjectKey(key)
    if ('signed' in access)
      await this.signer.verify('GET', bucketName, key, access.signed.expires, access.signed.signature)
    for (let attempt = 0; ; attempt++) {
      const { bucket, object } = await this.load(bucketName, key)
      if ('caller' in access) this.access.check('read', access.caller, bucket, key, object)
      if (!object) throw objectNotFound(bucketName, key)
      const metadata = toObjectMetadata(object)
      const etag = quotedEtag(object.etag)
      if (noneMatch(options.ifNoneMatch, etag)) return { kind: 'not-modified', object: metadata }
      const rangeApplies = options.ifRange === undefined || options.ifRange.trim() === etag
      const range = rangeApplies ? resolveRange(options.range, object.size) : undefined
      if (range === 'unsatisfiable') return { kind: 'unsatisfiable', object: metadata }
      if (options.head)
        return range ? { kind: 'partial', object: metadata, range } : { kind: 'whole', object: metadata }
      try {
        const body = await this.driver.get(blobPath(bucketName, key, object.version), range)
        // Counted as the bytes set out to be sent: a client that hangs up early is still billed for them.
        this.meter?.egress(bucketName, range ? range.end - range.start + 1 : object.size)
        return range
          ? { kind: 'partial', object: metadata, range, body }
          : { kind: 'whole', object: metadata, body }
      } catch (error) {
        // Overwritten or deleted between the metadata read and the open: read the metadata again.
        if (error instanceof BlobNotFoundError && attempt < 2) continue
        throw error
      }
    }
  }

  /** Deletes an object (the delete rule sees its metadata) and emits `storage.object.deleted`. */
  async remove(caller: Caller, bucketName: string, key: string): Promise<void> {
    checkBucketName(bucketName)
    key = checkObjectKey(key)
    for (let attempt = 0; attempt < 5; attempt++) {
      const { bucket, object } = await this.load(bucketName, key)
      this.access.check('delete', caller, bucket, key, object)
      if (!object) throw objectNotFound(bucketName, key)
      const path = blobPath(bucketName, key, object.version)
      const removed = await this.db.tx(async (tx) => {
        // Only the version the rule saw: if it changed meanwhile, check the rule again on the new one.
        const rows = await tx.query<ObjectRow>(
          `DELETE FROM storage_objects WHERE bucket = $1 AND key = $2 AND version = $3 RETURNING ${OBJECT_COLUMNS}`,
          [bucketName, key, object.version],
        )
        if (!rows[0]) return false
        await this.garbage.queue(tx, path)
        await addToOutbox(
          tx,
          makeEvent({
            type: EventTypes.objectDeleted,
            subject: subject(bucketName, key),
            data: { object: toObjectMetadata(toStoredObject(rows[0])) },
          }),
        )
        return true
      })
      if (removed) {
        await this.garbage.collect(path)
        return
      }
    }
    throw new StratusError('service/unavailable', `Object ${key} keeps changing; try again`)
  }

  /** A page of objects (and folders, with a delimiter) the caller may read: see `ObjectListing`. */
  async list(caller: Caller, bucketName: string, options: ListOptions = {}): Promise<ObjectPage> {
    checkBucketName(bucketName)
    // Keys are stored in NFC: a prefix typed in another form must match them too.
    const prefix = options.prefix === undefined ? undefined : normalizeObjectKey(options.prefix)
    return this.listing.list(caller, await this.buckets.get(bucketName), { ...options, prefix })
  }

  /**
   * Signs a GET on an existing object the caller may read, valid for `expiresIn` seconds: whoever holds
   * the URL may read it with no other credentials until then.
   */
  async sign(caller: Caller, bucketName: string, key: string, expiresIn: number): Promise<SignedObject> {
    checkBucketName(bucketName)
    key = checkObjectKey(key)
    const { bucket, object } = await this.load(bucketName, key)
    this.access.check('read', caller, bucket, key, object)
    if (!object) throw objectNotFound(bucketName, key)
    const expires = Math.floor(Date.now() / 1000) + expiresIn
    const { signature } = await this.signer.sign('GET', bucketName, key, expires)
    return { bucket: bucketName, key, expires, signature }
  }

  /**
   * The rules simulator's question about a bucket: what the data path would decide for `operation` by
   * `auth` (see `simulateObjectRule`). The rule sees the stored object at `key`, or `existing` when
   * given (its missing fields filled as an upload would: size 0, application/octet-stream, no metadata).
   * 404 `storage/not-found` for an unknown bucket.
   */
  async simulateRule(input: {
    bucket: string
    key?: string
    operation: SimulatedOperation
    auth: Caller
    data?: SimulatedUpload
    existing?: Partial<ObjectMetadata>
  }): Promise<RuleSimulation> {
    checkBucketName(input.bucket)
    if (input.key !== undefined) input = { ...input, key: checkObjectKey(input.key) }
    const { bucket, object } =
      input.key === undefined
        ? { bucket: await this.buckets.get(input.bucket), object: null }
        : await this.load(input.bucket, input.key)
    const existing = input.existing
    return simulateObjectRule(this.rules, {
      bucket,
      key: input.key,
      operation: input.operation,
      auth: input.auth,
      object: existing
        ? {
            key: existing.key ?? input.key ?? '',
            size: existing.size ?? 0,
            contentType: existing.contentType ?? 'application/octet-stream',
            metadata: existing.metadata ?? {},
          }
        : object,
      upload: input.data ?? null,
    })
  }

  /**
   * Deletes the bytes of replaced and deleted objects and of uploads that never completed (a crash, a
   * kill) once their time has come. Runs every minute on its own; returns how many it removed.
   */
  sweep(): Promise<number> {
    return this.garbage.sweep()
  }

  /** Stops the sweep timer and waits for a running sweep. The driver is closed by its owner. */
  async close(): Promise<void> {
    await this.garbage.close()
  }
}
