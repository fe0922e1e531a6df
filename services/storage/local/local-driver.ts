import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { constants, createWriteStream } from 'node:fs'
import { access, mkdir, open, opendir, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  BlobNotFoundError,
  type ByteRange,
  checkPath,
  InvalidPathError,
  type PutResult,
  type StorageDriver,
} from '../storage-driver.ts'

/** Options of the local-disk driver. */
export interface LocalStorageOptions {
  /** The directory holding every blob (created if missing). */
  root: string
  /** Temp files older than this are removed when the driver opens (left by a crash). Default 1 hour. */
  staleTempMs?: number
  /** Read buffer size: larger chunks mean fewer reads and writes on big downloads. Default 1 MiB. */
  readChunkBytes?: number
}

/** Where uploads are written before they are renamed into place; never a valid first path segment. */
const TEMP_DIR = '.tmp'

const isMissing = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/**
 * Blobs as files under one root directory: `<root>/<path>`. Writes go to `<root>/.tmp/<random>`, are
 * fsynced, then renamed into place (and the directory fsynced), so a reader sees a whole blob or none and
 * an acknowledged write survives a power cut. Paths are checked segment by segment and the resolved file
 * must lie under the root, so no path can escape it. Deleting a blob prunes directories it leaves empty.
 */
export class LocalStorageDriver implements StorageDriver {
  readonly name = 'local'
  private readonly root: string
  private readonly temp: string
  private readonly readChunkBytes: number

  private constructor(options: LocalStorageOptions) {
    this.root = path.resolve(options.root)
    this.temp = path.join(this.root, TEMP_DIR)
    this.readChunkBytes = options.readChunkBytes ?? 1024 * 1024
  }

  /** Creates the root if needed and removes stale temp files. */
  static async open(options: LocalStorageOptions): Promise<LocalStorageDriver> {
    const driver = new LocalStorageDriver(options)
    await mkdir(driver.temp, { recursive: true })
    const cutoff = Date.now() - (options.staleTempMs ?? 3600_000)
    for (const name of await readdir(driver.temp)) {
      const file = path.join(driver.temp, name)
      const info = await stat(file).catch(() => undefined)
      if (info && info.mtimeMs < cutoff) await unlink(file).catch(() => {})
    }
    return driver
  }

  /** The absolute file of `blobPath`, refusing anything that could leave the root or hit the temp dir. */
  private file(blobPath: string): string {
    const segments = checkPath(blobPath)
    if (segments[0] === TEMP_DIR) throw new InvalidPathError(blobPath, `"${TEMP_DIR}" is reserved`)
    const file = path.resolve(this.root, ...segments)
    if (!file.startsWith(this.root + path.sep)) throw new InvalidPathError(blobPath, 'outside the root')
    return file
  }

  async put(blobPath: string, body: Readable): Promise<PutResult> {
    const target = this.file(blobPath)
    const temp = path.join(this.temp, `${randomBytes(12).toString('hex')}.part`)
    // `flush`: fsync before the file is closed, so the bytes are on disk before the rename publishes them.
    const out = createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true, highWaterMark: 1024 * 1024 })
    try {
      await pipeline(body, out)
      if (!out.closed) await once(out, 'close')
    } catch (error) {
      out.destroy()
      if (!out.closed) await once(out, 'close').catch(() => {})
      await unlink(temp).catch(() => {})
      throw error
    }
    const size = out.bytesWritten
    try {
      await this.moveIntoPlace(temp, target)
    } catch (error) {
      await unlink(temp).catch(() => {})
      throw error
    }
    return { size }
  }

  /** Renames the temp file onto `target`, creating its directory (again, if a delete pruned it meanwhile). */
  private async moveIntoPlace(temp: string, target: string): Promise<void> {
    const dir = path.dirname(target)
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(temp, target)
        break
      } catch (error) {
        if (!isMissing(error) || attempt >= 5) throw error
        await mkdir(dir, { recursive: true })
      }
    }
    // The rename itself must be durable before the caller publishes the object.
    const dirHandle = await open(dir, 'r')
    try {
      await dirHandle.sync()
    } finally {
      await dirHandle.close()
    }
  }

  async get(blobPath: string, range?: ByteRange): Promise<Readable> {
    const file = this.file(blobPath)
    let handle: Awaited<ReturnType<typeof open>>
    try {
      handle = await open(file, 'r')
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR')
        throw new BlobNotFoundError(blobPath)
      throw error
    }
    const info = await handle.stat()
    if (!info.isFile()) {
      await handle.close()
      throw new BlobNotFoundError(blobPath)
    }
    return handle.createReadStream({
      highWaterMark: this.readChunkBytes,
      ...(range ? { start: range.start, end: range.end } : {}),
    })
  }

  async stat(blobPath: string): Promise<{ size: number } | null> {
    const file = this.file(blobPath)
    try {
      const info = await stat(file)
      return info.isFile() ? { size: info.size } : null
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
  }

  async delete(blobPath: string): Promise<void> {
    const file = this.file(blobPath)
    try {
      await unlink(file)
    } catch (error) {
      if (isMissing(error)) return
      throw error
    }
    // Prune the directories this blob leaves empty, up to (not including) the root.
    for (let dir = path.dirname(file); dir.startsWith(this.root + path.sep); dir = path.dirname(dir)) {
      try {
        await rmdir(dir)
      } catch {
        break
      }
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const trimmed = prefix.replace(/\/+$/, '')
    const start = trimmed === '' ? this.root : this.file(trimmed)
    yield* this.walk(start, trimmed)
  }

  private async *walk(dir: string, relative: string): AsyncIterable<string> {
    let entries: Awaited<ReturnType<typeof opendir>>
    try {
      entries = await opendir(dir)
    } catch (error) {
      if (isMissing(error)) return
      throw error
    }
    for await (const entry of entries) {
      if (relative === '' && entry.name === TEMP_DIR) continue
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`
      if (entry.isDirectory()) yield* this.walk(path.join(dir, entry.name), child)
      else if (entry.isFile()) yield child
    }
  }

  async ping(): Promise<void> {
    await mkdir(this.temp, { recursive: true })
    await access(this.temp, constants.W_OK)
  }

  async close(): Promise<void> {}
}
