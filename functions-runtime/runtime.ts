import type { Registry } from 'prom-client'
import type { SecretBox } from '../services/auth/secret-box.ts'
import type { Bus, Subscription } from '../services/bus/bus.ts'
import type { JobQueue } from '../services/bus/jobs.ts'
import type { Config } from '../services/core/config.ts'
import { DEFAULT_CRON_TIMEZONE, nextCronTimes } from '../services/core/cron.ts'
import { EventTypes } from '../services/core/event-catalog.ts'
import type { StratusEvent } from '../services/core/events.ts'
import { newId } from '../services/core/ids.ts'
import type { Logger } from '../services/core/logger.ts'
import type { MaybePromise } from '../services/core/maybe-promise.ts'
import { newSpanId, parseTraceparent, type SpanSink } from '../services/core/trace.ts'
import type { Database } from '../services/db/database.ts'
import type {
  FunctionVersion,
  HttpRequestData,
  HttpRequestMeta,
  HttpResponseData,
  ScheduleView,
} from '../services/functions/model.ts'
import type { HousekeepingTask } from '../services/maintenance/housekeeping.ts'
import type { QueueStats } from '../services/queue/service.ts'
import { QueueStore } from '../services/queue/store.ts'
import { ConsoleStore } from './console-store.ts'
import { DeadLetterStore } from './dead-letter-store.ts'
import { DISPATCHER_SUBSCRIBER, Dispatcher, SWEEP_MS } from './dispatcher.ts'
import { type ExecutionObserver, Executor } from './executor.ts'
import { createHost, type InternalHttp } from './host.ts'
import { HttpInvocations } from './http.ts'
import { FUNCTIONS_JOB_QUEUE, queueJobQueue } from './jobs.ts'
import { FunctionLookup } from './lookup.ts'
import { createFunctionMetrics, type FunctionMetrics } from './metrics.ts'
import { OperatorRuns } from './operator-runs.ts'
import { queueStats } from './queue-stats.ts'
import { Reconciler } from './reconciler.ts'
import { FunctionRegistry } from './registry.ts'
import { ReplayStore } from './replay-store.ts'
import { Replays } from './replays.ts'
import { SandboxPool } from './sandbox/pool.ts'
import { Schedules } from './schedules.ts'
import { FunctionStore } from './store.ts'

export interface RuntimeOptions {
  db: Database
  /** Encrypts functions' env values at rest; unavailable (or absent) = they are stored in plaintext. */
  secrets?: SecretBox
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
  onExecution?: ExecutionObserver
  /** Told when a delivery of a queue message to a consumer finishes for good. Must be cheap. */
  onQueueDelivery?: (queue: string) => void
  /** The span exporter (OpenTelemetry), when one is configured: deliveries and executions are spans. */
  spans?: SpanSink
}

const REGISTRY_POLL_MS = 5000

/**
 * The functions runtime of one process, wired from its parts: the registry of live versions and the
 * warm sandbox pool (every process), HTTP invocations (`http.ts`), and in worker processes the
 * dispatcher (`dispatcher.ts`: bus → trigger match → first attempt or job), the job processors that
 * feed the executor (`executor.ts`: job → execution, retries, dead letters), the schedules
 * (`schedules.ts`) and the queue backlog sweep. Retention is left to housekeeping (`retentionTasks`).
 */
export class FunctionsRuntime {
  readonly store: FunctionStore
  readonly registry: FunctionRegistry
  readonly pool: SandboxPool
  readonly metrics: FunctionMetrics
  /** What the admin console reads beyond the store's lists. */
  readonly console: ConsoleStore
  /** Reruns, schedules run by hand, dead letters retried in bulk. */
  readonly operator: OperatorRuns
  /** Replays (backfills): recorded by any node, run by worker nodes. */
  readonly replays: Replays
  readonly deadLetters: DeadLetterStore
  private readonly options: RuntimeOptions
  /** The queue service's tables: delivery bookkeeping, backlog and retention of queue messages. */
  private readonly queues: QueueStore
  private readonly lookup: FunctionLookup
  private readonly executor: Executor
  private readonly dispatcher: Dispatcher
  private readonly schedules: Schedules
  /** Delivers again what a bus that lost its data never delivered (durable bus and jobs only). */
  private reconciler: Reconciler | undefined
  private readonly http: HttpInvocations
  private readonly subscriptions: Subscription[] = []
  private readonly queueProcessors = new Map<string, Promise<Subscription>>()
  private readonly timers: NodeJS.Timeout[] = []
  private worker = false
  private closed = false

  constructor(options: RuntimeOptions) {
    this.options = options
    const { config, logger } = options
    this.store = new FunctionStore(options.db, options.secrets)
    this.queues = new QueueStore(options.db)
    this.registry = new FunctionRegistry(this.store)
    this.lookup = new FunctionLookup(this.registry, this.store)
    this.metrics = createFunctionMetrics(options.registry)
    const metrics = this.metrics
    this.pool = new SandboxPool({
      host: createHost({
        http: options.http,
        principal: options.principal,
        allowFetch: config.allowFetch,
        maxPayloadBytes: config.maxPayloadBytes,
      }),
      allowFetch: config.allowFetch,
      maxPayloadBytes: config.maxPayloadBytes,
      maxMemoryMb: config.maxMemoryMb,
      logLines: config.logLines,
      logLineLength: config.logLineLength,
      warmPoolSize: config.warmPoolSize,
      idleMs: config.idleMs,
      onColdStart: (spec, ms) => {
        metrics.coldStarts.inc({ function: spec.name })
        metrics.coldStartDuration.observe(ms / 1000)
      },
    })
    const { store, registry, lookup, pool, queues } = this
    this.executor = new Executor({
      store,
      pool,
      lookup,
      metrics,
      logger,
      onExecution: options.onExecution,
      spans: options.spans,
      onQueueDelivery: options.onQueueDelivery,
    })
    this.console = new ConsoleStore(options.db)
    this.deadLetters = new DeadLetterStore(options.db)
    this.operator = new OperatorRuns({
      console: this.console,
      deadLetters: this.deadLetters,
      lookup,
      executor: this.executor,
      jobs: options.jobs,
      retryBackoffMs: config.retryBackoffMs,
    })
    this.replays = new Replays({
      replays: new ReplayStore(options.db),
      store,
      lookup,
      executor: this.executor,
      logger,
      rate: config.replayRate,
      holder: newId(),
    })
    this.dispatcher = new Dispatcher({
      registry,
      lookup,
      store,
      queues,
      executor: this.executor,
      jobs: options.jobs,
      logger,
      config,
    })
    this.schedules = new Schedules({ jobs: options.jobs, registry, retryBackoffMs: config.retryBackoffMs })
    this.http = new HttpInvocations({ registry, lookup, executor: this.executor })
    this.registry.onChange((name, version) => this.onRegistryChange(name, version))
  }

  /**
   * Loads the live functions and follows changes. `worker: true` also subscribes the dispatcher (before
   * the relay starts, so no event is published to nobody), processes jobs, syncs schedules and sweeps.
   */
  async start(options: { worker: boolean }): Promise<void> {
    this.worker = options.worker
    const { bus, jobs, config } = this.options
    await this.registry.reload()
    this.subscriptions.push(
      await bus.listen(async (event) => {
        if (event.type === EventTypes.functionChanged)
          await this.registry.refresh((event.data as { name: string }).name)
      }),
    )
    this.every(REGISTRY_POLL_MS, () => this.registry.reload())
    if (!options.worker) return
    this.subscriptions.push(
      await bus.subscribe(DISPATCHER_SUBSCRIBER, (event) => this.deliver(event), {
        // A dispatch lasts as long as the executions it runs itself (bounded apart, see the dispatcher),
        // and in memory as long as its jobs too (see dispatch): allow many at once.
        concurrency: this.dispatcher.jobsInMemory ? 256 : Math.max(16, 8 * config.workers),
        backoffMs: 200,
        // A published batch is one delivery: far less Redis work per event. The dispatcher is idempotent
        // (a success is never run twice), which is what batched delivery asks of a subscriber.
        batched: true,
      }),
    )
    if (config.workers > 0) {
      this.subscriptions.push(
        await jobs.process(FUNCTIONS_JOB_QUEUE, (job) => this.executor.execute(job), {
          concurrency: config.workers,
        }),
      )
      for (const queue of this.registry.queues()) this.ensureQueueProcessor(queue)
      this.replays.start()
    }
    await this.schedules.syncAll()
    this.every(SWEEP_MS, () => this.dispatcher.sweepQueueBacklog())
    // In memory, the relay's settled watermark already redelivers what a crash lost (see the relay).
    if (bus.capabilities.delivery === 'durable' && jobs.capabilities.delivery === 'durable') {
      this.reconciler = new Reconciler({
        db: this.options.db,
        bus,
        jobs,
        registry: this.registry,
        store: this.store,
        schedules: this.schedules,
        logger: this.options.logger,
        retryBackoffMs: config.retryBackoffMs,
        ...config.reconcile,
      })
      this.reconciler.start()
    }
  }

  /** The dispatcher's bus delivery of `event`; a consumer span of the event when spans are exported. */
  private deliver(event: StratusEvent): Promise<void> {
    const sink = this.options.spans
    const trace = sink && parseTraceparent(event.traceparent)
    if (!trace) return this.dispatcher.dispatch(event)
    const start = Date.now()
    const report = (error: boolean) =>
      sink.add({
        traceId: trace.traceId,
        spanId: newSpanId(),
        parentId: trace.spanId,
        sampled: trace.flags === '01',
        role: 'consumer',
        name: `deliver ${event.type}`,
        start,
        end: Date.now(),
        error,
        attributes: {
          'messaging.system': 'stratus',
          'messaging.operation.type': 'process',
          'messaging.destination.name': event.type,
          'messaging.consumer.group.name': DISPATCHER_SUBSCRIBER,
          'messaging.message.id': event.id,
          'stratus.event.sequence': event.sequence,
        },
      })
    return this.dispatcher.dispatch(event).then(
      () => report(false),
      (error: unknown) => {
        report(true)
        throw error
      },
    )
  }

  /** After this node deployed, rolled back or deleted `name`: refresh, warm up, schedules, backlog. */
  async afterChange(name: string): Promise<void> {
    const live = await this.registry.refresh(name)
    // The new version is warm before the deploy answers.
    if (live) await this.pool.prewarm(live).catch(() => undefined)
    await this.schedules.sync(name)
    if (live && this.worker) {
      this.dispatcher
        .sweepQueueBacklog()
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error, function: name }, 'functions: queue backlog sweep failed'),
        )
    }
  }

  /**
   * Runs an HTTP-triggered invocation synchronously in this process's pool (`meta`: the request as
   * received, which a portable handler's event is built from).
   */
  invokeHttp(name: string, request: HttpRequestData, meta?: HttpRequestMeta): MaybePromise<HttpResponseData> {
    return this.http.invoke(name, request, meta)
  }

  /** Whether `name`'s live version is a portable handler (undefined: this process does not know it yet). */
  isPortable(name: string): boolean | undefined {
    return this.http.portable(name)
  }

  /** Re-runs a dead letter on the live version of its function. */
  redrive(id: string): Promise<{ id: string; function: string; version: number }> {
    return this.dispatcher.redrive(id)
  }

  /**
   * Retention as housekeeping tasks (run on worker nodes): executions (and why operators ran them),
   * queue messages handed to their consumers, and finished replays, older than
   * FUNCTIONS_EXECUTION_RETENTION_HOURS.
   */
  retentionTasks(): HousekeepingTask[] {
    const hours = this.options.config.executionRetentionHours
    return [
      { name: 'function-executions', run: () => this.store.deleteExecutionsOlderThan(hours) },
      { name: 'function-execution-origins', run: () => this.console.pruneOrigins(hours) },
      { name: 'function-replays', run: () => this.replays.prune(hours) },
      { name: 'queue-messages', run: () => this.queues.prune(hours) },
    ]
  }

  /** Every live schedule trigger with its next 5 ticks (as the job queue fires them) and its last run. */
  async scheduleViews(now = Date.now()): Promise<ScheduleView[]> {
    const live = await this.store.liveVersions()
    const lastRuns = await this.console.lastScheduleRuns(
      live.filter((fn) => fn.triggers.some((t) => t.type === 'schedule')).map((fn) => fn.name),
    )
    return live.flatMap((fn) =>
      fn.triggers.flatMap((t, index) => {
        if (t.type !== 'schedule') return []
        const timezone = t.timezone ?? DEFAULT_CRON_TIMEZONE
        return [
          {
            function: fn.name,
            version: fn.version,
            index,
            cron: t.cron,
            timezone,
            nextRuns: nextCronTimes(t.cron, { timezone, after: now, count: 5 }).map((d) => d.toISOString()),
            lastRun: lastRuns.get(fn.name) ?? null,
          },
        ]
      }),
    )
  }

  /** Depth, in-flight and dead counts of every known queue. */
  queueStats(): Promise<QueueStats[]> {
    const { queues, store, registry, metrics } = this
    return queueStats({ queues, store, registry, jobs: this.options.jobs, metrics })
  }

  /** For tests and shutdown: resolves when queued work and execution records handled here are done. */
  async drain(): Promise<void> {
    await this.options.bus.drain()
    await this.options.jobs.drain()
    await this.executor.flushed()
  }

  /** Stops taking work (dispatcher, job processors, timers) after in-flight jobs finish. HTTP still works. */
  async stop(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.dispatcher.stop()
    await this.replays.stop()
    await this.reconciler?.stop()
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
    await this.executor.flushed()
    this.pool.close()
  }

  private onRegistryChange(name: string, version: FunctionVersion | undefined): void {
    this.lookup.forget(name)
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
    const started = this.options.jobs.process(queueJobQueue(queue), (job) => this.executor.execute(job), {
      concurrency: this.options.config.workers,
    })
    started.catch((error: unknown) => {
      this.queueProcessors.delete(queue)
      this.options.logger.error({ err: error, queue }, 'functions: could not start a queue processor')
    })
    this.queueProcessors.set(queue, started)
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
