import { randomUUID } from 'node:crypto'
import type { Bus } from '../services/bus/bus.ts'
import type { JobInit, JobQueue } from '../services/bus/jobs.ts'
import { EventTypes } from '../services/core/event-catalog.ts'
import { QUEUE_SUBJECT_PREFIX, type StratusEvent } from '../services/core/events.ts'
import type { Logger } from '../services/core/logger.ts'
import { parseTraceparent } from '../services/core/trace.ts'
import type { Database } from '../services/db/database.ts'
import type { FunctionVersion } from '../services/functions/model.ts'
import { readOutbox } from '../services/outbox/outbox.ts'
import { DISPATCHER_SUBSCRIBER } from './dispatcher.ts'
import { eventJob, FUNCTIONS_JOB_QUEUE, type FunctionJobData, queueJobQueue } from './jobs.ts'
import type { FunctionRegistry } from './registry.ts'
import type { Schedules } from './schedules.ts'
import type { FunctionStore } from './store.ts'
import { matchEvent } from './triggers.ts'

/** project_settings key of the reconciler's watermark: every event up to it is accounted for. */
export const RECONCILED_KEY = 'functions.reconciled'
const LEASE_NAME = 'functions-reconciler'

export interface ReconcilerOptions {
  db: Database
  bus: Bus
  jobs: JobQueue
  registry: FunctionRegistry
  store: FunctionStore
  schedules: Schedules
  logger: Logger
  /** Pass interval (ms); 0 = never runs on its own (`pass` still works). */
  intervalMs: number
  /** How old an event (a queue message: from when it falls due) must be before it is delivered again. */
  graceMs: number
  /** The most outbox events one pass reads. */
  batch: number
  /** The functions' retry backoff (FUNCTIONS_RETRY_BACKOFF_MS): when a failed attempt's retry is due. */
  retryBackoffMs: number
}

/** What one pass did. */
export interface ReconcileReport {
  /** Whether this node held the lease (a pass on another node's watch does nothing). */
  leading: boolean
  /** Events read from the outbox. */
  scanned: number
  /** (function, event) deliveries added again because nothing had finished them. */
  redelivered: number
  /** The watermark after the pass. */
  watermark: number
  /** Whether schedules missing from the job queue were put back. */
  schedulesRestored: boolean
}

/**
 * Makes Postgres, not the bus, the record of what event and queue triggers have finished, so that a bus
 * that loses its data (a Redis restarted without its files, or failed over to an empty replica) loses
 * no execution.
 *
 * A pass, on one worker node at a time (a lease): (1) writes this process's bus registrations again and
 * puts back schedules missing from the job queue; (2) reads outbox events above the watermark, in
 * sequence order, at most `batch`, and only those older than the grace period and below the bus's
 * pending floor (the oldest event the dispatcher subscriber still holds: those are late, not lost);
 * (3) for each (event, live function whose trigger matches it), looks for a succeeded execution or a
 * dead letter, and where there is neither adds the function job again: attempt 1 when no execution was
 * recorded, the next attempt after a failed one. The job id is the delivery's idempotency key
 * (`<function>.<version>.<event>`), so adding it again while the job still waits in the job queue (a
 * retry's backoff, a backlog) changes nothing; the executor never records two successes of one event
 * on one version. (4) The watermark moves to just below the first event it had to deliver again (the
 * next pass checks that one finished), or to the last event read when all were accounted for.
 *
 * Not covered, by design: a function deployed after the event (it did not exist, or another version
 * had it: redeploys are not replays; see `POST …/replay`), and events with no trace context (every
 * event written by this platform has one).
 */
export class Reconciler {
  private readonly options: ReconcilerOptions
  private readonly holder = `${process.pid}-${randomUUID()}`
  private timer: NodeJS.Timeout | undefined
  private running: Promise<unknown> | undefined
  private stopped = false

  constructor(options: ReconcilerOptions) {
    this.options = options
  }

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return
    const tick = () => {
      this.running = this.pass()
        .catch((error: unknown) => {
          if (!this.stopped) this.options.logger.warn({ err: error }, 'functions: reconciler pass failed')
        })
        .finally(() => {
          this.running = undefined
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs).unref()
        })
    }
    this.timer = setTimeout(tick, this.options.intervalMs).unref()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
    await this.options.db
      .query('DELETE FROM leases WHERE name = $1 AND holder = $2', [LEASE_NAME, this.holder])
      .catch(() => undefined)
  }

  /** One pass (see the class comment). Exposed for tests; the timer calls it. */
  async pass(now = Date.now()): Promise<ReconcileReport> {
    const { db, bus, registry } = this.options
    const lease = this.options.intervalMs > 0 ? this.options.intervalMs * 3 : 60_000
    const held = await db.query(
      `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < now()
       RETURNING holder`,
      [LEASE_NAME, this.holder, lease],
    )
    const report: ReconcileReport = {
      leading: held.length === 1,
      scanned: 0,
      redelivered: 0,
      watermark: 0,
      schedulesRestored: false,
    }
    if (!report.leading) return report
    await bus.reassertSubscribers()
    report.schedulesRestored = await this.restoreSchedules()
    const watermark = await this.readWatermark()
    report.watermark = watermark
    const floor = await bus.pendingFloor(DISPATCHER_SUBSCRIBER)
    const events = await readOutbox(db, watermark, this.options.batch)
    const functions = [...registry.all()]
    // The events this pass may judge, in order: old enough, and not still held by the bus.
    const ripe: StratusEvent[] = []
    for (const event of events) {
      if (floor !== null && event.sequence >= floor) break
      if (dueAt(event) > now - this.options.graceMs) break
      ripe.push(event)
    }
    report.scanned = ripe.length
    const candidates = ripe.flatMap((event) =>
      functions.flatMap((fn) => {
        const kind = fn.triggers.length > 0 ? matchEvent(fn.triggers, event) : undefined
        // A version deployed after the event did not see it (redeploys are not replays); an event with
        // no trace context cannot be looked up through the executions' index.
        if (!kind || Date.parse(fn.createdAt) > Date.parse(event.time) || !event.traceparent) return []
        return [{ event, fn, kind }]
      }),
    )
    const progress = await this.progress(candidates.map((c) => c.event))
    const jobs = new Map<string, JobInit[]>()
    // The first event not accounted for yet: the watermark stays below it so the next pass looks again.
    let firstOpen: number | undefined
    for (const { event, fn, kind } of candidates) {
      const state = progress.get(`${fn.name}\n${event.id}`)
      const attempts = state?.attempts ?? 0
      // Done; or every attempt failed, and the dead letter is the executor's to write.
      if (state?.done || attempts >= fn.retries + 1) continue
      firstOpen = Math.min(firstOpen ?? event.sequence, event.sequence)
      // A failed attempt's retry not overdue yet is the job queue's to run.
      if (
        state &&
        state.lastEnd + this.options.retryBackoffMs * 2 ** (attempts - 1) > now - this.options.graceMs
      )
        continue
      const job = this.jobFor(fn, event, kind, attempts)
      const jobQueue = kind === 'queue' ? queueJobQueue(queueOf(event)) : FUNCTIONS_JOB_QUEUE
      jobs.set(jobQueue, [...(jobs.get(jobQueue) ?? []), job])
      report.redelivered++
    }
    for (const [jobQueue, list] of jobs) await this.options.jobs.add(jobQueue, list)
    if (report.redelivered > 0) {
      this.options.logger.warn(
        { redelivered: report.redelivered, fromSequence: firstOpen },
        'functions: reconciler delivered again events no execution finished',
      )
    }
    const last = ripe.at(-1)?.sequence
    const next = firstOpen !== undefined ? firstOpen - 1 : (last ?? watermark)
    if (next > watermark) await this.writeWatermark(next)
    report.watermark = Math.max(watermark, next)
    return report
  }

  /** The job delivering `event` to `fn` again after `attempts` failed ones (the first delivery's id). */
  private jobFor(
    fn: FunctionVersion,
    event: StratusEvent,
    kind: 'event' | 'queue',
    attempts: number,
  ): JobInit {
    const left = fn.retries + 1 - attempts
    const init = eventJob(fn, event, kind, {
      backoffMs: this.options.retryBackoffMs * 2 ** attempts,
      ...(kind === 'queue' ? { queue: queueOf(event) } : {}),
    })
    if (attempts === 0) return init
    return {
      ...init,
      data: { ...(init.data as FunctionJobData), firstAttempt: attempts + 1 },
      attempts: left,
    }
  }

  /**
   * Per (function, event): whether it succeeded or was dead-lettered, how many attempts failed, and when
   * the last one ended.
   */
  private async progress(events: readonly StratusEvent[]): Promise<Map<string, Progress>> {
    const out = new Map<string, Progress>()
    if (events.length === 0) return out
    const keys = [...new Map(events.map((e) => [e.id, e])).values()].flatMap((event) => {
      const trace = parseTraceparent(event.traceparent)
      return trace ? [{ traceId: trace.traceId, eventId: event.id }] : []
    })
    for (const execution of await this.options.store.executionsOfEvents(keys)) {
      if (execution.trigger === 'http') continue
      const key = `${execution.function}\n${execution.eventId}`
      const state = out.get(key) ?? { done: false, attempts: 0, lastEnd: 0 }
      if (execution.status === 'succeeded') state.done = true
      else if (execution.attempt >= state.attempts) {
        state.attempts = execution.attempt
        state.lastEnd = Date.parse(execution.startedAt) + execution.durationMs
      }
      out.set(key, state)
    }
    const dead = await this.options.db.query<{ function_name: string; event_id: string }>(
      'SELECT function_name, event_id FROM function_dead_letters WHERE event_id = ANY($1::text[])',
      [keys.map((k) => k.eventId)],
    )
    for (const row of dead)
      out.set(`${row.function_name}\n${row.event_id}`, { done: true, attempts: 0, lastEnd: 0 })
    return out
  }

  /** Puts back the job queue's schedules when some are missing or damaged (the job queue lost its data). */
  private async restoreSchedules(): Promise<boolean> {
    const wanted = new Set<string>()
    for (const fn of this.options.registry.all()) {
      fn.triggers.forEach((t, index) => {
        if (t.type === 'schedule') wanted.add(`${fn.name}.${index}`)
      })
    }
    if (wanted.size === 0) return false
    const present = new Set(
      (await this.options.jobs.schedules(FUNCTIONS_JOB_QUEUE)).flatMap((s) => (s.damaged ? [] : [s.id])),
    )
    if ([...wanted].every((id) => present.has(id))) return false
    await this.options.schedules.syncAll()
    this.options.logger.warn('functions: reconciler put back schedules the job queue had lost')
    return true
  }

  private async readWatermark(): Promise<number> {
    const [row] = await this.options.db.query<{ value: unknown }>(
      'SELECT value FROM project_settings WHERE key = $1',
      [RECONCILED_KEY],
    )
    if (row) return Number(row.value)
    // First pass ever: start from now, not from the whole history (older events were delivered by the
    // bus before the reconciler existed, or are replays' business).
    const [last] = await this.options.db.query<{ s: number | null }>('SELECT max(sequence) AS s FROM outbox')
    const start = Math.max(0, (last?.s ?? 0) - this.options.batch)
    await this.writeWatermark(start)
    return start
  }

  private async writeWatermark(sequence: number): Promise<void> {
    await this.options.db.query(
      `INSERT INTO project_settings (key, value, updated_at) VALUES ($1, $2::jsonb, now())
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
       WHERE (project_settings.value #>> '{}')::bigint < (EXCLUDED.value #>> '{}')::bigint`,
      [RECONCILED_KEY, JSON.stringify(sequence)],
    )
  }
}

interface Progress {
  done: boolean
  attempts: number
  lastEnd: number
}

/** When an event may first be handled: a delayed queue message's due time, else its own time. */
function dueAt(event: StratusEvent): number {
  const at =
    event.type === EventTypes.queueMessagePublished
      ? (event.data as { availableAt?: string } | null)?.availableAt
      : undefined
  return Date.parse(at ?? event.time)
}

function queueOf(event: StratusEvent): string {
  return event.subject.slice(QUEUE_SUBJECT_PREFIX.length)
}
