import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { StratusError } from '../core/errors.ts'

/**
 * The pass-through every upload flows through on its way to the driver: counts the bytes, hashes them
 * (SHA-256, the object's etag) and fails with `storage/too-large` as soon as the count passes `limit`,
 * so an oversized body is refused while streaming, before it is stored whole.
 */
export class UploadMeter extends Transform {
  /** Bytes seen so far. */
  bytes = 0
  private readonly limit: number
  private readonly hash: Hash = createHash('sha256')

  constructor(limit: number) {
    super({ highWaterMark: 1024 * 1024 })
    this.limit = limit
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length
    if (this.bytes > this.limit) {
      callback(
        new StratusError(
          'storage/too-large',
          `The object is larger than this bucket accepts (${this.limit} bytes)`,
          {
            details: { maxFileSize: this.limit },
          },
        ),
      )
      return
    }
    this.hash.update(chunk)
    callback(null, chunk)
  }

  /** The hex SHA-256 of the bytes, once the stream has ended. */
  digest(): string {
    return this.hash.digest('hex')
  }
}
