import type { Execution } from '../services/functions/model.ts'
import type { FunctionStore } from './store.ts'

export interface RecorderLogger {
  warn(details: object, message: string): void
}

interface Pending {
  record: Execution
  resolve?: (inserted: boolean) => void
  reject?: (error: unknown) => void
}

/**
 * Writes execution records in batches (one multi-row INSERT per flush): an HTTP invocation does not wait
 * for its record, and many concurrent event executions share one round trip. `write` waits for the
 * record's batch to commit and says whether it was inserted (false: a succeeded record for the same
 * event and version already existed). `enqueue` does not wait; beyond `maxPending` unflushed records,
 * enqueued ones are dropped (counted by `onDrop`) rather than growing memory without bound.
 *
 * A batch waits a little for more records before it goes out (`writeLingerMs` when a `write` waits
 * for it, `lingerMs` for `enqueue`d records alone; at once when `maxBatch` are pending or on `flushed`):
 * Postgres spends several times less per row on a few large INSERTs than on many single-row ones.
 */
export class ExecutionRecorder {
  private readonly store: FunctionStore
  private readonly logger: RecorderLogger
  private readonly maxBatch: number
  private readonly maxPending: number
  private readonly onDrop: () => void
  private readonly lingerMs: number
  private readonly writeLingerMs: number
  private pending: Pending[] = []
  /** Whether a pending record is waited for (then the batch goes out without lingering). */
  private awaited = false
  private lingering: { timer: NodeJS.Timeout; wake: () => void } | undefined
  private flushing: Promise<void> | undefined
  private idleWaiters: Array<() => void> = []

  constructor(
    store: FunctionStore,
    options: {
      logger: RecorderLogger
      maxBatch?: number
      maxPending?: number
      lingerMs?: number
      writeLingerMs?: number
      onDrop?: () => void
    },
  ) {
    this.store = store
    this.logger = options.logger
    this.maxBatch = options.maxBatch ?? 500
    this.maxPending = options.maxPending ?? 20_000
    this.lingerMs = options.lingerMs ?? 50
    this.writeLingerMs = options.writeLingerMs ?? 5
    this.onDrop = options.onDrop ?? (() => {})
  }

  /** Records `record` and resolves once it is committed: true if inserted. */
  write(record: Execution): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ record, resolve, reject })
      if (!this.awaited) this.lingering?.wake()
      this.awaited = true
      this.schedule()
    })
  }

  /** Records `record` in the background. */
  enqueue(record: Execution): void {
    if (this.pending.length >= this.maxPending) {
      this.onDrop()
      return
    }
    this.pending.push({ record })
    this.schedule()
    if (this.pending.length >= this.maxBatch) this.lingering?.wake()
  }

  /** Resolves once every record handed in so far is written (or failed); written now, not lingering. */
  flushed(): Promise<void> {
    if (!this.flushing && this.pending.length === 0) return Promise.resolve()
    this.lingering?.wake()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** `again`: right after a batch, whose write the pending records already waited through. */
  private schedule(again = false): void {
    if (this.flushing) return
    this.flushing = (async () => {
      // Let the current burst of completions join this batch (and records nobody waits for, longer).
      await new Promise((resolve) => setImmediate(resolve))
      // Records nobody waits for linger even right after a batch: going out at once, most batches
      // were ~25 rows under steady load instead of ~170. Waited-for ones have waited enough by then.
      const lingerMs = this.awaited ? (again ? 0 : this.writeLingerMs) : this.lingerMs
      if (lingerMs > 0 && this.idleWaiters.length === 0 && this.pending.length < this.maxBatch) {
        await this.linger(lingerMs)
      }
      if (this.pending.length > 0) {
        this.awaited = false
        const batch = this.pending.splice(0, this.maxBatch)
        try {
          // Which rows went in matters only to those waiting for them.
          const inserted = await this.store.insertExecutions(
            batch.map((p) => p.record),
            { returning: batch.some((p) => p.resolve) },
          )
          for (const p of batch) p.resolve?.(inserted.has(p.record.id))
        } catch (error) {
          const waited = batch.filter((p) => p.reject)
          for (const p of waited) p.reject!(error)
          if (waited.length < batch.length) {
            this.logger.warn(
              { err: error, dropped: batch.length - waited.length },
              'functions: execution records lost',
            )
          }
        }
      }
    })().finally(() => {
      this.flushing = undefined
      this.awaited = this.pending.some((p) => p.resolve)
      if (this.pending.length > 0) this.schedule(true)
      else {
        const waiters = this.idleWaiters
        this.idleWaiters = []
        for (const resolve of waiters) resolve()
      }
    })
  }

  /** Waits `ms`, or less if a `write`, a full batch or `flushed` calls for the batch sooner. */
  private linger(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.lingering = undefined
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.lingering = { timer, wake }
    })
  }
}
