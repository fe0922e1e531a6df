import type { Logger } from '../core/logger.ts'

/** One cleanup job: deletes what is no longer needed (or vacuums) and says how much, for the log. */
export interface HousekeepingTask {
  name: string
  run(): Promise<number | Record<string, number>>
}

export interface HousekeepingOptions {
  intervalMs: number
  logger: Logger
}

/**
 * Runs cleanup tasks on worker nodes every `intervalMs`, one round at a time, each task on its own
 * (one that fails is logged and retried next round; the others still run). Tasks are idempotent
 * deletes, so several workers running them at once only repeat work.
 */
export class Housekeeping {
  readonly #tasks: HousekeepingTask[]
  readonly #options: HousekeepingOptions
  #timer: NodeJS.Timeout | undefined
  #round: Promise<void> | undefined

  constructor(tasks: HousekeepingTask[], options: HousekeepingOptions) {
    this.#tasks = tasks
    this.#options = options
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#round ??= this.runOnce().finally(() => {
        this.#round = undefined
      })
    }, this.#options.intervalMs)
    this.#timer.unref()
  }

  /** One round of every task (also what tests and `stop` wait on). */
  async runOnce(): Promise<void> {
    for (const task of this.#tasks) {
      try {
        const removed = await task.run()
        const count =
          typeof removed === 'number' ? removed : Object.values(removed).reduce((a, b) => a + b, 0)
        if (count > 0)
          this.#options.logger.info({ task: task.name, count: removed }, 'housekeeping: task done')
      } catch (error) {
        this.#options.logger.warn({ err: error, task: task.name }, 'housekeeping: task failed')
      }
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#round
  }
}
