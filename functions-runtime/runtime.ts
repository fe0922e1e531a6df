import type { Registry } from 'prom-client'
import type { Bus, Subscription } from '../services/bus/bus.ts'
import { type Job, type JobInit, type JobQueue, safeJobIdPart } from '../services/bus/jobs.ts'
import type { Config } from '../services/core/config.ts'
import { StratusError } from '../services/core/errors.ts'
import {
  EVENT_SOURCE,
  QUEUE_EVENT_TYPE,
  QUEUE_SUBJECT_PREFIX,
  type StratusEvent,
} from '../services/core/events.ts'
import { newEventId } from '../services/core/ids.ts'
import { Limiter } from '../services/core/limiter.ts'
import type { Logger } from '../services/core/logger.ts'
import type { Database } from '../services/db/database.ts'
import type {
  Execution,
  ExecutionStatus,
  FunctionVersion,
  HttpRequestData,
  HttpResponseData,
  TriggerKind,
} from '../services/functions/model.ts'
import type { QueueStats } from '../services/queue/service.ts'
import { QueueStore } from '../services/queue/store.ts'
import { Batcher } from './batcher.ts'
import { createHost, type InternalHttp } from './host.ts'
import { eventJob, FUNCTIONS_JOB_QUEUE, type FunctionJobData, queueJobQueue, retryJob } from './jobs.ts'
import { createFunctionMetrics, type FunctionMetrics } from './metrics.ts'
import { ExecutionRecorder } from './recorder.ts'
import { FunctionRegistry } from './registry.ts'
import type { Invocation } from './sandbox/instance.ts'
import { type PoolRun, SandboxPool } from './sandbox/pool.ts'
import { FUNCTION_CHANGED_EVENT, FunctionStore } from './store.ts'
import { matchEvent } from './triggers.ts'

export interface RuntimeOptions {
  db: Database
  bus: Bus
  jobs: JobQueue
  logger: Logger
  /** The platform's Prometheus registry. */
  registry: Registry
  config: Config['functions']
  /** The platform's HTTP API in-process (ctx.db, ctx.storage, ctx.queue go through it). */
  http: InternalHttp
  /** The bearer token function `name`'s ctx clients present (role `function`: never admitted to /admin). */
  principal: (name: string) => Promise<string>
  /** Told of every execution (each attempt) once it ends: usage metering. Must be cheap. */
  onExecution?: (fn: FunctionVersion, status: ExecutionStatus, durationMs: number) => void
}

/** One execution's outcome and record; `written` settles once a `write` record is committed. */
interface RunOnce {
  outcome: PoolRun
  record: Execution
  written?: Promise<boolean>
}

/** The durable bus subscriber that turns events into function jobs. */
export const DISPATCHER_SUBSCRIBER = 'functions-dispatcher'
const SWEEP_MS = 5000
const RETENTION_MS = 10 * 60_000
const REGISTRY_POLL_MS = 5000
const NEGATIVE_CACHE_MS = 1000

/**
 * The functions runtime of one process: the registry of live versions, the warm sandbox pool, and — in
 * worker processes — the dispatcher (bus → trigger match → an event trigger's first attempt run at
 * once, or a job), the job processors (job → execution, retries, dead letters), the schedules and the
 * maintenance sweeps.
 */
export class FunctionsRuntime {
  readonly store: FunctionStore
  readonly registry: FunctionRegistry
  readonly pool: SandboxPool
  readonly metrics: FunctionMetrics
  private readonly options: RuntimeOptions
  /** The queue service's tables: delivery bookkeeping, backlog and retention of queue messages. */
  private readonly queues: QueueStore
  private readonly recorder: ExecutionRecorder
  /** Concurrent jobs' idempotency checks share one query. */
  private readonly succeededChecks: Batcher<{ name: string; version: number; eventId: string }, boolean>
  /** Executions the dispatcher runs itself, bounded like the job processors (FUNCTIONS_WORKERS). */
  private readonly direct: Limiter | undefined
  /** Concurrent dispatches' jobs for one job queue are added together. */
  private readonly jobAdds = new Map<string, Batcher<readonly JobInit[], undefined>>()
  private readonly subscriptions: Subscription[] = []
  private readonly queueProcessors = new Map<string, Promise<Subscription>>()
  private readonly timers: NodeJS.Timeout[] = []
  private readonly versionCache = new Map<string, FunctionVersion>()
  private readonly misses = new Map<string, number>()
  /** Queue messages the backlog sweep is handing over in this process. */
  private readonly sweeping = new Set<string>()
  private worker = false
  private closed = false
  /** Rejected by `stop`: dispatches waiting for in-memory jobs give up (the bus then keeps the event). */
  private readonly stopping: Promise<never>
  private stopNow: (error: Error) => void = () => {}

  constructor(options: RuntimeOptions) {
    this.options = options
    this.store = new FunctionStore(options.db)
    this.queues = new QueueStore(options.db)
    this.registry = new FunctionRegistry(this.store)
    this.metrics = createFunctionMetrics(options.registry)
    const metrics = this.metrics
    this.pool = new SandboxPool({
      host: createHost({
        http: options.http,
        principal: options.principal,
        allowFetch: options.config.allowFetch,
        maxPayloadBytes: options.config.maxPayloadBytes,
      }),
      allowFetch: options.config.allowFetch,
      maxPayloadBytes: options.config.maxPayloadBytes,
      maxMemoryMb: options.config.maxMemoryMb,
      logLines: options.config.logLines,
      logLineLength: options.config.logLineLength,
      warmPoolSize: options.config.warmPoolSize,
      idleMs: options.config.idleMs,
      onColdStart: (spec, ms) => {
        metrics.coldStarts.inc({ function: spec.name })
        metrics.coldStartDuration.observe(ms / 1000)
      },
    })
    this.recorder = new ExecutionRecorder(this.store, {
      logger: options.logger,
      onDrop: () => metrics.droppedRecords.inc(),
    })
    this.succeededChecks = new Batcher((keys) => this.store.succeededAmong(keys))
    this.direct = options.config.workers > 0 ? new Limiter(options.config.workers) : undefined
    this.registry.onChange((name, version) => this.onRegistryChange(name, version))
    this.stopping = new Promise<never>((_, reject) => {
      this.stopNow = reject
    })
    this.stopping.catch(() => undefined)
  }

  /**
   * Loads the live functions and follows changes. `worker: true` also subscribes the dispatcher (before
   * the relay starts, so no event is published to nobody), processes jobs, syncs schedules and sweeps.
   */
  async start(options: { worker: boolean }): Promise<void> {
    this.worker = options.worker
    await this.registry.reload()
    this.subscriptions.push(
      await this.options.bus.listen(async (event) => {
        if (event.type === FUNCTION_CHANGED_EVENT)
          await this.registry.refresh((event.data as { name: string }).name)
      }),
    )
    this.every(REGISTRY_POLL_MS, () => this.registry.reload())
    if (!options.worker) return
    this.subscriptions.push(
      await this.options.bus.subscribe(DISPATCHER_SUBSCRIBER, (event) => this.dispatch(event), {
        // A dispatch lasts as long as the executions it runs itself (bounded apart, see `direct`), and in
        // memory as long as its jobs too (see dispatch): allow many at once.
        concurrency: this.jobsInMemory ? 256 : Math.max(16, 8 * this.options.config.workers),
        backoffMs: 200,
        // A published batch is one delivery: far less Redis work per event. The dispatcher is idempotent
        // (a success is never run twice), which is what batched delivery asks of a subscriber.
        batched: true,
      }),
    )
    if (this.options.config.workers > 0) {
      this.subscriptions.push(
        await this.options.jobs.process(FUNCTIONS_JOB_QUEUE, (job) => this.execute(job), {
          concurrency: this.options.config.workers,
        }),
      )
      for (const queue of this.registry.queues()) this.ensureQueueProcessor(queue)
    }
    await this.syncAllSchedules()
    this.every(SWEEP_MS, () => this.sweepQueueBacklog())
    this.every(RETENTION_MS, () => this.applyRetention())
  }

  /** After this node deployed, rolled back or deleted `name`: refresh, warm up, schedules, backlog. */
  async afterChange(name: string): Promise<void> {
    const live = await this.registry.refresh(name)
    // The new version is warm before the deploy answers.
    if (live) await this.pool.prewarm(live).catch(() => undefined)
    await this.syncSchedules(name)
    if (live && this.worker) {
      this.sweepQueueBacklog().catch((error: unknown) =>
        this.options.logger.warn({ err: error, function: name }, 'functions: queue backlog sweep failed'),
      )
    }
  }

  /** Runs an HTTP-triggered invocation synchronously in this process's pool. */
  invokeHttp(name: string, request: HttpRequestData): HttpResponseData | Promise<HttpResponseData> {
    const fn = this.registry.get(name)
    if (!fn) return this.lookup(name).then((found) => this.invokeHttpOn(name, found, request))
    return this.invokeHttpOn(name, fn, request)
  }

  /** invokeHttp once the function is known: without a promise when the run settles inline. */
  private invokeHttpOn(
    name: string,
    fn: FunctionVersion | undefined,
    request: HttpRequestData,
  ): HttpResponseData | Promise<HttpResponseData> {
    const trigger = fn?.triggers.find((t) => t.type === 'http')
    if (!fn || !trigger || trigger.type !== 'http') {
      throw new StratusError('functions/not-found', `No function named ${name} with an HTTP trigger`)
    }
    if (!trigger.public && !request.auth) {
      throw new StratusError('auth/unauthenticated', `Function ${name} needs a signed-in caller`)
    }
    const event = {
      specversion: '1.0',
      id: newEventId(),
      source: EVENT_SOURCE,
      type: 'http.request',
      subject: `functions/${name}`,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: request,
    }
    const ran = this.runOnce(fn, event, 'http', 1, 'enqueue')
    if (ran instanceof Promise) return ran.then((done) => httpAnswer(name, fn, done))
    return httpAnswer(name, fn, ran)
  }

  /** Re-runs a dead letter on the live version of its function. */
  async redrive(id: string): Promise<{ id: string; function: string; version: number }> {
    const dl = await this.store.takeDeadLetter(id)
    if (!dl) throw new StratusError('functions/not-found', `No dead letter ${id} waiting for a retry`)
    const fn = await this.lookup(dl.function, true)
    if (!fn) {
      await this.store.restoreDeadLetter(id)
      throw new StratusError('functions/not-found', `Function ${dl.function} no longer exists`)
    }
    const data: FunctionJobData = {
      kind: 'redrive',
      function: fn.name,
      trigger: dl.trigger,
      event: dl.event as StratusEvent,
      deadLetterId: dl.id,
      ...(dl.queue ? { queue: dl.queue } : {}),
    }
    try {
      await this.options.jobs.add(FUNCTIONS_JOB_QUEUE, [
        {
          id: `${fn.name}.${fn.version}.${safeJobIdPart(dl.eventId)}.redrive.${safeJobIdPart(dl.id)}`,
          name: `${fn.name}:redrive`,
          data,
          attempts: fn.retries + 1,
          backoffMs: this.options.config.retryBackoffMs,
        },
      ])
    } catch (error) {
      await this.store.restoreDeadLetter(id)
      throw error
    }
    return { id: dl.id, function: fn.name, version: fn.version }
  }

  /** Depth, in-flight and dead counts of every known queue. */
  async queueStats(): Promise<QueueStats[]> {
    const rows = await this.queues.undispatchedCounts()
    const names = new Map(rows.map((r) => [r.name, r.undispatched]))
    const consumers = new Map<string, string[]>()
    for (const fn of this.registry.all()) {
      for (const t of fn.triggers) {
        if (t.type !== 'queue') continue
        if (!names.has(t.queue)) names.set(t.queue, 0)
        consumers.set(t.queue, [...(consumers.get(t.queue) ?? []), fn.name])
      }
    }
    const dead = await this.store.deadLettersPerQueue()
    const stats = await Promise.all(
      [...names].map(async ([name, undispatched]) => {
        const c = await this.options.jobs.counts(queueJobQueue(name))
        const d = dead.get(name) ?? 0
        this.metrics.queueDepth.set({ queue: name, state: 'waiting' }, c.waiting + undispatched)
        this.metrics.queueDepth.set({ queue: name, state: 'delayed' }, c.delayed)
        this.metrics.queueDepth.set({ queue: name, state: 'in_flight' }, c.active)
        this.metrics.queueDepth.set({ queue: name, state: 'dead' }, d)
        return {
          name,
          depth: c.waiting + c.delayed + undispatched,
          waiting: c.waiting + undispatched,
          delayed: c.delayed,
          inFlight: c.active,
          dead: d,
          consumers: consumers.get(name) ?? [],
        }
      }),
    )
    return stats.sort((a, b) => (a.name < b.name ? -1 : 1))
  }

  /** For tests and shutdown: resolves when queued work and execution records handled here are done. */
  async drain(): Promise<void> {
    await this.options.bus.drain()
    await this.options.jobs.drain()
    await this.recorder.flushed()
  }

  /** Stops taking work (dispatcher, job processors, timers) after in-flight jobs finish. HTTP still works. */
  async stop(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.stopNow(new Error('the functions runtime is stopping'))
    for (const timer of this.timers) clearInterval(timer)
    const processors = await Promise.allSettled(this.queueProcessors.values())
    const subs = [
      ...this.subscriptions,
      ...processors.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : [])),
    ]
    await Promise.allSettled(subs.map((s) => s.close()))
  }

  /** Stops, writes the last execution records and disposes every isolate. */
  async close(): Promise<void> {
    await this.stop()
    await this.recorder.flushed()
    this.pool.close()
  }

  // ---- dispatch: bus event → jobs ----

  private async dispatch(event: StratusEvent): Promise<void> {
    if (event.type === FUNCTION_CHANGED_EVENT) {
      await this.registry.refresh((event.data as { name: string }).name)
      return
    }
    const queue =
      event.type === QUEUE_EVENT_TYPE && event.subject.startsWith(QUEUE_SUBJECT_PREFIX)
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
    for (const fn of this.registry.all()) {
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
          backoffMs: this.options.config.retryBackoffMs,
          delayMs,
          ...(kind === 'queue' ? { queue } : {}),
        }),
      )
      byJobQueue.set(jobQueue, list)
    }
    // Settle both before failing, so a dispatch never ends while its executions still run.
    const [added, ran] = await Promise.allSettled([
      Promise.all([...byJobQueue].map(([jobQueue, jobs]) => this.addJobs(jobQueue, jobs))),
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
    const settled = this.options.jobs.settled?.bind(this.options.jobs)
    if (settled && this.options.config.workers > 0 && byJobQueue.size > 0) {
      await Promise.race([
        Promise.all(
          [...byJobQueue].map(([jobQueue, jobs]) =>
            settled(
              jobQueue,
              jobs.map((j) => j.id),
            ),
          ),
        ),
        this.stopping,
      ])
    }
    if (queue && consumed) {
      await this.queues.markDispatched((event.data as { id: string }).id)
    }
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
    this.observeTriggerLag(event)
    // The bus redelivers an event whose dispatch died: never run a success twice.
    if (await this.succeededBefore(fn, event)) return
    // The slot is for running: the record is waited for outside it (it lingers a few ms for others').
    const { outcome, written } = await slots.run(async () => this.runOnce(fn, event, 'event', 1, 'write'))
    await written
    if (outcome.status === 'succeeded') return
    if (fn.retries > 0) return retryJob(fn, event, { backoffMs: this.options.config.retryBackoffMs })
    await this.deadLetter(fn, event, 'event', 1, outcome, undefined)
    return undefined
  }

  // ---- execute: job → execution ----

  private async execute(job: Job): Promise<void> {
    const data = job.data as FunctionJobData
    let fn: FunctionVersion | undefined
    let event: StratusEvent
    let trigger: TriggerKind
    let queue: string | undefined
    let attempt = job.attempt
    if (data.kind === 'event') {
      // A deleted function's pending jobs do nothing.
      const live = await this.lookup(data.function, true)
      if (!live) return
      fn = live.version === data.version ? live : await this.versionOf(data.function, data.version)
      event = data.event
      trigger = data.trigger
      queue = data.queue
      attempt = job.attempt + (data.firstAttempt ?? 1) - 1
      if (attempt === 1) this.observeTriggerLag(event)
    } else if (data.kind === 'schedule') {
      fn = await this.lookup(data.function, true)
      const t = fn?.triggers[data.index]
      // A schedule left over from an older version (or a deleted function) does nothing.
      if (!fn || t?.type !== 'schedule' || t.cron !== data.cron) return
      event = scheduleEvent(fn.name, job.id, t)
      trigger = 'schedule'
    } else {
      fn = await this.lookup(data.function, true)
      if (!fn) return
      event = data.event
      trigger = data.trigger
      queue = data.queue
    }
    if (!fn) return
    // Idempotency: an event this version already handled successfully is not run again.
    if (await this.succeededBefore(fn, event)) return
    const { outcome, written } = await this.runOnce(fn, event, trigger, attempt, 'write')
    await written
    if (outcome.status === 'succeeded') return
    const message = outcome.error?.message ?? outcome.status
    if (job.attempt < job.attempts) throw new Error(message)
    await this.deadLetter(fn, event, trigger, attempt, outcome, queue)
  }

  /** Whether `fn`'s version already handled `event` successfully (concurrent checks share a query). */
  private succeededBefore(fn: FunctionVersion, event: StratusEvent): Promise<boolean> {
    return this.succeededChecks.add({ name: fn.name, version: fn.version, eventId: event.id })
  }

  /** Commit → handler start, observed on an event's first attempt. */
  private observeTriggerLag(event: StratusEvent): void {
    this.metrics.triggerLag.observe(Math.max(0, Date.now() - Date.parse(event.time)) / 1000)
  }

  private async deadLetter(
    fn: FunctionVersion,
    event: StratusEvent,
    trigger: TriggerKind,
    attempts: number,
    outcome: PoolRun,
    queue: string | undefined,
  ): Promise<void> {
    await this.store.addDeadLetter({
      function: fn.name,
      version: fn.version,
      trigger,
      eventId: event.id,
      event,
      attempts,
      error: { status: outcome.status, ...outcome.error },
      queue: queue ?? null,
    })
    this.metrics.deadLetters.inc({ function: fn.name })
  }

  /**
   * Runs one invocation and records it: `write` hands back the record's write to wait for (`written`),
   * `enqueue` writes it in the background.
   */
  private runOnce(
    fn: FunctionVersion,
    event: object,
    trigger: TriggerKind,
    attempt: number,
    recording: 'write' | 'enqueue',
  ): RunOnce | Promise<RunOnce> {
    const executionId = newEventId()
    const invocation: Invocation = {
      functionName: fn.name,
      version: fn.version,
      executionId,
      deadline: Date.now() + fn.timeoutMs,
      logs: [],
      droppedLogs: 0,
    }
    const ran = this.pool.run(fn, JSON.stringify(event), invocation)
    // A warm inline run answers without a promise: so does this, and invokeHttp after it.
    if (ran instanceof Promise) {
      return ran.then((outcome) =>
        this.recordRun(fn, event, trigger, attempt, recording, executionId, outcome),
      )
    }
    return this.recordRun(fn, event, trigger, attempt, recording, executionId, ran)
  }

  /** Counts `outcome` in the metrics and records its execution. */
  private recordRun(
    fn: FunctionVersion,
    event: object,
    trigger: TriggerKind,
    attempt: number,
    recording: 'write' | 'enqueue',
    executionId: string,
    outcome: PoolRun,
  ): RunOnce {
    this.metrics.executions.inc({ function: fn.name, trigger, status: outcome.status })
    this.metrics.duration.observe({ function: fn.name, trigger }, outcome.durationMs / 1000)
    if (outcome.status !== 'succeeded') this.metrics.errors.inc({ function: fn.name, status: outcome.status })
    this.options.onExecution?.(fn, outcome.status, outcome.durationMs)
    const record: Execution = {
      id: executionId,
      function: fn.name,
      version: fn.version,
      trigger,
      eventId: (event as { id: string }).id,
      status: outcome.status,
      attempt,
      startedAt: outcome.startedAt.toISOString(),
      durationMs: outcome.durationMs,
      coldStart: outcome.coldStart,
      logs: outcome.logs,
      error: outcome.error ?? null,
    }
    if (recording === 'write') return { outcome, record, written: this.recorder.write(record) }
    this.recorder.enqueue(record)
    return { outcome, record }
  }

  /** The live version of `name`; on a miss, asks the database (at most once a second per name unless `force`). */
  private async lookup(name: string, force = false): Promise<FunctionVersion | undefined> {
    const known = this.registry.get(name)
    if (known) return known
    const missedAt = this.misses.get(name)
    if (!force && missedAt !== undefined && Date.now() - missedAt < NEGATIVE_CACHE_MS) return undefined
    const found = await this.registry.refresh(name)
    if (!found) {
      if (this.misses.size > 10_000) this.misses.clear()
      this.misses.set(name, Date.now())
    }
    return found
  }

  /** An older (immutable) version, cached. */
  private async versionOf(name: string, version: number): Promise<FunctionVersion | undefined> {
    const key = `${name}@${version}`
    const cached = this.versionCache.get(key)
    if (cached) return cached
    const found = await this.store.version(name, version)
    if (found) {
      if (this.versionCache.size > 1000) this.versionCache.clear()
      this.versionCache.set(key, found)
    }
    return found
  }

  // ---- changes, schedules, queues, maintenance ----

  private onRegistryChange(name: string, version: FunctionVersion | undefined): void {
    this.misses.delete(name)
    this.pool.retire(name, version?.version)
    if (!version || this.closed) return
    // A new version is warmed up before its first call.
    this.pool
      .prewarm(version)
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error, function: name }, 'functions: prewarm failed'),
      )
    if (this.worker && this.options.config.workers > 0) {
      for (const t of version.triggers) if (t.type === 'queue') this.ensureQueueProcessor(t.queue)
    }
  }

  private ensureQueueProcessor(queue: string): void {
    if (this.queueProcessors.has(queue) || this.closed) return
    const started = this.options.jobs.process(queueJobQueue(queue), (job) => this.execute(job), {
      concurrency: this.options.config.workers,
    })
    started.catch((error: unknown) => {
      this.queueProcessors.delete(queue)
      this.options.logger.error({ err: error, queue }, 'functions: could not start a queue processor')
    })
    this.queueProcessors.set(queue, started)
  }

  /** Makes the job queue's schedules match `name`'s live triggers. */
  private async syncSchedules(name: string, existing?: { id: string }[]): Promise<void> {
    const fn = this.registry.get(name)
    const jobs = this.options.jobs
    const desired = new Map<string, { index: number; cron: string; timezone?: string }>()
    fn?.triggers.forEach((t, index) => {
      if (t.type === 'schedule')
        desired.set(`${name}.${index}`, { index, cron: t.cron, timezone: t.timezone })
    })
    const current = existing ?? (await jobs.schedules(FUNCTIONS_JOB_QUEUE))
    for (const s of current) {
      if (s.id.startsWith(`${name}.`) && !desired.has(s.id))
        await jobs.removeSchedule(FUNCTIONS_JOB_QUEUE, s.id)
    }
    for (const [id, s] of desired) {
      const data: FunctionJobData = {
        kind: 'schedule',
        function: name,
        index: s.index,
        cron: s.cron,
        ...(s.timezone ? { timezone: s.timezone } : {}),
      }
      await jobs.upsertSchedule(
        FUNCTIONS_JOB_QUEUE,
        id,
        { cron: s.cron, ...(s.timezone ? { timezone: s.timezone } : {}) },
        {
          name: `${name}:schedule`,
          data,
          attempts: fn!.retries + 1,
          backoffMs: this.options.config.retryBackoffMs,
        },
      )
    }
  }

  private async syncAllSchedules(): Promise<void> {
    const existing = await this.options.jobs.schedules(FUNCTIONS_JOB_QUEUE)
    const names = new Set([...this.registry.all()].map((f) => f.name))
    for (const s of existing) {
      const name = s.id.split('.')[0]!
      if (!names.has(name)) await this.options.jobs.removeSchedule(FUNCTIONS_JOB_QUEUE, s.id)
    }
    for (const name of names) await this.syncSchedules(name, existing)
  }

  /**
   * Hands messages that arrived while their queue had no consumer to the consumers now live, and, with
   * in-memory jobs, delayed messages falling due (and any whose process died before their executions
   * finished). Messages the relay has not published yet are left to the dispatcher.
   */
  private async sweepQueueBacklog(): Promise<void> {
    const queues = [...this.registry.queues()]
    if (queues.length === 0) return
    // In memory, a delayed message waits in the database until it is almost due (see dispatch).
    const rows = await this.queues.backlog(queues, this.jobsInMemory ? SWEEP_MS : null)
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
        type: QUEUE_EVENT_TYPE,
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

  /** Function jobs live in this process's memory (the local driver): they die with it. */
  private get jobsInMemory(): boolean {
    return this.options.jobs.settled !== undefined
  }

  private async applyRetention(): Promise<void> {
    const hours = this.options.config.executionRetentionHours
    await this.store.deleteExecutionsOlderThan(hours)
    await this.queues.prune(hours)
  }

  private every(ms: number, task: () => Promise<unknown>): void {
    let running = false
    const timer = setInterval(() => {
      if (running || this.closed) return
      running = true
      task()
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error }, 'functions: background task failed'),
        )
        .finally(() => {
          running = false
        })
    }, ms)
    timer.unref()
    this.timers.push(timer)
  }
}

/** Milliseconds until a queue message may be handled (0 when it may now). */
function availableIn(event: StratusEvent): number {
  const at = (event.data as { availableAt?: string } | null)?.availableAt
  if (!at) return 0
  return Math.max(0, Date.parse(at) - Date.now())
}

/** The event a schedule tick hands its function; the tick's job id is the event id. */
function scheduleEvent(
  name: string,
  jobId: string,
  trigger: { cron: string; timezone?: string },
): StratusEvent {
  const tick = /(\d{10,})$/.exec(jobId)?.[1]
  const scheduledAt = tick ? new Date(Number(tick)).toISOString() : new Date().toISOString()
  return {
    specversion: '1.0',
    id: safeJobIdPart(jobId),
    source: EVENT_SOURCE,
    type: 'schedule.tick',
    subject: `functions/${name}`,
    time: scheduledAt,
    datacontenttype: 'application/json',
    data: { cron: trigger.cron, timezone: trigger.timezone ?? 'UTC', scheduledAt },
    sequence: 0,
  }
}

/** The HTTP answer of an invocation's run, or the error its failure maps to. */
function httpAnswer(name: string, fn: FunctionVersion, { outcome, record }: RunOnce): HttpResponseData {
  if (outcome.status === 'timeout') {
    throw new StratusError('functions/timeout', `Function ${name} timed out after ${fn.timeoutMs} ms`, {
      details: { executionId: record.id },
    })
  }
  if (outcome.status === 'failed' && outcome.error?.name === 'ResultTooLargeError') {
    throw new StratusError('functions/result-too-large', outcome.error.message, {
      details: { executionId: record.id },
    })
  }
  if (outcome.status === 'failed') {
    throw new StratusError('functions/failed', `Function ${name} failed`, {
      details: { executionId: record.id },
    })
  }
  return toHttpResponse(outcome, record.id)
}

/** A `{status, headers?, body?}` result is an HTTP response; anything else is the JSON body. */
function toHttpResponse(outcome: PoolRun, executionId: string): HttpResponseData {
  if (!outcome.hasResult) return { status: 204, headers: {}, executionId, json: false }
  const result = outcome.result
  if (result && typeof result === 'object' && !Array.isArray(result)) {
    const r = result as Record<string, unknown>
    const keys = Object.keys(r)
    if (
      typeof r.status === 'number' &&
      Number.isInteger(r.status) &&
      r.status >= 200 &&
      r.status <= 599 &&
      keys.every((k) => k === 'status' || k === 'headers' || k === 'body')
    ) {
      const headers: Record<string, string> = {}
      if (r.headers && typeof r.headers === 'object') {
        for (const [k, v] of Object.entries(r.headers as Record<string, unknown>)) {
          if (typeof v === 'string' || typeof v === 'number') headers[k.toLowerCase()] = String(v)
        }
      }
      return { status: r.status, headers, body: r.body, executionId, json: false }
    }
  }
  return { status: 200, headers: {}, body: result, executionId, json: true }
}
