import { StratusError } from '../services/core/errors.ts'
import { EventTypes } from '../services/core/event-catalog.ts'
import { EVENT_SOURCE } from '../services/core/events.ts'
import { newEventId } from '../services/core/ids.ts'
import { andThen, type MaybePromise } from '../services/core/maybe-promise.ts'
import { currentTrace, formatTraceparent } from '../services/core/trace.ts'
import type {
  FunctionVersion,
  HttpRequestData,
  HttpRequestMeta,
  HttpResponseData,
} from '../services/functions/model.ts'
import type { Executor, RunOnce } from './executor.ts'
import type { FunctionLookup } from './lookup.ts'
import { MALFORMED_PROXY_RESPONSE, proxyHttpResponse } from './portable/portable.ts'
import type { FunctionRegistry } from './registry.ts'
import type { PoolRun } from './sandbox/pool.ts'

export interface HttpInvocationsOptions {
  registry: FunctionRegistry
  lookup: FunctionLookup
  executor: Executor
}

/**
 * HTTP-triggered invocations: run synchronously in this process's pool, their record written in the
 * background, and their outcome mapped to the HTTP answer (or to the error the gateway answers with).
 */
export class HttpInvocations {
  private readonly options: HttpInvocationsOptions

  constructor(options: HttpInvocationsOptions) {
    this.options = options
  }

  /**
   * Runs `name`'s HTTP trigger: without a promise when the function is known and the run settles
   * inline. `meta` (the request as received) is read only for a portable handler.
   */
  invoke(name: string, request: HttpRequestData, meta?: HttpRequestMeta): MaybePromise<HttpResponseData> {
    const fn = this.options.registry.get(name)
    if (!fn) return this.options.lookup.live(name).then((found) => this.invokeOn(name, found, request, meta))
    return this.invokeOn(name, fn, request, meta)
  }

  /** Whether `name`'s live version is a portable handler; undefined when this process does not know it. */
  portable(name: string): boolean | undefined {
    const fn = this.options.registry.get(name)
    return fn === undefined ? undefined : fn.entry === 'handler'
  }

  /** invoke once the function is known. */
  private invokeOn(
    name: string,
    fn: FunctionVersion | undefined,
    request: HttpRequestData,
    meta: HttpRequestMeta | undefined,
  ): MaybePromise<HttpResponseData> {
    const trigger = fn?.triggers.find((t) => t.type === 'http')
    if (!fn || !trigger || trigger.type !== 'http') {
      throw new StratusError('functions/not-found', `No function named ${name} with an HTTP trigger`)
    }
    if (!trigger.public && !request.auth) {
      throw new StratusError('auth/unauthenticated', `Function ${name} needs a signed-in caller`)
    }
    // Never published, so it has no span of its own: it carries the calling request's, which is the
    // parent of the execution's span.
    const trace = currentTrace()
    const event = {
      specversion: '1.0',
      id: newEventId(),
      source: EVENT_SOURCE,
      type: EventTypes.httpRequest,
      subject: `functions/${name}`,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: request,
      ...(trace ? { traceparent: formatTraceparent(trace) } : {}),
    }
    const options = meta && fn.entry === 'handler' ? { request: meta } : undefined
    return andThen(this.options.executor.run(fn, event, 'http', 1, 'enqueue', options), (done) =>
      httpAnswer(name, fn, done),
    )
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
  if (outcome.status === 'failed' && outcome.error?.name === MALFORMED_PROXY_RESPONSE) {
    throw new StratusError('functions/malformed-response', `Function ${name}: ${outcome.error.message}`, {
      details: { executionId: record.id },
    })
  }
  if (outcome.status === 'failed') {
    throw new StratusError('functions/failed', `Function ${name} failed`, {
      details: { executionId: record.id },
    })
  }
  return fn.entry === 'handler' ? proxyHttpResponse(outcome, record.id) : toHttpResponse(outcome, record.id)
}

/** A `{status, headers?, body?}` result is an HTTP response; anything else is the JSON body. */
export function toHttpResponse(outcome: PoolRun, executionId: string): HttpResponseData {
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
