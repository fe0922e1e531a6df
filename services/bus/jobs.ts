import type { Subscription } from './bus.ts'

/**
 * Job queues: named queues of jobs processed by competing workers, with per-job retries, delays and
 * idempotent ids, plus cron schedules that fire once per tick across the cluster. The functions runtime
 * runs every event, queue and schedule execution through here.
 *
 * Drivers: in-process (memory and timers) and Redis (BullMQ queues and job schedulers), both reading
 * cron expressions as services/core/cron.ts does.
 *
 * Idempotency: `add` is keyed by job id per queue. Adding an id that is pending, or among the queue's
 * kept finished jobs (the driver's dedup window, documented per driver), does nothing.
 * Delivery: at least once. A job whose process died mid-run runs again (Redis: once its lock expires;
 * in-process: the queue dies with the process, so there is nobody left to run it).
 */
export interface JobQueue {
  /** `local` or `redis`, for logs and metrics. */
  readonly driver: string

  /** What the driver can do: callers switch on these, never on which driver it is. */
  readonly capabilities: JobQueueCapabilities

  /** Adds jobs to `queue`. Resolves once they are durably queued (in-process: queued in memory). */
  add(queue: string, jobs: readonly JobInit[]): Promise<void>

  /**
   * Starts processing `queue` in this process with `handler`. A handler that throws is retried per the
   * job's `attempts` and `backoffMs`; after the last attempt the job counts as failed.
   */
  process(queue: string, handler: JobHandler, options?: { concurrency?: number }): Promise<Subscription>

  /**
   * Creates or replaces the schedule `id` on `queue`: on each tick of `cron` (5 fields, or 6 with
   * seconds first) in `timezone` (default UTC), one job `{name, data}` is added, once per tick across
   * every process. Ticks are those `nextCronTimes` (services/core/cron.ts) predicts.
   */
  upsertSchedule(queue: string, id: string, spec: ScheduleSpec, job: ScheduledJob): Promise<void>

  /** Removes the schedule `id` (no-op if absent). */
  removeSchedule(queue: string, id: string): Promise<void>

  /** The schedules of `queue`, damaged ones included (marked `damaged`). */
  schedules(queue: string): Promise<ScheduleInfo[]>

  /**
   * Resolves once none of `ids` on `queue` can be lost any more if this process dies. With
   * `delivery: 'in-memory'`: once each has finished (succeeded, or failed for good), at once for ids not
   * pending; the functions dispatcher waits for it, so the in-process bus counts an event settled only
   * once its executions are done and a kill -9 loses nothing (the relay republishes unsettled events).
   * With `durable`: at once, since `add` stored them outside the process.
   */
  settled(queue: string, ids: readonly string[]): Promise<void>

  /** Job counts of `queue` (in every process, for the Redis driver). */
  counts(queue: string): Promise<JobCounts>

  /**
   * The data of the job next in line on `queue`: the one that has waited longest among those ready to
   * run (not delayed, not running), or undefined when none waits (in every process, for the Redis
   * driver). For the age of a backlog.
   */
  nextWaiting(queue: string): Promise<unknown>

  /** Resolves when the backing service answers. */
  ping(): Promise<void>

  /** Resolves once the queues processed in this process have no job waiting, delayed or running. */
  drain(): Promise<void>

  /** Stops processing (after in-flight handlers finish), stops schedules, closes connections. */
  close(): Promise<void>
}

/** What a job queue driver can do, declared by the driver rather than inferred from the methods it has. */
export interface JobQueueCapabilities {
  /**
   * Where added jobs wait. `in-memory`: in this process, dying with it (callers that must not lose
   * work wait for `settled`, or keep it elsewhere until it is due). `durable`: outside the process
   * (Redis), where a job whose process died runs again.
   */
  readonly delivery: 'in-memory' | 'durable'
}

/** A job to add. */
export interface JobInit {
  /** Idempotency key: 1-200 characters of `[A-Za-z0-9_.~-]` (BullMQ forbids `:` in custom ids). */
  id: string
  /** A label for logs and dashboards. */
  name?: string
  /** JSON-serialisable payload. */
  data: unknown
  /** Total attempts, first included. Default 1. */
  attempts?: number
  /** Delay before the first retry; doubles each retry. Default 1000 ms. */
  backoffMs?: number
  /** Run no earlier than this many ms from now. */
  delayMs?: number
}

/** What a handler receives. */
export interface Job {
  id: string
  name: string
  data: unknown
  /** 1 for the first attempt. */
  attempt: number
  /** Total attempts allowed. */
  attempts: number
}

/** Processes one job; throwing asks for a retry. */
export type JobHandler = (job: Job) => Promise<void>

export interface ScheduleSpec {
  cron: string
  timezone?: string
}

/** The job a schedule adds on each tick; `attempts`/`backoffMs` as in `JobInit`. */
export interface ScheduledJob {
  name: string
  data: unknown
  attempts?: number
  backoffMs?: number
}

export interface ScheduleInfo extends ScheduleSpec {
  id: string
  /**
   * The backing store lost part of this schedule's record (Redis lost some of its keys and not others):
   * it may no longer fire as its cron says. `upsertSchedule` writes it whole again; `removeSchedule`
   * removes what is left.
   */
  damaged?: true
}

export interface JobCounts {
  waiting: number
  active: number
  delayed: number
  failed: number
}

/** Job ids and queue names are keys: keep them to a safe alphabet without `:`. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_.~-]{1,200}$/
export const JOB_QUEUE_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,120}$/

/** Makes any string a valid job id fragment (replaces characters outside the safe alphabet). */
export function safeJobIdPart(value: string): string {
  return value.replace(/[^A-Za-z0-9_.~-]/g, '~')
}
