import { isUtf8 } from 'node:buffer'
import { type JobInit, type JobQueue, safeJobIdPart } from '../services/bus/jobs.ts'
import { StratusError } from '../services/core/errors.ts'
import { EventTypes } from '../services/core/event-catalog.ts'
import { EVENT_SOURCE, type StratusEvent } from '../services/core/events.ts'
import { newEventId } from '../services/core/ids.ts'
import type {
  EventSource,
  Execution,
  FunctionVersion,
  HttpRequestData,
  RerunResult,
} from '../services/functions/model.ts'
import type { ConsoleStore } from './console-store.ts'
import type { DeadLetterSelection, DeadLetterStore } from './dead-letter-store.ts'
import type { Executor } from './executor.ts'
import { toHttpResponse } from './http.ts'
import { FUNCTIONS_JOB_QUEUE, type FunctionJobData, redriveJob } from './jobs.ts'
import type { FunctionLookup } from './lookup.ts'
import { proxyHttpResponse } from './portable/portable.ts'
import { scheduleEvent } from './schedules.ts'

export interface OperatorRunsOptions {
  console: ConsoleStore
  deadLetters: DeadLetterStore
  lookup: FunctionLookup
  executor: Executor
  jobs: JobQueue
  retryBackoffMs: number
}

/** A body of bytes in a JSON answer: as text when it is UTF-8, else in base64. */
function bytesBody(bytes: Uint8Array): { body: string; isBase64Encoded?: true } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return isUtf8(buffer)
    ? { body: buffer.toString('utf8') }
    : { body: buffer.toString('base64'), isBase64Encoded: true }
}

/** Dead letters retried per round trip of a bulk retry. */
const REDRIVE_BATCH = 500

/**
 * The event id an execution's key derives from: a rerun is keyed `<event id>.rerun.<n>` and a forced
 * replay `<event id>.replay.<replay id>`, so that a success already recorded for the event does not
 * skip them (one success per function, version and key).
 */
export function rootEventId(key: string): string {
  return /^(.+)\.(?:rerun\.\d{1,9}|replay\.[0-9a-f-]{36})$/.exec(key)?.[1] ?? key
}

/** A schedule tick's id: `<function>.<trigger index>.<tick ms>`, or `<function>.<index>.manual.<ms>`. */
function parseTickId(name: string, id: string): { index: number; manual: boolean } | undefined {
  if (!id.startsWith(`${name}.`)) return undefined
  const match = /^(\d{1,4})\.(manual\.)?\d{10,}$/.exec(id.slice(name.length + 1))
  return match ? { index: Number(match[1]), manual: match[2] !== undefined } : undefined
}

/** The tick event of `fn`'s schedule trigger `index` with id `tickId`, marked when run by hand. */
function tickEvent(
  fn: FunctionVersion,
  tickId: string,
  index: number,
  manual: boolean,
): StratusEvent | undefined {
  const trigger = fn.triggers[index]
  if (trigger?.type !== 'schedule') return undefined
  const event = scheduleEvent(fn.name, tickId, trigger)
  return manual ? { ...event, data: { ...(event.data as object), manual: true } } : event
}

/**
 * What operators start by hand: a rerun of an execution's event on the live version, a schedule tick
 * now, and dead letters retried in bulk. Reruns and ticks run once under a key of their own (recorded
 * in `function_execution_origins`), so the event's earlier success does not skip them.
 */
export class OperatorRuns {
  private readonly options: OperatorRunsOptions

  constructor(options: OperatorRunsOptions) {
    this.options = options
  }

  /**
   * The event `execution` ran for, if still known: a schedule tick is rebuilt from its id; any other
   * event is read from the outbox (until retention deletes it), else from a dead letter's copy. An
   * HTTP request is never kept.
   */
  async eventOf(execution: Execution): Promise<{ event: StratusEvent; source: EventSource } | undefined> {
    const root = rootEventId(execution.eventId)
    if (execution.trigger === 'http') return undefined
    if (execution.trigger === 'schedule') {
      const tick = parseTickId(execution.function, root)
      const fn = tick && (await this.options.lookup.version(execution.function, execution.version))
      const event = tick && fn && tickEvent(fn, root, tick.index, tick.manual)
      return event ? { event, source: 'schedule' } : undefined
    }
    const stored = await this.options.console.outboxEvent(root)
    if (stored) return { event: stored, source: 'outbox' }
    const copy = await this.options.console.deadLetterEvent(execution.function, root)
    return copy ? { event: copy, source: 'dead-letter' } : undefined
  }

  /**
   * Runs the event of execution `id` again on its function's live version, as one new execution: an
   * HTTP execution at once in this process, with `request` (HTTP requests are not kept), answering with
   * its outcome; any other as a job, answering with the new execution's id.
   */
  async rerun(id: string, request?: Partial<HttpRequestData>): Promise<RerunResult> {
    const { console, lookup, executor } = this.options
    const execution = await console.execution(id)
    if (!execution) throw new StratusError('functions/not-found', `No execution ${id}`)
    const fn = await lookup.live(execution.function, true)
    if (!fn) throw new StratusError('functions/not-found', `Function ${execution.function} no longer exists`)
    if (execution.trigger === 'http') {
      if (!request) {
        throw new StratusError(
          'request/invalid',
          'An HTTP execution keeps no request: send the request to run again as `request` ({method, path, headers, query, body, auth})',
        )
      }
      const event = httpEvent(fn.name, request)
      const executionId = newEventId()
      await console.addManualOrigin(fn.name, executionId, event.id, 'rerun', id)
      const { outcome, record, written } = await executor.run(fn, event, 'http', 1, 'write', { executionId })
      await written
      const ok = outcome.status === 'succeeded'
      const response = !ok
        ? undefined
        : fn.entry === 'handler'
          ? proxyHttpResponse(outcome, record.id)
          : toHttpResponse(outcome, record.id)
      return {
        queued: false,
        executionId,
        status: outcome.status,
        durationMs: record.durationMs,
        response: response
          ? {
              status: response.status,
              headers: response.headers,
              ...(response.body instanceof Uint8Array
                ? bytesBody(response.body)
                : response.body === undefined
                  ? {}
                  : { body: response.body }),
            }
          : null,
        error: outcome.error ?? null,
      }
    }
    const found = await this.eventOf(execution)
    if (!found) {
      throw new StratusError(
        'functions/event-not-retained',
        `The event of execution ${id} (${rootEventId(execution.eventId)}) is no longer kept (OUTBOX_RETENTION_HOURS)`,
      )
    }
    const executionId = newEventId()
    const key = await console.addRerunOrigin(fn.name, executionId, id, rootEventId(execution.eventId))
    await this.queue(fn, execution.trigger, found.event, executionId, key)
    return { queued: true, executionId }
  }

  /**
   * Runs `name`'s schedule trigger now (the one at `index`, default its first): one execution with
   * trigger `schedule` whose tick event says `manual: true`, recorded as run by hand.
   */
  async runSchedule(name: string, index?: number): Promise<{ executionId: string }> {
    const fn = await this.options.lookup.live(name, true)
    if (!fn) throw new StratusError('functions/not-found', `No function named ${name}`)
    const indexes = fn.triggers.flatMap((t, i) => (t.type === 'schedule' ? [i] : []))
    const chosen = index ?? indexes[0]
    if (chosen === undefined || !indexes.includes(chosen)) {
      throw new StratusError(
        'functions/not-found',
        index === undefined
          ? `Function ${name} has no schedule trigger`
          : `Trigger ${index} of function ${name} is not a schedule`,
      )
    }
    const executionId = newEventId()
    let event: StratusEvent | undefined
    // Two runs asked for in the same millisecond get different ticks (the key is unique).
    for (let at = Date.now(); !event; at++) {
      const candidate = tickEvent(fn, `${name}.${chosen}.manual.${at}`, chosen, true)!
      if (await this.options.console.addManualOrigin(name, executionId, candidate.id, 'manual')) {
        event = candidate
      }
    }
    await this.queue(fn, 'schedule', event, executionId, event.id)
    return { executionId }
  }

  /**
   * Retries the dead letters of `selection` on their functions' live versions, `REDRIVE_BATCH` at a
   * time, at most `max` in one call; says how many were retried and how many still wait.
   */
  async redriveMany(
    selection: DeadLetterSelection,
    max: number,
  ): Promise<{ retried: number; remaining: number }> {
    const { deadLetters, lookup, jobs, retryBackoffMs } = this.options
    let retried = 0
    const orphans: string[] = []
    while (retried < max) {
      const batch = await deadLetters.take(
        { ...selection, exclude: orphans },
        Math.min(REDRIVE_BATCH, max - retried),
      )
      if (batch.length === 0) break
      const queued: JobInit[] = []
      const taken: string[] = []
      for (const dl of batch) {
        const fn = await lookup.live(dl.function, true)
        // Deleting a function deletes its dead letters: only a delete racing this call gets here.
        if (!fn) orphans.push(dl.id)
        else {
          queued.push(redriveJob(fn, dl, { backoffMs: retryBackoffMs }))
          taken.push(dl.id)
        }
      }
      await deadLetters.restore(batch.filter((dl) => !taken.includes(dl.id)).map((dl) => dl.id))
      try {
        await jobs.add(FUNCTIONS_JOB_QUEUE, queued)
      } catch (error) {
        await deadLetters.restore(taken)
        throw error
      }
      retried += queued.length
    }
    return { retried, remaining: await deadLetters.count(selection) }
  }

  /** Queues one operator's run of `event` on `fn`, recorded as `executionId` under `key`. */
  private async queue(
    fn: FunctionVersion,
    trigger: Execution['trigger'],
    event: StratusEvent,
    executionId: string,
    key: string,
  ): Promise<void> {
    const data: FunctionJobData = {
      kind: 'manual',
      function: fn.name,
      version: fn.version,
      trigger,
      event,
      executionId,
      key,
    }
    try {
      await this.options.jobs.add(FUNCTIONS_JOB_QUEUE, [
        {
          id: `${fn.name}.${fn.version}.${safeJobIdPart(key)}`,
          name: `${fn.name}:manual`,
          data,
          attempts: 1,
        },
      ])
    } catch (error) {
      await this.options.console.removeOrigin(executionId)
      throw error
    }
  }
}

/** The `http.request` event of an operator's rerun of an HTTP execution. */
function httpEvent(name: string, request: Partial<HttpRequestData>): StratusEvent {
  return {
    specversion: '1.0',
    id: newEventId(),
    source: EVENT_SOURCE,
    type: EventTypes.httpRequest,
    subject: `functions/${name}`,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: {
      method: request.method ?? 'POST',
      path: request.path ?? '/',
      headers: request.headers ?? {},
      query: request.query ?? {},
      body: request.body ?? null,
      auth: request.auth ?? null,
    },
    sequence: 0,
  }
}
