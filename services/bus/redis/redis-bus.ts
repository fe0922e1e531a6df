import { type Job, Queue, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { StratusEvent } from '../../core/events.ts'
import { Limiter } from '../../core/limiter.ts'
import {
  type Bus,
  type BusCapabilities,
  type BusLogger,
  type EventHandler,
  type EventListener,
  type FailedDelivery,
  resolveSubscribeOptions,
  SUBSCRIBE_DEFAULTS,
  type SubscribeOptions,
  type SubscriberStats,
  type Subscription,
} from '../bus.ts'
import { connectRedis } from './connect.ts'

/** The logger methods the driver uses; a pino `Logger` fits. */
export type RedisBusLogger = BusLogger

/** Options of the Redis driver; it reads no global config. */
export interface RedisBusOptions {
  /** `redis://…` URL of the Redis server shared by every Stratus process. */
  url: string
  /** Namespace of every key (BullMQ's `prefix`); processes that share it share subscribers and queues. */
  prefix: string
  /** Where connection, listener and final handler errors are reported. Defaults to the console. */
  logger?: RedisBusLogger
  /** How long `ping` waits for PONG. Default 2,000 ms. */
  pingTimeoutMs?: number
  /**
   * How long a worker's job lock lasts without renewal; a job whose process died is re-queued once
   * its lock has expired. BullMQ's default (30,000 ms) suits production; tests lower it.
   */
  lockDurationMs?: number
  /** How often workers look for jobs whose process died (BullMQ's `stalledInterval`). Default 30,000 ms. */
  stalledIntervalMs?: number
}

/** What the subscriber registry stores per name: how `publish` queues its events, and their retry policy. */
interface Registration {
  attempts: number
  backoffMs: number
  /** One job per published batch (see SubscribeOptions.batched). */
  batched: boolean
}

/**
 * Job names of a batched subscriber's queue (event jobs are named after the event type, which never
 * starts with `~`): a published batch; one event's retries after it failed in its batch (data
 * `{event, attempt}`, the attempt its first run is); an event that failed for good in its batch with
 * no retry left (data `{event, error}`: its job fails at once, so that `failed` lists it).
 */
const BATCH_JOB = '~batch'
const RETRY_JOB = '~retry'
const FAILED_JOB = '~failed'

interface BatchData {
  events: StratusEvent[]
}
interface RetryData {
  event: StratusEvent
  attempt: number
}
interface FailedData {
  event: StratusEvent
  error: string
}

/**
 * Dedup window: the job id is the event id, and BullMQ ignores an add whose job id still exists. A
 * subscriber's queue keeps its pending jobs, the last 10,000 completed and the last 1,000 failed ones,
 * so a republished id is dropped while it is pending, among the last 10,000 completed or the last 1,000
 * failed events of that subscriber; older ids would be delivered again.
 */
const REMOVE_ON_COMPLETE = { count: 10_000 }
const REMOVE_ON_FAIL = { count: 1000 }
/** The most pending jobs `pendingFloor` reads (their data holds the sequences). */
const PENDING_SCAN_LIMIT = 200
const DRAIN_POLL_MS = 25
/** Batch jobs a batched subscriber's worker takes at once per process. */
const BATCHES_AT_ONCE = 8

const consoleLogger: RedisBusLogger = {
  warn: (details, message) => console.warn(message, details),
  error: (details, message) => console.error(message, details),
}

/**
 * The production bus: one BullMQ queue per durable subscriber (`sub.<name>`) and Redis pub/sub for the
 * fan-out to listeners. Names registered by `subscribe` are kept in the hash `{prefix}:bus:subscribers`,
 * which `publish` reads, so events for a subscriber wait in Redis while none of its processes runs.
 *
 * Ordering: `publish` adds each batch with one `addBulk` per subscriber, so first attempts start in
 * sequence order; with `concurrency: 1` and a single process per subscriber they also finish in that
 * order, except that a retried event re-enters the queue behind later ones when its backoff elapses.
 * Several processes per subscriber handle events in parallel, hence out of order.
 */
export class RedisBus implements Bus {
  readonly driver = 'redis'
  readonly capabilities: BusCapabilities = { delivery: 'durable', reach: 'cluster' }
  private readonly options: Required<Omit<RedisBusOptions, 'logger'>>
  private readonly logger: RedisBusLogger
  /** Commands, BullMQ queues and PUBLISH: requests fail after ioredis's retries when Redis is down. */
  private readonly client: Redis
  /**
   * Shared by this process's BullMQ workers for their non-blocking commands (each worker adds its own
   * blocking connection). BullMQ requires `maxRetriesPerRequest: null`. Created on the first `subscribe`.
   */
  private workerClient: Redis | undefined
  /** Created on the first `listen`: a connection in subscriber mode can run no other command. */
  private subscriber: Redis | undefined
  /** Channels this process subscribed to (or is subscribing to). */
  private readonly channels = new Map<string, Promise<void>>()
  private readonly queues = new Map<string, Queue>()
  private readonly workers = new Map<string, Set<Worker>>()
  /** The durable subscribers this process registered, for `reassertSubscribers`. */
  private readonly registrations = new Map<string, Registration>()
  private readonly listeners = new Set<ListenerEntry>()
  private readonly signalListeners = new Set<() => void>()
  /** The highest sequence this process has published (`settledThrough`). */
  private lastPublished = 0
  /** A hint is being published; `signalAgain`: another commit came meanwhile. */
  private signalling = false
  private signalAgain = false
  private closing: Promise<void> | undefined

  constructor(options: RedisBusOptions) {
    if (!options.prefix) throw new Error('RedisBus: option prefix must not be empty')
    this.options = {
      url: options.url,
      prefix: options.prefix,
      pingTimeoutMs: options.pingTimeoutMs ?? 2000,
      lockDurationMs: options.lockDurationMs ?? 30_000,
      stalledIntervalMs: options.stalledIntervalMs ?? 30_000,
    }
    this.logger = options.logger ?? consoleLogger
    this.client = this.connect('stratus-bus')
  }

  private get registryKey(): string {
    return `${this.options.prefix}:bus:subscribers`
  }

  private get channel(): string {
    return `${this.options.prefix}:bus:events`
  }

  private get signalChannel(): string {
    return `${this.options.prefix}:bus:outbox`
  }

  async publish(events: readonly StratusEvent[]): Promise<void> {
    this.assertOpen('publish')
    if (events.length === 0) return
    for (const event of events) assertJobId(event)
    try {
      const registry = await this.client.hgetall(this.registryKey)
      await Promise.all(
        Object.entries(registry).map(([name, raw]) => {
          const { attempts, backoffMs, batched } = this.parseRegistration(name, raw)
          if (batched) {
            // The id names the batch, so a batch republished whole (the relay's retry) is dropped.
            const data: BatchData = { events: [...events] }
            return this.queue(name).add(BATCH_JOB, data, {
              jobId: `b.${events[0]!.id}.${events[events.length - 1]!.id}.${events.length}`,
              attempts,
              backoff: { type: 'exponential', delay: backoffMs },
              removeOnComplete: REMOVE_ON_COMPLETE,
              removeOnFail: REMOVE_ON_FAIL,
            })
          }
          return this.queue(name).addBulk(
            events.map((event) => ({
              name: event.type,
              data: event,
              opts: {
                jobId: event.id,
                attempts,
                backoff: { type: 'exponential', delay: backoffMs },
                removeOnComplete: REMOVE_ON_COMPLETE,
                removeOnFail: REMOVE_ON_FAIL,
              },
            })),
          )
        }),
      )
      await this.client.publish(this.channel, JSON.stringify(events))
      for (const event of events) this.lastPublished = Math.max(this.lastPublished, event.sequence)
    } catch (error) {
      throw new Error(
        `RedisBus: publishing ${events.length} events (sequence ${events[0]!.sequence}…) failed: ${message(error)}`,
        { cause: error },
      )
    }
  }

  async subscribe(
    name: string,
    handler: EventHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    this.assertOpen('subscribe')
    const resolved = resolveSubscribeOptions(name, options)
    const registration: Registration = {
      attempts: resolved.attempts,
      backoffMs: resolved.backoffMs,
      batched: resolved.batched,
    }
    try {
      await this.client.hset(this.registryKey, name, JSON.stringify(registration))
      this.registrations.set(name, registration)
    } catch (error) {
      throw new Error(`RedisBus: registering subscriber ${name} failed: ${message(error)}`, { cause: error })
    }
    // A batch job runs many handlers: the limiter keeps them to `concurrency` across the worker's jobs.
    const limiter = new Limiter(resolved.concurrency)
    const worker = new Worker(
      queueName(name),
      (job) => this.process(name, handler, job, registration, limiter),
      {
        connection: this.workerConnection(),
        prefix: this.options.prefix,
        // Batched, the limiter bounds the handlers; a few jobs at once keep it busy, and each idle slot
        // costs the worker a fetch from Redis whenever a job arrives.
        concurrency: resolved.batched
          ? Math.min(resolved.concurrency, BATCHES_AT_ONCE)
          : resolved.concurrency,
        lockDuration: this.options.lockDurationMs,
        stalledInterval: this.options.stalledIntervalMs,
      },
    )
    worker.on('error', (error) => this.logger.error({ subscriber: name, err: error }, 'bus: worker error'))
    const attached = this.workers.get(name) ?? new Set()
    attached.add(worker)
    this.workers.set(name, attached)
    try {
      await worker.waitUntilReady()
    } catch (error) {
      attached.delete(worker)
      await worker.close(true).catch(() => undefined)
      throw new Error(`RedisBus: starting subscriber ${name} failed: ${message(error)}`, { cause: error })
    }
    return {
      close: async () => {
        attached.delete(worker)
        if (attached.size === 0) this.workers.delete(name)
        await worker.close()
      },
    }
  }

  settledThrough(): number {
    return this.lastPublished
  }

  signalOutbox(): void {
    if (this.closing) return
    // One PUBLISH in flight at a time: commits arriving meanwhile share the next one.
    if (this.signalling) {
      this.signalAgain = true
      return
    }
    this.signalling = true
    this.client
      .publish(this.signalChannel, '')
      // A lost hint costs the relay's poll interval, nothing more: not worth a log line per commit.
      .catch(() => undefined)
      .finally(() => {
        this.signalling = false
        if (this.signalAgain) {
          this.signalAgain = false
          this.signalOutbox()
        }
      })
  }

  async onOutboxSignal(listener: () => void): Promise<Subscription> {
    this.assertOpen('onOutboxSignal')
    await this.subscribeTo(this.signalChannel)
    this.signalListeners.add(listener)
    return {
      close: async () => {
        this.signalListeners.delete(listener)
      },
    }
  }

  async listen(listener: EventListener): Promise<Subscription> {
    this.assertOpen('listen')
    await this.subscribeTo(this.channel)
    const entry: ListenerEntry = { listener, tail: Promise.resolve(), closed: false }
    this.listeners.add(entry)
    return {
      close: async () => {
        entry.closed = true
        this.listeners.delete(entry)
      },
    }
  }

  async failed(name: string, limit = 100): Promise<FailedDelivery[]> {
    resolveSubscribeOptions(name, {})
    if (limit <= 0) return []
    const jobs = await this.queue(name).getFailed(0, limit - 1)
    return jobs
      .flatMap((job): FailedDelivery[] => {
        const failedAt = new Date(job.finishedOn ?? job.processedOn ?? job.timestamp).toISOString()
        const one = (event: StratusEvent, attempts: number) => ({
          subscriber: name,
          event,
          attempts,
          error: job.failedReason,
          failedAt,
        })
        switch (job.name) {
          case BATCH_JOB:
            return (job.data as BatchData).events.map((event) => one(event, job.attemptsMade))
          case RETRY_JOB: {
            const data = job.data as RetryData
            return [one(data.event, data.attempt - 1 + job.attemptsMade)]
          }
          case FAILED_JOB:
            return [one((job.data as FailedData).event, 1)]
          default:
            return [one(job.data as StratusEvent, job.attemptsMade)]
        }
      })
      .slice(0, limit)
  }

  async stats(): Promise<SubscriberStats[]> {
    const names = Object.keys(await this.client.hgetall(this.registryKey)).sort()
    return Promise.all(
      names.map(async (name) => {
        const counts = await this.queue(name).getJobCounts(
          'waiting',
          'prioritized',
          'active',
          'delayed',
          'failed',
        )
        return {
          name,
          // BullMQ counts paused and prioritized jobs apart; for us they are all waiting.
          waiting: (counts.waiting ?? 0) + (counts.paused ?? 0) + (counts.prioritized ?? 0),
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
        }
      }),
    )
  }

  async pendingFloor(name: string): Promise<number | null> {
    const states = ['waiting', 'paused', 'prioritized', 'active', 'delayed'] as const
    const queue = this.queue(name)
    const counts = await queue.getJobCounts(...states)
    const total = states.reduce((sum, state) => sum + (counts[state] ?? 0), 0)
    if (total === 0) return null
    // Each job's data is read to find its events' sequences: past a bound, answer "all pending".
    if (total > PENDING_SCAN_LIMIT) return 0
    const jobs = await queue.getJobs([...states], 0, PENDING_SCAN_LIMIT - 1)
    let floor = Number.POSITIVE_INFINITY
    for (const job of jobs) {
      if (!job) continue
      const data = job.data as StratusEvent | BatchData | RetryData
      const events = 'events' in data ? data.events : 'event' in data ? [data.event] : [data]
      for (const event of events) floor = Math.min(floor, event.sequence)
    }
    // Jobs that ended between the count and the read: nothing of theirs is pending any more.
    return Number.isFinite(floor) ? floor : null
  }

  async reassertSubscribers(): Promise<void> {
    if (this.registrations.size === 0) return
    await this.client.hset(
      this.registryKey,
      Object.fromEntries([...this.registrations].map(([name, r]) => [name, JSON.stringify(r)])),
    )
  }

  async ping(): Promise<void> {
    this.assertOpen('ping')
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`RedisBus: no answer from Redis within ${this.options.pingTimeoutMs} ms`)),
        this.options.pingTimeoutMs,
      )
    })
    try {
      await Promise.race([this.client.ping(), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  async drain(): Promise<void> {
    // Polling: BullMQ has no cross-process "queue is empty" notification short of a QueueEvents stream.
    while (!this.closing) {
      const pending = await Promise.all(
        [...this.workers.keys()].map(async (name) => {
          const counts = await this.queue(name).getJobCounts('waiting', 'prioritized', 'active', 'delayed')
          return Object.values(counts).reduce((sum, count) => sum + count, 0)
        }),
      )
      if (pending.every((count) => count === 0)) return
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS))
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    this.listeners.clear()
    this.signalListeners.clear()
    const workers = [...this.workers.values()].flatMap((set) => [...set])
    this.workers.clear()
    // Workers first: closing one waits for its in-flight handlers, which may still need the queues.
    await this.settleAll(
      'closing workers',
      workers.map((worker) => worker.close()),
    )
    await this.settleAll(
      'closing queues',
      [...this.queues.values()].map((queue) => queue.close()),
    )
    this.queues.clear()
    for (const connection of [this.subscriber, this.workerClient, this.client]) connection?.disconnect()
  }

  private async process(
    name: string,
    handler: EventHandler,
    job: Job,
    registration: Registration,
    limiter: Limiter,
  ): Promise<void> {
    switch (job.name) {
      case BATCH_JOB:
        return this.processBatch(name, handler, job as Job<BatchData>, registration, limiter)
      case FAILED_JOB:
        throw new Error((job.data as FailedData).error)
      case RETRY_JOB: {
        const { event, attempt } = job.data as RetryData
        const last = attempt - 1 + (job.opts.attempts ?? 1)
        return limiter.run(() => this.handle(name, handler, event, attempt + job.attemptsMade, last))
      }
      default:
        return this.handle(
          name,
          handler,
          job.data as StratusEvent,
          job.attemptsMade + 1,
          job.opts.attempts ?? 1,
        )
    }
  }

  /** One handler call; a failure is rethrown for BullMQ's retry (and logged when it was the last). */
  private async handle(
    name: string,
    handler: EventHandler,
    event: StratusEvent,
    attempt: number,
    lastAttempt: number,
  ): Promise<void> {
    try {
      await handler(event, { subscriber: name, attempt })
    } catch (error) {
      if (attempt >= lastAttempt) {
        this.logger.warn(
          { subscriber: name, eventId: event.id, attempts: attempt, err: error },
          'bus: event failed for good',
        )
      }
      // BullMQ records `message` as the failure reason: give it an Error whatever was thrown.
      throw error instanceof Error ? error : new Error(String(error))
    }
  }

  /**
   * A published batch: every event's handler, in order, up to `concurrency` at once. An event that
   * fails goes on alone as a retry job (or, with no attempt left, as a failed one); the batch job fails
   * (and is retried whole) only if those cannot be queued.
   */
  private async processBatch(
    name: string,
    handler: EventHandler,
    job: Job<BatchData>,
    registration: Registration,
    limiter: Limiter,
  ): Promise<void> {
    const attempt = job.attemptsMade + 1
    const failures: { event: StratusEvent; error: unknown }[] = []
    await Promise.all(
      job.data.events.map((event) =>
        limiter.run(async () => {
          try {
            await handler(event, { subscriber: name, attempt })
          } catch (error) {
            failures.push({ event, error })
          }
        }),
      ),
    )
    if (failures.length === 0) return
    const { attempts, backoffMs } = registration
    await this.queue(name).addBulk(
      failures.map(({ event, error }) => {
        const common = { removeOnComplete: REMOVE_ON_COMPLETE, removeOnFail: REMOVE_ON_FAIL }
        if (attempts <= attempt) {
          this.logger.warn(
            { subscriber: name, eventId: event.id, attempts: attempt, err: error },
            'bus: event failed for good',
          )
          const data: FailedData = { event, error: message(error) }
          return { name: FAILED_JOB, data, opts: { ...common, jobId: `f.${event.id}`, attempts: 1 } }
        }
        const data: RetryData = { event, attempt: attempt + 1 }
        return {
          name: RETRY_JOB,
          data,
          opts: {
            ...common,
            // Its own id: a batch run again adds it once.
            jobId: `r.${event.id}`,
            attempts: attempts - attempt,
            delay: backoffMs * 2 ** (attempt - 1),
            backoff: { type: 'exponential', delay: backoffMs * 2 ** attempt },
          },
        }
      }),
    )
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name)
    if (!queue) {
      queue = new Queue(queueName(name), { connection: this.client, prefix: this.options.prefix })
      queue.on('error', (error) => this.logger.error({ subscriber: name, err: error }, 'bus: queue error'))
      this.queues.set(name, queue)
    }
    return queue
  }

  private parseRegistration(name: string, raw: string): Registration {
    try {
      const parsed = JSON.parse(raw) as Partial<Registration>
      return {
        attempts: Number.isInteger(parsed.attempts) ? parsed.attempts! : SUBSCRIBE_DEFAULTS.attempts,
        backoffMs: Number.isFinite(parsed.backoffMs) ? parsed.backoffMs! : SUBSCRIBE_DEFAULTS.backoffMs,
        batched: parsed.batched === true,
      }
    } catch (error) {
      this.logger.warn({ subscriber: name, raw, err: error }, 'bus: unreadable registration, using defaults')
      return {
        attempts: SUBSCRIBE_DEFAULTS.attempts,
        backoffMs: SUBSCRIBE_DEFAULTS.backoffMs,
        batched: SUBSCRIBE_DEFAULTS.batched,
      }
    }
  }

  private workerConnection(): Redis {
    this.workerClient ??= this.connect('stratus-bus-worker', { maxRetriesPerRequest: null })
    return this.workerClient
  }

  /** One subscriber connection per bus, whatever the number of listeners and channels. */
  private subscribeTo(channel: string): Promise<void> {
    let subscribed = this.channels.get(channel)
    if (!subscribed) {
      if (!this.subscriber) {
        const subscriber = this.connect('stratus-bus-listen')
        this.subscriber = subscriber
        subscriber.on('message', (from: string, payload: string) => {
          if (from === this.channel) this.dispatch(payload)
          else if (from === this.signalChannel) for (const listener of this.signalListeners) listener()
        })
      }
      subscribed = this.subscriber
        .subscribe(channel)
        .then(() => undefined)
        .catch((error: unknown) => {
          this.channels.delete(channel)
          throw new Error(`RedisBus: subscribing to ${channel} failed: ${message(error)}`, { cause: error })
        })
      this.channels.set(channel, subscribed)
    }
    return subscribed
  }

  private dispatch(payload: string): void {
    let events: StratusEvent[]
    try {
      events = JSON.parse(payload) as StratusEvent[]
    } catch (error) {
      this.logger.error({ err: error }, 'bus: unreadable fan-out message')
      return
    }
    for (const entry of this.listeners) {
      for (const event of events) {
        // Calls for one listener are chained, so an async listener sees events one at a time, in order.
        entry.tail = entry.tail
          .then(() => (entry.closed ? undefined : entry.listener(event)))
          .catch((error: unknown) =>
            this.logger.error({ eventId: event.id, err: error }, 'bus: listener failed'),
          )
      }
    }
  }

  private connect(connectionName: string, overrides: { maxRetriesPerRequest?: null } = {}): Redis {
    // Named with the key prefix, so CLIENT LIST tells which deployment (or test) holds a connection.
    return connectRedis(this.options.url, `${connectionName}:${this.options.prefix}`, {
      logger: this.logger,
      what: 'bus',
      isClosing: () => Boolean(this.closing),
      ...overrides,
    })
  }

  /** Runs every step of a shutdown even if one fails, and reports the failures. */
  private async settleAll(what: string, steps: Promise<unknown>[]): Promise<void> {
    for (const result of await Promise.allSettled(steps)) {
      if (result.status === 'rejected') this.logger.warn({ err: result.reason }, `bus: ${what} failed`)
    }
  }

  private assertOpen(operation: string): void {
    if (this.closing) throw new Error(`RedisBus: cannot ${operation}, the bus is closed`)
  }
}

interface ListenerEntry {
  listener: EventListener
  tail: Promise<void>
  closed: boolean
}

function queueName(subscriber: string): string {
  return `sub.${subscriber}`
}

/** BullMQ rejects custom job ids that look like integers or contain ':'; say which event, not which job. */
function assertJobId(event: StratusEvent): void {
  if (event.id === '' || `${Number.parseInt(event.id, 10)}` === event.id || event.id.includes(':')) {
    throw new Error(
      `RedisBus: event id ${JSON.stringify(event.id)} (sequence ${event.sequence}) cannot be a BullMQ job id: ` +
        'ids must not be integers or contain ":"',
    )
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
