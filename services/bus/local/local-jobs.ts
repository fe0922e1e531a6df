import { nextCronTimes } from '../../core/cron.ts'
import type { Subscription } from '../bus.ts'
import {
  JOB_ID_PATTERN,
  JOB_QUEUE_NAME_PATTERN,
  type Job,
  type JobCounts,
  type JobHandler,
  type JobInit,
  type JobQueue,
  type JobQueueCapabilities,
  type ScheduledJob,
  type ScheduleInfo,
  type ScheduleSpec,
} from '../jobs.ts'

/** The logger methods the driver uses; a pino `Logger` fits. */
export interface LocalJobQueueLogger {
  warn(details: object, message: string): void
}

export interface LocalJobQueueOptions {
  logger?: LocalJobQueueLogger
  /** Finished job ids remembered per queue for idempotency. Default 10,000. */
  dedupWindow?: number
}

interface QueuedJob {
  id: string
  name: string
  data: unknown
  attempts: number
  backoffMs: number
  attemptsMade: number
}

interface Processor {
  handler: JobHandler
  concurrency: number
  active: number
  inFlight: Set<Promise<void>>
}

interface QueueState {
  waiting: QueuedJob[]
  timers: Set<NodeJS.Timeout>
  /** Ids pending (waiting, delayed or running): adding one of them is a no-op. */
  pending: Set<string>
  /** Finished ids, oldest first (bounded by the dedup window). */
  finished: Set<string>
  /** Callers of `settled` waiting for a pending id. */
  waiters: Map<string, Array<() => void>>
  processors: Processor[]
  active: number
  failed: number
  next: number
}

interface ScheduleState extends ScheduleInfo {
  job: ScheduledJob
  /** The timer of the next tick (re-armed after each). */
  timer: NodeJS.Timeout | undefined
}

/** setTimeout's longest delay: a later tick is waited for in several steps. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * The embedded job queue: memory queues, timers for delays and retries, and timers for schedules, whose
 * ticks are computed as the Redis driver's (services/core/cron.ts). Nothing survives the process (the
 * embedded mode is single-process, so a schedule fires once per tick).
 * Dedup window: pending ids plus the last `dedupWindow` finished ids per queue.
 */
export class LocalJobQueue implements JobQueue {
  readonly driver = 'local'
  readonly capabilities: JobQueueCapabilities = { delivery: 'in-memory' }
  private readonly queues = new Map<string, QueueState>()
  private readonly scheduled = new Map<string, ScheduleState>()
  private readonly logger: LocalJobQueueLogger | undefined
  private readonly dedupWindow: number
  private idleWaiters: Array<() => void> = []
  private closed = false

  constructor(options: LocalJobQueueOptions = {}) {
    this.logger = options.logger
    this.dedupWindow = options.dedupWindow ?? 10_000
  }

  async add(queue: string, jobs: readonly JobInit[]): Promise<void> {
    this.assertOpen()
    const state = this.state(queue)
    for (const init of jobs) {
      assertJobId(init.id)
      if (state.pending.has(init.id) || state.finished.has(init.id)) continue
      state.pending.add(init.id)
      const job: QueuedJob = {
        id: init.id,
        name: init.name ?? 'job',
        data: init.data,
        attempts: Math.max(1, init.attempts ?? 1),
        backoffMs: init.backoffMs ?? 1000,
        attemptsMade: 0,
      }
      if (init.delayMs && init.delayMs > 0) this.later(queue, state, job, init.delayMs)
      else state.waiting.push(job)
    }
    this.pump(queue, state)
  }

  async process(
    queue: string,
    handler: JobHandler,
    options: { concurrency?: number } = {},
  ): Promise<Subscription> {
    this.assertOpen()
    const state = this.state(queue)
    const processor: Processor = {
      handler,
      concurrency: options.concurrency ?? 1,
      active: 0,
      inFlight: new Set(),
    }
    state.processors.push(processor)
    queueMicrotask(() => this.pump(queue, state))
    return {
      close: async () => {
        const i = state.processors.indexOf(processor)
        if (i >= 0) state.processors.splice(i, 1)
        await Promise.all(processor.inFlight)
        this.notifyIfIdle()
      },
    }
  }

  async upsertSchedule(queue: string, id: string, spec: ScheduleSpec, job: ScheduledJob): Promise<void> {
    this.assertOpen()
    const key = `${queue}\u0000${id}`
    const existing = this.scheduled.get(key)
    if (existing) {
      if (existing.cron === spec.cron && existing.timezone === spec.timezone) {
        existing.job = job
        return
      }
      this.scheduled.delete(key)
      clearTimeout(existing.timer)
    }
    // Throws on an expression it cannot read, before anything is stored.
    nextCronTimes(spec.cron, { timezone: spec.timezone, count: 1 })
    const state: ScheduleState = { id, cron: spec.cron, timezone: spec.timezone, job, timer: undefined }
    this.scheduled.set(key, state)
    this.arm(queue, key, state, Date.now())
  }

  async removeSchedule(queue: string, id: string): Promise<void> {
    const key = `${queue}\u0000${id}`
    const existing = this.scheduled.get(key)
    if (!existing) return
    this.scheduled.delete(key)
    clearTimeout(existing.timer)
  }

  async schedules(queue: string): Promise<ScheduleInfo[]> {
    const prefix = `${queue}\u0000`
    return [...this.scheduled.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .map(([, s]) => ({ id: s.id, cron: s.cron, ...(s.timezone ? { timezone: s.timezone } : {}) }))
  }

  settled(queue: string, ids: readonly string[]): Promise<void> {
    const state = this.state(queue)
    const pending = ids.filter((id) => state.pending.has(id))
    if (pending.length === 0) return Promise.resolve()
    return Promise.all(
      pending.map(
        (id) =>
          new Promise<void>((resolve) => {
            const list = state.waiters.get(id) ?? []
            list.push(resolve)
            state.waiters.set(id, list)
          }),
      ),
    ).then(() => undefined)
  }

  async counts(queue: string): Promise<JobCounts> {
    const state = this.queues.get(queue)
    if (!state) return { waiting: 0, active: 0, delayed: 0, failed: 0 }
    return {
      waiting: state.waiting.length,
      active: state.active,
      delayed: state.timers.size,
      failed: state.failed,
    }
  }

  async nextWaiting(queue: string): Promise<unknown> {
    return this.queues.get(queue)?.waiting[0]?.data
  }

  async ping(): Promise<void> {
    this.assertOpen()
  }

  /** True when no queue with a processor here has a job waiting, delayed or running. */
  idle(): boolean {
    for (const state of this.queues.values()) {
      if (state.active > 0) return false
      if (state.processors.length > 0 && (state.waiting.length > 0 || state.timers.size > 0)) return false
    }
    return true
  }

  drain(): Promise<void> {
    if (this.idle()) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const s of this.scheduled.values()) clearTimeout(s.timer)
    this.scheduled.clear()
    const inFlight: Promise<void>[] = []
    for (const state of this.queues.values()) {
      for (const timer of state.timers) clearTimeout(timer)
      state.timers.clear()
      for (const p of state.processors) inFlight.push(...p.inFlight)
      state.processors = []
    }
    await Promise.all(inFlight)
    this.notifyIfIdle()
  }

  private state(queue: string): QueueState {
    if (!JOB_QUEUE_NAME_PATTERN.test(queue))
      throw new Error(`invalid job queue name ${JSON.stringify(queue)}`)
    let state = this.queues.get(queue)
    if (!state) {
      state = {
        waiting: [],
        timers: new Set(),
        pending: new Set(),
        finished: new Set(),
        waiters: new Map(),
        processors: [],
        active: 0,
        failed: 0,
        next: 0,
      }
      this.queues.set(queue, state)
    }
    return state
  }

  /**
   * Sets the timer of the schedule's first tick after `after` (epoch ms). Each tick adds one job, id
   * `<schedule id>.<tick epoch ms>`, and arms the next tick after it; ticks missed while the process
   * was busy are not made up (as BullMQ, the next one is the first after now).
   */
  private arm(queue: string, key: string, schedule: ScheduleState, after: number): void {
    if (this.closed || this.scheduled.get(key) !== schedule) return
    const [tick] = nextCronTimes(schedule.cron, { timezone: schedule.timezone, after, count: 1 })
    if (!tick) return
    const at = tick.getTime()
    const wait = at - Date.now()
    schedule.timer = setTimeout(
      () => {
        if (this.closed || this.scheduled.get(key) !== schedule) return
        // A long wait is taken in steps: not due yet, wait again.
        if (Date.now() < at) return this.arm(queue, key, schedule, after)
        const job = schedule.job
        void this.add(queue, [
          {
            id: `${schedule.id}.${at}`,
            name: job.name,
            data: job.data,
            attempts: job.attempts,
            backoffMs: job.backoffMs,
          },
        ]).catch((error: unknown) =>
          this.logger?.warn({ err: error, schedule: schedule.id }, 'jobs: schedule tick lost'),
        )
        this.arm(queue, key, schedule, Math.max(at, Date.now()))
      },
      Math.min(Math.max(0, wait), MAX_TIMER_MS),
    )
    schedule.timer.unref()
  }

  private later(queue: string, state: QueueState, job: QueuedJob, delayMs: number): void {
    const timer = setTimeout(() => {
      state.timers.delete(timer)
      if (this.closed) return
      state.waiting.push(job)
      this.pump(queue, state)
    }, delayMs)
    state.timers.add(timer)
  }

  private pump(queue: string, state: QueueState): void {
    if (this.closed) return
    while (state.waiting.length > 0) {
      const processor = this.pick(state)
      if (!processor) return
      const job = state.waiting.shift()!
      const run = this.run(queue, state, processor, job)
      processor.inFlight.add(run)
      void run.finally(() => {
        processor.inFlight.delete(run)
        this.pump(queue, state)
        this.notifyIfIdle()
      })
    }
  }

  private pick(state: QueueState): Processor | undefined {
    const n = state.processors.length
    for (let i = 0; i < n; i++) {
      const p = state.processors[(state.next + i) % n]!
      if (p.active < p.concurrency) {
        state.next = (state.next + i + 1) % n
        return p
      }
    }
    return undefined
  }

  private async run(queue: string, state: QueueState, processor: Processor, job: QueuedJob): Promise<void> {
    processor.active++
    state.active++
    const attempt = job.attemptsMade + 1
    const view: Job = { id: job.id, name: job.name, data: job.data, attempt, attempts: job.attempts }
    try {
      await processor.handler(view)
      this.finish(state, job.id)
    } catch (error) {
      job.attemptsMade = attempt
      if (attempt < job.attempts && !this.closed) {
        this.later(queue, state, job, job.backoffMs * 2 ** (attempt - 1))
      } else {
        state.failed++
        this.finish(state, job.id)
        this.logger?.warn(
          { queue, jobId: job.id, attempts: attempt, err: error },
          'jobs: job failed for good',
        )
      }
    } finally {
      processor.active--
      state.active--
    }
  }

  private finish(state: QueueState, id: string): void {
    state.pending.delete(id)
    const waiters = state.waiters.get(id)
    if (waiters) {
      state.waiters.delete(id)
      for (const resolve of waiters) resolve()
    }
    state.finished.add(id)
    if (state.finished.size > this.dedupWindow)
      state.finished.delete(state.finished.values().next().value as string)
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length === 0 || !this.idle()) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('LocalJobQueue: closed')
  }
}

function assertJobId(id: string): void {
  if (!JOB_ID_PATTERN.test(id))
    throw new Error(`invalid job id ${JSON.stringify(id)}: expected ${JOB_ID_PATTERN}`)
}
