import type { Logger } from '../core/logger.ts'
import type { Database, Sql } from '../db/database.ts'
import type { StorageDriver } from './storage-driver.ts'

/** Options of the garbage collector. */
export interface StorageGarbageOptions {
  db: Database
  driver: StorageDriver
  logger: Logger
  /** How often this node sweeps (0 = only when `sweep()` is called). Default 60 s. */
  sweepIntervalMs?: number
  /** How long an upload may stream before its bytes count as abandoned. Default 24 h. */
  uploadTtlMs?: number
}

const BATCH = 200

/**
 * Bytes that nothing references, or may never be referenced, tracked in `storage_garbage`: an upload
 * registers its path before writing and the publishing transaction claims it back; a replaced or deleted
 * version is queued in the transaction that unreferences it. The sweep deletes the bytes of rows past
 * their time, so a crash at any point leaves no orphaned bytes for long. Safe on several nodes at once.
 */
export class StorageGarbage {
  private readonly db: Database
  private readonly driver: StorageDriver
  private readonly logger: Logger
  private readonly uploadTtlMs: number
  private readonly timer: NodeJS.Timeout | undefined
  private sweeping: Promise<number> | undefined

  constructor(options: StorageGarbageOptions) {
    this.db = options.db
    this.driver = options.driver
    this.logger = options.logger
    this.uploadTtlMs = options.uploadTtlMs ?? 24 * 3600_000
    const interval = options.sweepIntervalMs ?? 60_000
    if (interval > 0) {
      this.timer = setInterval(() => {
        this.sweep().catch((error) => this.logger.warn({ err: error }, 'storage sweep failed'))
      }, interval)
      this.timer.unref()
    }
  }

  /** Registers an upload's path before its bytes are written (swept if never claimed). */
  async register(path: string): Promise<void> {
    await this.db.query(
      `INSERT INTO storage_garbage (path, sweep_after) VALUES ($1, now() + $2 * interval '1 millisecond')`,
      [path, this.uploadTtlMs],
    )
  }

  /**
   * Takes an upload's path back inside the transaction that publishes it. False when the sweep got there
   * first (the upload outlived `uploadTtlMs`): its bytes may be gone and it must not be published.
   */
  async claim(tx: Sql, path: string): Promise<boolean> {
    const rows = await tx.query('DELETE FROM storage_garbage WHERE path = $1 RETURNING path', [path])
    return rows.length > 0
  }

  /** Queues a path for deletion inside the transaction that stops referencing it. */
  async queue(tx: Sql, path: string): Promise<void> {
    await tx.query(
      `INSERT INTO storage_garbage (path, sweep_after) VALUES ($1, now())
       ON CONFLICT (path) DO UPDATE SET sweep_after = now()`,
      [path],
    )
  }

  /** Deletes a queued path's bytes now, then its row; on failure the sweep retries later. */
  async collect(path: string): Promise<void> {
    try {
      await this.driver.delete(path)
      await this.db.query('DELETE FROM storage_garbage WHERE path = $1', [path])
    } catch (error) {
      this.logger.warn({ err: error, path }, 'could not delete unreferenced bytes; the sweep will retry')
    }
  }

  /** Deletes the bytes of every row past its time; returns how many it removed. One sweep at a time. */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepAll().finally(() => {
      this.sweeping = undefined
    })
    return this.sweeping
  }

  private async sweepAll(): Promise<number> {
    let removed = 0
    for (;;) {
      // Rows are taken (deleted, committed) before their bytes go, so an upload can no longer claim them.
      const rows = await this.db.query<{ path: string }>(
        `DELETE FROM storage_garbage WHERE path IN (
           SELECT path FROM storage_garbage WHERE sweep_after <= now()
           ORDER BY sweep_after LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
         RETURNING path`,
      )
      for (const { path } of rows) {
        try {
          await this.driver.delete(path)
          removed++
        } catch (error) {
          this.logger.warn({ err: error, path }, 'sweep could not delete bytes; retrying later')
          await this.db.query(
            `INSERT INTO storage_garbage (path, sweep_after) VALUES ($1, now() + interval '5 minutes')
             ON CONFLICT (path) DO NOTHING`,
            [path],
          )
        }
      }
      if (rows.length < BATCH) return removed
    }
  }

  /** Stops the timer and waits for a running sweep. */
  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.sweeping?.catch(() => {})
  }
}
