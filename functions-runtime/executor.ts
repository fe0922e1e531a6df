import type { Job } from '../services/bus/jobs.ts'
import type { StratusEvent } from '../services/core/events.ts'
import { newEventId } from '../services/core/ids.ts'
import type { Logger } from '../services/core/logger.ts'
import { andThen, type MaybePromise } from '../services/core/maybe-promise.ts'
import type { Execution, ExecutionStatus, FunctionVersion, TriggerKind } from '../services/functions/model.ts'
import { Batcher } from './batcher.ts'
import type { FunctionJobData } from './jobs.ts'
import type { FunctionLookup } from './lookup.ts'
import type { FunctionMetrics } from './metrics.ts'
import { ExecutionRecorder } from './recorder.ts'
import type { Invocation } from './sandbox/instance.ts'
import type { PoolRun, SandboxPool } from './sandbox/pool.ts'
import { scheduleEvent } from './schedules.ts'
import type { FunctionStore } from './store.ts'

/** Told of every execution (each attempt) once it ends: usage metering. Must be cheap. */
export type ExecutionObserver = (fn: FunctionVersion, status: ExecutionStatus, durationMs: number) => void

export interface ExecutorOptions {
  store: FunctionStore
  pool: SandboxPool
  lookup: FunctionLookup
  metrics: FunctionMetrics
  logger: Logger
  onExecution?: ExecutionObserver
  /** Told when a delivery of a queue message to a consumer finishes for good (success or dead letter). */
  onQueueDelivery?: (queue: string) => void
}

/** How `run` records an execution, when not as usual (a new id, the event's id as its key). */
export interface RunOptions {
  /** The execution's id, chosen beforehand (an operator's run answers with it before it starts). */
  executionId?: string
  /** The idempotency key recorded as the execution's event id, instead of the event's own id. */
  key?: string
}

/** One execution's outcome and record; `written` settles once a `write` record is committed. */
export interface RunOnce {
  outcome: PoolRun
  record: Execution
  written?: Promise<boolean>
}

/**
 * Runs executions: one invocation in the sandbox pool, counted in the metrics and recorded; and the
 * function jobs (event and queue deliveries, schedule ticks, redrives) with their idempotency check,
 * retries and dead letters. What runs, and when, is decided by the dispatcher, the schedules and HTTP.
 */
export class Executor {
  private readonly options: ExecutorOptions
  private readonly recorder: ExecutionRecorder
  /** Concurrent jobs' idempotency checks share one query. */
  private readonly succeededChecks: Batcher<{ name: string; version: number; eventId: string }, boolean>

  constructor(options: ExecutorOptions) {
    this.options = options
    this.recorder = new ExecutionRecorder(options.store, {
      logger: options.logger,
      onDrop: () => options.metrics.droppedRecords.inc(),
    })
    this.succeededChecks = new Batcher((keys) => options.store.succeededAmong(keys))
  }

  /**
   * Runs one invocation and records it: `write` hands back the record's write to wait for (`written`),
   * `enqueue` writes it in the background.
   */
  run(
    fn: FunctionVersion,
    event: object,
    trigger: TriggerKind,
    attempt: number,
    recording: 'write' | 'enqueue',
    options: RunOptions = {},
  ): MaybePromise<RunOnce> {
    const executionId = options.executionId ?? newEventId()
    const invocation: Invocation = {
      functionName: fn.name,
      version: fn.version,
      executionId,
      deadline: Date.now() + fn.timeoutMs,
      logs: [],
      droppedLogs: 0,
    }
    const ran = this.options.pool.run(fn, JSON.stringify(event), invocation)
    // A warm inline run answers without a promise: so does this, and invokeHttp after it.
    return andThen(ran, (outcome) =>
      this.record(fn, event, trigger, attempt, recording, executionId, outcome, options.key),
    )
  }

  /** Runs a function job (the job queues' processor): throws to have the job queue retry it. */
  async execute(job: Job): Promise<void> {
    const data = job.data as FunctionJobData
    const lookup = this.options.lookup
    let fn: FunctionVersion | undefined
    let event: StratusEvent
    let trigger: TriggerKind
    let queue: string | undefined
    let attempt = job.attempt
    if (data.kind === 'event') {
      // A deleted function's pending jobs do nothing.
      const live = await lookup.live(data.function, true)
      if (!live) return
      fn = live.version === data.version ? live : await lookup.version(data.function, data.version)
      event = data.event
      trigger = data.trigger
      queue = data.queue
      attempt = job.attempt + (data.firstAttempt ?? 1) - 1
      if (attempt === 1) this.observeTriggerLag(event)
    } else if (data.kind === 'schedule') {
      fn = await lookup.live(data.function, true)
      const t = fn?.triggers[data.index]
      // A schedule left over from an older version (or a deleted function) does nothing.
      if (!fn || t?.type !== 'schedule' || t.cron !== data.cron) return
      event = scheduleEvent(fn.name, job.id, t)
      trigger = 'schedule'
    } else if (data.kind === 'manual') {
      return this.runManual(data)
    } else {
      fn = await lookup.live(data.function, true)
      if (!fn) return
      event = data.event
      trigger = data.trigger
      queue = data.queue
    }
    if (!fn) return
    // Idempotency: an event this version already handled successfully is not run again.
    if (await this.succeededBefore(fn, event)) return
    const { outcome, written } = await this.run(fn, event, trigger, attempt, 'write')
    await written
    if (outcome.status === 'succeeded') {
      if (queue) this.options.onQueueDelivery?.(queue)
      return
    }
    const message = outcome.error?.message ?? outcome.status
    if (job.attempt < job.attempts) throw new Error(message)
    await this.deadLetter(fn, event, trigger, attempt, outcome, queue)
    if (queue) this.options.onQueueDelivery?.(queue)
  }

  /**
   * An operator's run (rerun, schedule run by hand): one attempt under its own key, so the event's
   * earlier success does not skip it; no retry and no dead letter, the operator sees its execution.
   */
  private async runManual(data: Extract<FunctionJobData, { kind: 'manual' }>): Promise<void> {
    const lookup = this.options.lookup
    const live = await lookup.live(data.function, true)
    if (!live) return
    const fn = live.version === data.version ? live : await lookup.version(data.function, data.version)
    if (!fn) return
    const { written } = await this.run(fn, data.event, data.trigger, 1, 'write', {
      executionId: data.executionId,
      key: data.key,
    })
    await written
  }

  /** Whether `fn`'s version already handled `event` successfully (concurrent checks share a query). */
  succeededBefore(fn: FunctionVersion, event: StratusEvent): Promise<boolean> {
    return this.succeededChecks.add({ name: fn.name, version: fn.version, eventId: event.id })
  }

  /** Commit → handler start, observed on an event's first attempt. */
  observeTriggerLag(event: StratusEvent): void {
    this.options.metrics.triggerLag.observe(Math.max(0, Date.now() - Date.parse(event.time)) / 1000)
  }

  /** Keeps `event` as a dead letter of `fn` after its last attempt failed with `outcome`. */
  async deadLetter(
    fn: FunctionVersion,
    event: StratusEvent,
    trigger: TriggerKind,
    attempts: number,
    outcome: PoolRun,
    queue: string | undefined,
  ): Promise<void> {
    await this.options.store.addDeadLetter({
      function: fn.name,
      version: fn.version,
      trigger,
      eventId: event.id,
      event,
      attempts,
      error: { status: outcome.status, ...outcome.error },
      queue: queue ?? null,
    })
    this.options.metrics.deadLetters.inc({ function: fn.name })
  }

  /** Resolves once every execution record handed over so far is written. */
  flushed(): Promise<void> {
    return this.recorder.flushed()
  }

  /** Counts `outcome` in the metrics and records its execution. */
  private record(
    fn: FunctionVersion,
    event: object,
    trigger: TriggerKind,
    attempt: number,
    recording: 'write' | 'enqueue',
    executionId: string,
    outcome: PoolRun,
    key?: string,
  ): RunOnce {
    const metrics = this.options.metrics
    metrics.executions.inc({ function: fn.name, trigger, status: outcome.status })
    metrics.duration.observe({ function: fn.name, trigger }, outcome.durationMs / 1000)
    if (outcome.status !== 'succeeded') metrics.errors.inc({ function: fn.name, status: outcome.status })
    this.options.onExecution?.(fn, outcome.status, outcome.durationMs)
    const record: Execution = {
      id: executionId,
      function: fn.name,
      version: fn.version,
      trigger,
      eventId: key ?? (event as { id: string }).id,
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
}
