import type { JobInit, JobQueue } from '../services/bus/jobs.ts'
import type { Config } from '../services/core/config.ts'
import { StratusError } from '../services/core/errors.ts'
import { EventTypes } from '../services/core/event-catalog.ts'
import { EVENT_SOURCE, QUEUE_SUBJECT_PREFIX, type StratusEvent } from '../services/core/events.ts'
import { Limiter } from '../services/core/limiter.ts'
import type { Logger } from '../services/core/logger.ts'
import type { FunctionVersion } from '../services/functions/model.ts'
import type { QueueStore } from '../services/queue/store.ts'
import { Batcher } from './batcher.ts'
import type { Executor } from './executor.ts'
import { eventJob, FUNCTIONS_JOB_QUEUE, queueJobQueue, redriveJob, retryJob } from './jobs.ts'
import type { FunctionLookup } from './lookup.ts'
import type { FunctionRegistry } from './registry.ts'
import type { FunctionStore } from './store.ts'
import { matchEvent } from './triggers.ts'

/** The durable bus subscriber that turns events into function jobs. */
export const DISPATCHER_SUBSCRIBER = 'functions-dispatcher'
/** How often the queue backlog is swept (and, with in-memory jobs, how far ahead it looks). */
export const SWEEP_MS = 5000

export interface DispatcherOptions {
  registry: FunctionRegistry
  lookup: FunctionLookup
  store: FunctionStore
  /** The queue service's tables: delivery bookkeeping and backlog of queue messages. */
  queues: QueueStore
  executor: Executor
  jobs: JobQueue
  logger: Logger
  config: Config['functions']
}

/**
 * Decides what runs for an event: matches it against the live triggers, runs an event trigger's first
 * attempt at once (in this process, when it runs functions) and turns everything else into jobs. Also
 * hands over queue messages the bus did not deliver to a consumer (the backlog sweep) and re-runs dead
 * letters (redrive).
 */
export class Dispatcher {
  private readonly options: DispatcherOptions
  /** Executions the dispatcher runs itself, bounded like the job processors (FUNCTIONS_WORKERS). */
  private readonly direct: Limiter | undefined
  /** Concurrent dispatches' jobs for one job queue are added together. */
  private readonly jobAdds = new Map<string, Batcher<readonly JobInit[], undefined>>()
  /** Queue messages the backlog sweep is handing over in this process. */
  private readonly sweeping = new Set<string>()
  private closed = false
  /** Rejected by `stop`: dispatches waiting for in-memory jobs give up (the bus then keeps the event). */
  private readonly stopping: Promise<never>
  private stopNow: (error: Error) => void = () => {}

  constructor(options: DispatcherOptions) {
    this.options = options
    this.direct = options.config.workers > 0 ? new Limiter(options.config.workers) : undefined
    this.stopping = new Promise<never>((_, reject) => {
      this.stopNow = reject
    })
    this.stopping.catch(() => undefined)
  }

  /** Function jobs live in this process's memory (the local driver): they die with it. */
  get jobsInMemory(): boolean {
    return this.options.jobs.capabilities.delivery === 'in-memory'
  }

  /** Dispatches waiting for their in-memory jobs give up; the backlog sweep's failures go unlogged. */
  stop(): void {
    this.closed = true
    this.stopNow(new Error('the functions runtime is stopping'))
  }

  /** The bus subscriber: one event's matching triggers, run or queued. */
  async dispatch(event: StratusEvent): Promise<void> {
    if (event.type === EventTypes.functionChanged) {
      await this.options.registry.refresh((event.data as { name: string }).name)
      return
    }
    const { config, jobs } = this.options
    const queue =
      event.type === EventTypes.queueMessagePublished && event.subject.startsWith(QUEUE_SUBJECT_PREFIX)
        ? event.subject.slice(QUEUE_SUBJECT_PREFIX.length)
        : undefined
    const delayMs = queue ? availableIn(event) : 0
    // In-memory jobs die with the process. A queue message due later than the next backlog sweep stays
    // in the database (undispatched) until then: the sweep hands it over when it is almost due, so a
    // crash in between loses nothing.
    if (queue && this.jobsInMemory && delayMs > SWEEP_MS) return
    const byJobQueue = new Map<string, JobInit[]>()
    const direct: Promise<JobInit | undefined>[] = []
    let consumed = false
    for (const fn of this.options.registry.all()) {
      const kind = matchEvent(fn.triggers, event)
      if (!kind) continue
      // An event trigger's first attempt runs here, in the dispatch, when this process runs functions:
      // a job per event would cost a second queue hop. The bus redelivers the event if this process
      // dies meanwhile; a failed attempt becomes a retry job.
      if (kind === 'event' && this.direct) {
        direct.push(this.runFirstAttempt(fn, event, this.direct))
        continue
      }
      const jobQueue = kind === 'queue' ? queueJobQueue(queue!) : FUNCTIONS_JOB_QUEUE
      if (kind === 'queue') consumed = true
      const list = byJobQueue.get(jobQueue) ?? []
      list.push(
        eventJob(fn, event, kind, {
          backoffMs: config.retryBackoffMs,
          delayMs,
          ...(kind === 'queue' ? { queue } : {}),
        }),
      )
      byJobQueue.set(jobQueue, list)
    }
    // Settle both before failing, so a dispatch never ends while its executions still run.
    const [added, ran] = await Promise.allSettled([
      Promise.all([...byJobQueue].map(([jobQueue, list]) => this.addJobs(jobQueue, list))),
      Promise.all(direct),
    ])
    if (added.status === 'rejected') throw added.reason
    if (ran.status === 'rejected') throw ran.reason
    const retryJobs = ran.value.filter((job) => job !== undefined)
    if (retryJobs.length > 0) {
      await this.addJobs(FUNCTIONS_JOB_QUEUE, retryJobs)
      byJobQueue.set(FUNCTIONS_JOB_QUEUE, [...(byJobQueue.get(FUNCTIONS_JOB_QUEUE) ?? []), ...retryJobs])
    }
    // In memory, the event counts as handled (for the in-process bus's settled watermark) and a queue
    // message as dispatched only once its executions are done: after a kill -9 the relay re-delivers
    // the event, or the backlog sweep finds the message again.
    if (this.jobsInMemory && config.workers > 0 && byJobQueue.size > 0) {
      await Promise.race([
        Promise.all(
          [...byJobQueue].map(([jobQueue, list]) =>
            jobs.settled(
              jobQueue,
              list.map((j) => j.id),
            ),
          ),
        ),
        this.stopping,
      ])
    }
    if (queue && consumed) {
      await this.options.queues.markDispatched((event.data as { id: string }).id)
    }
  }

  /**
   * Hands messages that arrived while their queue had no consumer to the consumers now live, and, with
   * in-memory jobs, delayed messages falling due (and any whose process died before their executions
   * finished). Messages the relay has not published yet are left to the dispatcher.
   */
  async sweepQueueBacklog(): Promise<void> {
    const queues = [...this.options.registry.queues()]
    if (queues.length === 0) return
    // In memory, a delayed message waits in the database until it is almost due (see dispatch).
    const rows = await this.options.queues.backlog(queues, this.jobsInMemory ? SWEEP_MS : null)
    const handOvers: Promise<void>[] = []
    for (const row of rows) {
      // Still being handed over by an earlier sweep (in memory, that lasts until its executions end).
      if (this.sweeping.has(row.id)) continue
      this.sweeping.add(row.id)
      const delayed = row.availableAt.getTime() > row.createdAt.getTime()
      const handOver = this.dispatch({
        specversion: '1.0',
        id: row.id,
        source: EVENT_SOURCE,
        type: EventTypes.queueMessagePublished,
        subject: `${QUEUE_SUBJECT_PREFIX}${row.queue}`,
        time: row.createdAt.toISOString(),
        datacontenttype: 'application/json',
        data: {
          id: row.id,
          payload: row.payload,
          ...(delayed ? { availableAt: row.availableAt.toISOString() } : {}),
        },
        sequence: row.sequence ?? 0,
      })
        .catch((error: unknown) => {
          if (!this.closed)
            this.options.logger.warn({ err: error, message: row.id }, 'functions: hand-over failed')
        })
        .finally(() => this.sweeping.delete(row.id))
      handOvers.push(handOver)
    }
    // In memory a hand-over lasts as long as its executions: the sweep does not wait for it, so a message
    // falling due meanwhile is not held up.
    if (!this.jobsInMemory) await Promise.all(handOvers)
  }

  /** Re-runs a dead letter on the live version of its function. */
  async redrive(id: string): Promise<{ id: string; function: string; version: number }> {
    const store = this.options.store
    const dl = await store.takeDeadLetter(id)
    if (!dl) throw new StratusError('functions/not-found', `No dead letter ${id} waiting for a retry`)
    const fn = await this.options.lookup.live(dl.function, true)
    if (!fn) {
      await store.restoreDeadLetter(id)
      throw new StratusError('functions/not-found', `Function ${dl.function} no longer exists`)
    }
    try {
      await this.options.jobs.add(FUNCTIONS_JOB_QUEUE, [
        redriveJob(fn, dl, { backoffMs: this.options.config.retryBackoffMs }),
      ])
    } catch (error) {
      await store.restoreDeadLetter(id)
      throw error
    }
    return { id: dl.id, function: fn.name, version: fn.version }
  }

  /** Adds `jobs` to `jobQueue` together with those of other dispatches running now (one round trip). */
  private addJobs(jobQueue: string, jobs: readonly JobInit[]): Promise<undefined> {
    let batcher = this.jobAdds.get(jobQueue)
    if (!batcher) {
      batcher = new Batcher<readonly JobInit[], undefined>(async (lists) => {
        await this.options.jobs.add(jobQueue, lists.flat())
        return lists.map(() => undefined)
      })
      this.jobAdds.set(jobQueue, batcher)
    }
    return batcher.add(jobs)
  }

  /**
   * Attempt 1 of an event trigger, run by the dispatcher. Returns the retry job when it failed and
   * retries are left; dead-letters the event when none are.
   */
  private async runFirstAttempt(
    fn: FunctionVersion,
    event: StratusEvent,
    slots: Limiter,
  ): Promise<JobInit | undefined> {
    const executor = this.options.executor
    executor.observeTriggerLag(event)
    // The bus redelivers an event whose dispatch died: never run a success twice.
    if (await executor.succeededBefore(fn, event)) return
    // The slot is for running: the record is waited for outside it (it lingers a few ms for others').
    const { outcome, written } = await slots.run(async () => executor.run(fn, event, 'event', 1, 'write'))
    await written
    if (outcome.status === 'succeeded') return
    if (fn.retries > 0) return retryJob(fn, event, { backoffMs: this.options.config.retryBackoffMs })
    await executor.deadLetter(fn, event, 'event', 1, outcome, undefined)
    return undefined
  }
}

/** Milliseconds until a queue message may be handled (0 when it may now). */
function availableIn(event: StratusEvent): number {
  const at = (event.data as { availableAt?: string } | null)?.availableAt
  if (!at) return 0
  return Math.max(0, Date.parse(at) - Date.now())
}
