import type { Readable } from 'node:stream'
import * as Minio from 'minio'
import {
  BlobNotFoundError,
  type ByteRange,
  checkPath,
  type PutOptions,
  type PutResult,
  type StorageDriver,
} from '../storage-driver.ts'

/** Options of the S3 driver (the S3_* variables). */
export interface S3StorageOptions {
  /** `http(s)://host:port` of the S3 API (MinIO, AWS S3, R2…). */
  endpoint: string
  accessKey: string
  secretKey: string
  /** The one S3 bucket every Stratus bucket lives in (as the key prefix `<bucket>/`). */
  bucket: string
  region: string
  /**
   * Size of each multipart part, and the threshold above which an upload goes multipart: memory per
   * upload is about `partSize × (partConcurrency + 1)`. At least 5 MiB (S3's minimum). Default 8 MiB.
   */
  partSize?: number
  /** Parts uploaded at once. Default 2. */
  partConcurrency?: number
  /** Path-style requests (`host/bucket/key`), which MinIO and most S3-compatibles want. Default true. */
  pathStyle?: boolean
}

const MIN_PART_SIZE = 5 * 1024 * 1024
const MAX_PARTS = 10_000

/** The S3 error codes that mean "no such object". */
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound', 'NoSuchObject'])

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && NOT_FOUND_CODES.has(code)
}

/**
 * Blobs as objects of one S3 bucket, through the `minio` client: blob path `photos/a.png/<version>` is
 * the S3 key `photos/a.png/<version>` of `S3_BUCKET` (see the README for the layout). Bodies that fit in
 * one part go up as one PUT; larger or unsized bodies as a multipart upload whose parts are read from the
 * stream with back-pressure, so memory stays bounded whatever the object size. A failed or aborted
 * upload aborts its multipart upload, and S3 only shows an object once it is complete.
 */
export class S3StorageDriver implements StorageDriver {
  readonly name = 's3'
  /** The `minio` client, for callers that need more of S3 (tests, tools). */
  readonly client: Minio.Client
  private readonly bucket: string
  private readonly region: string
  private readonly partSize: number
  private readonly partConcurrency: number

  constructor(options: S3StorageOptions) {
    const url = new URL(options.endpoint)
    this.client = new Minio.Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      useSSL: url.protocol === 'https:',
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      region: options.region,
      pathStyle: options.pathStyle ?? true,
    })
    this.bucket = options.bucket
    this.region = options.region
    this.partSize = Math.max(MIN_PART_SIZE, options.partSize ?? 8 * 1024 * 1024)
    this.partConcurrency = Math.max(1, options.partConcurrency ?? 2)
  }

  /** Creates the bucket when it does not exist (a fresh MinIO); errors are the caller's to log. */
  async ensureBucket(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) await this.client.makeBucket(this.bucket, this.region)
  }

  async put(blobPath: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    checkPath(blobPath)
    const headers: Record<string, string> = {
      'Content-Type': options.contentType ?? 'application/octet-stream',
    }
    // 10,000 parts at most: a known large size raises the part size; an unknown one allows 80 GB at 8 MiB.
    const partSize = Math.max(this.partSize, Math.ceil((options.size ?? 0) / MAX_PARTS))
    const iterator = body[Symbol.asyncIterator]()
    let pending: Buffer[] = []
    let pendingBytes = 0
    let ended = false
    /** Reads the next part's worth of bytes (less at the end of the stream). */
    const readPart = async (): Promise<Buffer> => {
      while (!ended && pendingBytes < partSize) {
        const next = await iterator.next()
        if (next.done) {
          ended = true
          break
        }
        const chunk: Buffer = typeof next.value === 'string' ? Buffer.from(next.value) : next.value
        pending.push(chunk)
        pendingBytes += chunk.length
      }
      const part = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes)
      pending = []
      pendingBytes = 0
      return part
    }

    const first = await readPart()
    if (ended) {
      await this.client.putObject(this.bucket, blobPath, first, first.length, headers)
      return { size: first.length }
    }

    const uploadId = await this.client.initiateNewMultipartUpload(this.bucket, blobPath, headers)
    const parts: { part: number; etag: string }[] = []
    const inFlight = new Set<Promise<void>>()
    let size = 0
    let failure: unknown
    const upload = (part: number, payload: Buffer) => {
      const task = this.client
        .uploadPart(
          {
            bucketName: this.bucket,
            objectName: blobPath,
            uploadID: uploadId,
            partNumber: part,
            headers: {},
          },
          payload,
        )
        .then(
          (result) => {
            parts.push({ part, etag: result.etag })
          },
          (error: unknown) => {
            failure ??= error
          },
        )
        .finally(() => inFlight.delete(task))
      inFlight.add(task)
    }
    try {
      let payload = first
      for (let part = 1; ; part++) {
        if (part > MAX_PARTS) throw new Error(`An upload may have at most ${MAX_PARTS} parts`)
        size += payload.length
        upload(part, payload)
        if (ended) break
        while (inFlight.size >= this.partConcurrency) await Promise.race(inFlight)
        if (failure) throw failure
        payload = await readPart()
        if (payload.length === 0 && ended) break
      }
      await Promise.all(inFlight)
      if (failure) throw failure
      parts.sort((a, b) => a.part - b.part)
      await this.client.completeMultipartUpload(this.bucket, blobPath, uploadId, parts)
      return { size }
    } catch (error) {
      await Promise.allSettled(inFlight)
      await this.client.abortMultipartUpload(this.bucket, blobPath, uploadId).catch(() => {})
      // Stop reading the source: the caller decides what happens to it.
      await iterator.return?.().catch(() => {})
      throw error
    }
  }

  async get(blobPath: string, range?: ByteRange): Promise<Readable> {
    checkPath(blobPath)
    try {
      if (!range) return await this.client.getObject(this.bucket, blobPath)
      return await this.client.getPartialObject(
        this.bucket,
        blobPath,
        range.start,
        range.end - range.start + 1,
      )
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(blobPath)
      throw error
    }
  }

  async stat(blobPath: string): Promise<{ size: number } | null> {
    checkPath(blobPath)
    try {
      const info = await this.client.statObject(this.bucket, blobPath)
      return { size: info.size }
    } catch (error) {
      if (isNotFound(error)) return null
      throw error
    }
  }

  async delete(blobPath: string): Promise<void> {
    checkPath(blobPath)
    await this.client.removeObject(this.bucket, blobPath)
  }

  async *list(prefix: string): AsyncIterable<string> {
    const stream = this.client.listObjectsV2(this.bucket, prefix, true)
    for await (const item of stream as AsyncIterable<{ name?: string }>) {
      if (item.name) yield item.name
    }
  }

  async ping(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket)))
      throw new Error(`S3 bucket ${this.bucket} does not exist`)
  }

  async close(): Promise<void> {}
}
