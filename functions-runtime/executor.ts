import type { Job } from '../services/bus/jobs.ts'
import type { StratusEvent } from '../services/core/events.ts'
import { newEventId } from '../services/core/ids.ts'
import type { Logger } from '../services/core/logger.ts'
import { andThen, type MaybePromise } from '../services/core/maybe-promise.ts'
import {
  childSpan,
  formatTraceparent,
  parseTraceparent,
  type SpanSink,
  type TraceContext,
} from '../services/core/trace.ts'
import type {
  Execution,
  ExecutionStatus,
  FunctionVersion,
  HttpRequestMeta,
  TriggerKind,
} from '../services/functions/model.ts'
import { Batcher } from './batcher.ts'
import type { FunctionJobData } from './jobs.ts'
import type { FunctionLookup } from './lookup.ts'
import type { FunctionMetrics } from './metrics.ts'
import { portableEventJson, portableOutcome } from './portable/portable.ts'
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
  /** The span exporter (OpenTelemetry), when one is configured: each execution is a span. */
  spans?: SpanSink
  /** Told when a delivery of a queue message to a consumer finishes for good (success or dead letter). */
  onQueueDelivery?: (queue: string) => void
}

/** How `run` records an execution, when not as usual (a new id, the event's id as its key). */
export interface RunOptions {
  /** The execution's id, chosen beforehand (an operator's run answers with it before it starts). */
  executionId?: string
  /** The idempotency key recorded as the execution's event id, instead of the event's own id. */
  key?: string
  /** An HTTP request's headers and bytes as received, for a portable handler's proxy event. */
  request?: HttpRequestMeta
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
   * `enqueue` writes it in the background. The execution is a span of the event's trace (its
   * `traceparent`: the event's own span, or the HTTP request's), or the root of a new trace (a schedule
   * tick); its `ctx` calls continue that trace. A portable handler (`entry: handler`) gets its
   * trigger's AWS-shaped event instead of the CloudEvent, and its result is read the AWS way (see
   * portable/portable.ts) before the execution is recorded.
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
    const cause = parseTraceparent((event as { traceparent?: unknown }).traceparent)
    const span = childSpan(cause)
    const invocation: Invocation = {
      functionName: fn.name,
      version: fn.version,
      executionId,
      deadline: Date.now() + fn.timeoutMs,
      logs: [],
      droppedLogs: 0,
      traceparent: formatTraceparent(span),
    }
    const portable = fn.entry === 'handler'
    const eventJson = portable
      ? portableEventJson(fn, event, trigger, attempt, executionId, options.request)
      : JSON.stringify(event)
    const ran = this.options.pool.run(fn, eventJson, invocation)
    // A warm inline run answers without a promise: so does this, and invokeHttp after it.
    return andThen(ran, (outcome) =>
      this.record(
        fn,
        event,
        trigger,
        attempt,
        recording,
        executionId,
        portable ? portableOutcome(trigger, event, outcome) : outcome,
        span,
        cause,
        options.key,
      ),
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
    this.options.logger.warn(
      {
        function: fn.name,
        version: fn.version,
        eventId: event.id,
        attempts,
        traceId: parseTraceparent(event.traceparent)?.traceId,
      },
      'functions: last attempt failed; the event is kept as a dead letter',
    )
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
    span: TraceContext,
    cause: TraceContext | undefined,
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
      traceId: span.traceId,
      spanId: span.spanId,
      ...(cause ? { parentSpanId: cause.spanId } : {}),
    }
    const logger = this.options.logger
    if (logger.isLevelEnabled('debug')) {
      logger.debug(
        {
          traceId: span.traceId,
          executionId,
          function: fn.name,
          version: fn.version,
          trigger,
          attempt,
          status: outcome.status,
          durationMs: outcome.durationMs,
        },
        'functions: execution ended',
      )
    }
    if (this.options.spans) this.exportSpan(record, span, cause)
    if (recording === 'write') return { outcome, record, written: this.recorder.write(record) }
    this.recorder.enqueue(record)
    return { outcome, record }
  }

  /** Hands the execution's span to the exporter. */
  private exportSpan(record: Execution, span: TraceContext, cause: TraceContext | undefined): void {
    const start = Date.parse(record.startedAt)
    this.options.spans!.add({
      traceId: span.traceId,
      spanId: span.spanId,
      ...(cause ? { parentId: cause.spanId } : {}),
      sampled: span.flags === '01',
      role: record.trigger === 'event' || record.trigger === 'queue' ? 'consumer' : 'internal',
      name: `function ${record.function}`,
      start,
      end: start + record.durationMs,
      error: record.status !== 'succeeded',
      attributes: {
        'faas.name': record.function,
        'faas.version': String(record.version),
        'faas.invocation_id': record.id,
        'faas.trigger': FAAS_TRIGGER[record.trigger],
        'stratus.execution.status': record.status,
        'stratus.execution.attempt': record.attempt,
        'stratus.event.id': record.eventId,
      },
    })
  }
}

/** OpenTelemetry's `faas.trigger` of each trigger kind. */
const FAAS_TRIGGER: Record<TriggerKind, string> = {
  http: 'http',
  event: 'pubsub',
  queue: 'pubsub',
  schedule: 'timer',
  replay: 'pubsub',
}
