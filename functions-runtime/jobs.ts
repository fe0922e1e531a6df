import { type JobInit, safeJobIdPart } from '../services/bus/jobs.ts'
import type { StratusEvent } from '../services/core/events.ts'
import type { DeadLetter, FunctionVersion, TriggerKind } from '../services/functions/model.ts'

/** The job queue for event, schedule and redrive executions. */
export const FUNCTIONS_JOB_QUEUE = 'functions'

/** The job queue of a Stratus queue's consumers (one per queue, so its depth is countable). */
export function queueJobQueue(queue: string): string {
  return `queue.${queue}`
}

/** What a function job carries. */
export type FunctionJobData =
  | {
      kind: 'event'
      function: string
      version: number
      trigger: Exclude<TriggerKind, 'http' | 'schedule'>
      event: StratusEvent
      queue?: string
      /** The attempt number of the job's first run (the dispatcher ran attempt 1 itself). Default 1. */
      firstAttempt?: number
    }
  | { kind: 'schedule'; function: string; index: number; cron: string; timezone?: string }
  | {
      kind: 'redrive'
      function: string
      trigger: TriggerKind
      event: StratusEvent
      queue?: string
      deadLetterId: string
    }
  /**
   * An operator's run: a rerun of an earlier execution's event, or a schedule tick run by hand. One
   * attempt on `version`, recorded as `executionId` under `key` (its idempotency key, unique per run).
   */
  | {
      kind: 'manual'
      function: string
      version: number
      trigger: TriggerKind
      event: StratusEvent
      executionId: string
      key: string
    }

/**
 * The job of one event for one function version. Its id, `<function>.<version>.<event id>`, is the
 * delivery's idempotency key in the job queue (function names have no dots, so it parses one way).
 */
export function eventJob(
  fn: FunctionVersion,
  event: StratusEvent,
  trigger: 'event' | 'queue',
  options: { backoffMs: number; delayMs?: number; queue?: string },
): JobInit {
  const data: FunctionJobData = {
    kind: 'event',
    function: fn.name,
    version: fn.version,
    trigger,
    event,
    ...(options.queue ? { queue: options.queue } : {}),
  }
  return {
    id: `${fn.name}.${fn.version}.${safeJobIdPart(event.id)}`,
    name: `${fn.name}:${trigger}`,
    data,
    attempts: fn.retries + 1,
    backoffMs: options.backoffMs,
    ...(options.delayMs && options.delayMs > 0 ? { delayMs: options.delayMs } : {}),
  }
}

/**
 * The job that retries an event the dispatcher ran itself and saw fail (attempt 1): its runs are
 * attempts 2…retries+1, with the same backoff as if the job had made the first attempt (backoffMs
 * before attempt 2, doubling after).
 */
export function retryJob(fn: FunctionVersion, event: StratusEvent, options: { backoffMs: number }): JobInit {
  const job = eventJob(fn, event, 'event', { backoffMs: options.backoffMs * 2, delayMs: options.backoffMs })
  return {
    ...job,
    data: { ...(job.data as FunctionJobData), firstAttempt: 2 },
    attempts: fn.retries,
  }
}

/** The job that runs dead letter `dl` again on `fn` (its function's live version), with its retries. */
export function redriveJob(fn: FunctionVersion, dl: DeadLetter, options: { backoffMs: number }): JobInit {
  const data: FunctionJobData = {
    kind: 'redrive',
    function: fn.name,
    trigger: dl.trigger,
    event: dl.event as StratusEvent,
    deadLetterId: dl.id,
    ...(dl.queue ? { queue: dl.queue } : {}),
  }
  return {
    id: `${fn.name}.${fn.version}.${safeJobIdPart(dl.eventId)}.redrive.${safeJobIdPart(dl.id)}`,
    name: `${fn.name}:redrive`,
    data,
    attempts: fn.retries + 1,
    backoffMs: options.backoffMs,
  }
}
