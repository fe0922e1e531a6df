/**
 * Bounds how many tasks run at once; the rest wait in FIFO order (the functions dispatcher's own
 * executions, a batched bus subscriber's handlers).
 */
export class Limiter {
  private readonly limit: number
  private running = 0
  private readonly waiting: (() => void)[] = []

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`Limiter: limit must be an integer >= 1, got ${limit}`)
    this.limit = limit
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.running++
    try {
      return await task()
    } finally {
      // Hand the slot straight to the next in line (the count stays), or give it back.
      const next = this.waiting.shift()
      if (next) next()
      else this.running--
    }
  }
}
