import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BlobNotFoundError,
  InvalidPathError,
  type StorageDriver,
} from '../../services/storage/storage-driver.ts'

/** A driver under test, with a way to see what it left behind outside its blobs. */
export interface DriverFixture {
  driver: StorageDriver
  /**
   * Anything the backend holds that is not a complete blob (temp files, incomplete multipart uploads)
   * plus, for the local driver, any file outside the root: an aborted write must leave this empty.
   */
  leftovers(): Promise<string[]>
  /** The part size above which the driver streams in parts (for the multipart cases). */
  partSize: number
  close(): Promise<void>
}

/** `size` pseudo-random bytes streamed in `chunk`-sized pieces, never held whole. */
export function generated(size: number, seed = 1, chunk = 256 * 1024): Readable {
  let sent = 0
  const block = Buffer.alloc(chunk)
  for (let i = 0; i < chunk; i++) block[i] = (i * 31 + seed * 17) & 0xff
  return new Readable({
    read() {
      if (sent >= size) return this.push(null)
      const n = Math.min(chunk, size - sent)
      const piece = Buffer.from(block.subarray(0, n))
      if (n >= 4) piece.writeUInt32BE(sent >>> 0, 0)
      sent += n
      this.push(piece)
    },
  })
}

/** sha256 hex and length of a stream. */
export async function digest(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of stream) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { sha256: hash.digest('hex'), size }
}

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** A body that sends `before` bytes, then fails like an aborted client. */
function failing(before: number, error = new Error('client went away')): Readable {
  let sent = false
  return new Readable({
    read() {
      if (!sent) {
        sent = true
        this.push(randomBytes(before))
        return
      }
      setImmediate(() => this.destroy(error))
    },
  })
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = []
  for await (const item of iterable) out.push(item)
  return out.sort()
}

let counter = 0
/** A fresh path prefix per case, so cases never see each other's blobs. */
const fresh = (label: string) => `contract${counter++}-${label}-${randomBytes(3).toString('hex')}`

/** The storage contract, run against every driver (local disk, and S3 through s3rver). */
export function driverContract(name: string, open: () => Promise<DriverFixture>): void {
  describe(`storage driver contract: ${name}`, () => {
    let fx: DriverFixture
    let driver: StorageDriver
    beforeAll(async () => {
      fx = await open()
      driver = fx.driver
    })
    afterAll(async () => {
      await fx?.close()
    })

    it('stores and reads back a blob, stats it, lists it and deletes it', async () => {
      const base = fresh('rw')
      const path = `${base}/dir/hello.txt/v1`
      expect(await driver.put(path, Readable.from([Buffer.from('hello '), Buffer.from('world')]))).toEqual({
        size: 11,
      })
      expect((await bytes(await driver.get(path))).toString()).toBe('hello world')
      expect(await driver.stat(path)).toEqual({ size: 11 })
      expect(await collect(driver.list(`${base}/`))).toEqual([path])
      await driver.delete(path)
      expect(await driver.stat(path)).toBeNull()
      expect(await collect(driver.list(`${base}/`))).toEqual([])
      await expect(driver.get(path)).rejects.toBeInstanceOf(BlobNotFoundError)
      expect(await fx.leftovers()).toEqual([])
    })

    it('stores a 0-byte blob', async () => {
      const path = `${fresh('empty')}/empty/v1`
      expect(await driver.put(path, Readable.from([]))).toEqual({ size: 0 })
      expect(await driver.stat(path)).toEqual({ size: 0 })
      expect((await bytes(await driver.get(path))).length).toBe(0)
      await driver.delete(path)
    })

    it('serves byte ranges (end inclusive)', async () => {
      const path = `${fresh('range')}/r/v1`
      const content = Buffer.from('0123456789abcdefghij')
      await driver.put(path, Readable.from([content]))
      const read = async (start: number, end: number) =>
        (await bytes(await driver.get(path, { start, end }))).toString()
      expect(await read(0, 0)).toBe('0')
      expect(await read(5, 9)).toBe('56789')
      expect(await read(19, 19)).toBe('j')
      expect(await read(0, 19)).toBe(content.toString())
      await driver.delete(path)
    })

    it('answers a missing blob: get rejects with BlobNotFoundError, stat is null, delete is a no-op', async () => {
      const path = `${fresh('missing')}/nothing/v1`
      await expect(driver.get(path)).rejects.toBeInstanceOf(BlobNotFoundError)
      expect(await driver.stat(path)).toBeNull()
      await expect(driver.delete(path)).resolves.toBeUndefined()
    })

    it('keeps keys with spaces, unicode and odd characters', async () => {
      const base = fresh('names')
      const paths = [`${base}/a b/c d.txt/v1`, `${base}/ünï cödé/€ 100%.txt/v1`, `${base}/q?x=1&y#z/v1`]
      for (const [i, path] of paths.entries()) await driver.put(path, Readable.from([Buffer.from(`n${i}`)]))
      expect(await collect(driver.list(`${base}/`))).toEqual([...paths].sort())
      for (const [i, path] of paths.entries())
        expect((await bytes(await driver.get(path))).toString()).toBe(`n${i}`)
      for (const path of paths) await driver.delete(path)
    })

    it.each([
      ['../escape'],
      ['a/../../escape'],
      ['a/./b'],
      ['/absolute'],
      ['a//b'],
      ['a/'],
      [''],
      ['a\\..\\..\\b'],
      ['a/\u0000b'],
      ['a/\nb'],
      [`a/${'x'.repeat(256)}`],
    ])('refuses the path %j (InvalidPathError) and writes nothing', async (path) => {
      await expect(driver.put(path, Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(
        InvalidPathError,
      )
      await expect(driver.get(path)).rejects.toBeInstanceOf(InvalidPathError)
      await expect(driver.delete(path)).rejects.toBeInstanceOf(InvalidPathError)
      expect(await fx.leftovers()).toEqual([])
    })

    it('leaves nothing behind when the body fails half-way (small body)', async () => {
      const path = `${fresh('abort-small')}/a/v1`
      const error = new Error('client went away')
      await expect(driver.put(path, failing(1000, error))).rejects.toBe(error)
      expect(await driver.stat(path)).toBeNull()
      expect(await fx.leftovers()).toEqual([])
    })

    it('leaves nothing behind when the body fails after several parts (multipart on S3)', async () => {
      const path = `${fresh('abort-large')}/a/v1`
      const error = new Error('client went away')
      const body = Readable.from(
        (async function* () {
          yield* generated(fx.partSize * 2 + 12345)
          throw error
        })(),
      )
      await expect(driver.put(path, body)).rejects.toBe(error)
      expect(await driver.stat(path)).toBeNull()
      expect(await fx.leftovers()).toEqual([])
    })

    it('streams a multi-part body of unknown size, byte for byte', async () => {
      const path = `${fresh('multipart')}/big.bin/v1`
      const size = fx.partSize * 2 + 4321
      const expected = await digest(generated(size, 7))
      expect(await driver.put(path, generated(size, 7))).toEqual({ size })
      expect(await digest(await driver.get(path))).toEqual(expected)
      const tail = await bytes(await driver.get(path, { start: size - 10, end: size - 1 }))
      expect(tail.length).toBe(10)
      await driver.delete(path)
      expect(await fx.leftovers()).toEqual([])
    })

    it('takes a declared size (a body exactly one part long)', async () => {
      const path = `${fresh('exact')}/p/v1`
      const size = fx.partSize
      expect(await driver.put(path, generated(size, 3), { size, contentType: 'application/x-test' })).toEqual(
        {
          size,
        },
      )
      expect(await driver.stat(path)).toEqual({ size })
      await driver.delete(path)
    })

    it('writes concurrently to different paths', async () => {
      const base = fresh('concurrent')
      const paths = Array.from({ length: 8 }, (_, i) => `${base}/k${i}/v1`)
      await Promise.all(paths.map((path, i) => driver.put(path, generated(100_000 + i, i))))
      for (const [i, path] of paths.entries()) expect(await driver.stat(path)).toEqual({ size: 100_000 + i })
      await Promise.all(paths.map((path) => driver.delete(path)))
      expect(await collect(driver.list(`${base}/`))).toEqual([])
    })

    it('stores and reads a 100 MiB blob, streamed', async () => {
      const path = `${fresh('huge')}/huge.bin/v1`
      const size = 100 * 1024 * 1024
      const expected = await digest(generated(size, 11, 1024 * 1024))
      expect(await driver.put(path, generated(size, 11, 1024 * 1024), { size })).toEqual({ size })
      expect(await digest(await driver.get(path))).toEqual(expected)
      await driver.delete(path)
      expect(await driver.stat(path)).toBeNull()
    }, 120_000)

    it('answers ping', async () => {
      await expect(driver.ping()).resolves.toBeUndefined()
    })
  })
}
