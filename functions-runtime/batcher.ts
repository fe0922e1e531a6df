/**
 * Coalesces concurrent calls into batches: `add` queues one item and resolves with its own answer once
 * the batch it joined has run. One batch runs at a time; items added meanwhile form the next one, so
 * batches grow with the load and a lone call waits only for the current turn of the event loop.
 */
export class Batcher<I, O> {
  private readonly run: (items: I[]) => Promise<O[]>
  private readonly maxBatch: number
  private queue: { item: I; resolve: (out: O) => void; reject: (error: unknown) => void }[] = []
  private running = false

  /** `run` answers each item of a batch, in order; if it throws, every item of the batch rejects. */
  constructor(run: (items: I[]) => Promise<O[]>, options: { maxBatch?: number } = {}) {
    this.run = run
    this.maxBatch = options.maxBatch ?? 500
  }

  add(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject })
      if (!this.running) {
        this.running = true
        // Let the calls of this turn of the event loop join the first batch.
        setImmediate(() => void this.drain())
      }
    })
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch)
      try {
        const out = await this.run(batch.map((b) => b.item))
        for (const [i, b] of batch.entries()) b.resolve(out[i]!)
      } catch (error) {
        for (const b of batch) b.reject(error)
      }
    }
    this.running = false
  }
}
