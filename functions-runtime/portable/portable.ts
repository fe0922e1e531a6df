import type {
  FunctionVersion,
  HttpRequestData,
  HttpRequestMeta,
  HttpResponseData,
  TriggerKind,
} from '../../services/functions/model.ts'
import type { PoolRun } from '../sandbox/pool.ts'
import { apiGatewayEvent, type ProxyResponse, readProxyResponse } from './api-gateway.ts'
import { batchFailure, sqsEvent } from './sqs.ts'

// Portable handlers (a module's Lambda-style `handler`, see FunctionEntry): what their events look
// like per trigger, and what their results mean. HTTP speaks API Gateway's REST proxy integration,
// queues speak Lambda's SQS event source; events, schedules and replays hand over the CloudEvent as
// it is, as to a default export.

/** The error of an HTTP execution whose handler returned no valid proxy response (502 to the caller). */
export const MALFORMED_PROXY_RESPONSE = 'MalformedProxyResponseError'
/** The error of a queue execution whose handler reported its message in `batchItemFailures`. */
export const BATCH_ITEM_FAILURE = 'BatchItemFailure'

/** The CloudEvent a trigger hands over, as far as portable events read it. */
interface EventParts {
  id: string
  time: string
  subject: string
  data: unknown
}

/**
 * The event JSON a portable handler gets for `event`, run as attempt `attempt` of execution
 * `executionId`: an API Gateway proxy event on `http` (from `meta` when the request's own headers and
 * bytes are at hand), an SQS batch on `queue`, the CloudEvent itself otherwise.
 */
export function portableEventJson(
  fn: FunctionVersion,
  event: object,
  trigger: TriggerKind,
  attempt: number,
  executionId: string,
  meta?: HttpRequestMeta,
): string {
  const parts = event as EventParts
  if (trigger === 'http') {
    return JSON.stringify(apiGatewayEvent(fn.name, parts as EventParts & { data: HttpRequestData }, meta))
  }
  if (trigger === 'queue') return JSON.stringify(sqsEvent(parts, attempt, executionId))
  return JSON.stringify(event)
}

/**
 * What a portable handler's run means on `trigger`. HTTP: a valid proxy response becomes the result
 * (a ProxyResponse, see proxyHttpResponse); any other result fails the execution with
 * MALFORMED_PROXY_RESPONSE. Queue: a `batchItemFailures` naming the message (or any failure item) fails
 * it with BATCH_ITEM_FAILURE, so it is retried and dead-lettered as a throw would be.
 */
export function portableOutcome(trigger: TriggerKind, event: object, outcome: PoolRun): PoolRun {
  if (outcome.status !== 'succeeded') return outcome
  if (trigger === 'http') {
    const read = readProxyResponse(outcome.hasResult ? outcome.result : undefined)
    if ('problem' in read) {
      return failed(outcome, MALFORMED_PROXY_RESPONSE, `Malformed Lambda proxy response: ${read.problem}`)
    }
    outcome.result = read
    outcome.hasResult = true
    return outcome
  }
  if (trigger === 'queue' && outcome.hasResult) {
    const data = (event as EventParts).data as { id?: unknown } | null
    const messageId = typeof data?.id === 'string' ? data.id : (event as EventParts).id
    const failure = batchFailure(outcome.result, messageId)
    if (failure) return failed(outcome, BATCH_ITEM_FAILURE, failure)
  }
  return outcome
}

function failed(outcome: PoolRun, name: string, message: string): PoolRun {
  return { ...outcome, status: 'failed', hasResult: false, result: undefined, error: { name, message } }
}

/**
 * The HTTP answer of a portable handler's successful run (its result read by portableOutcome). The
 * body goes out as bytes, so that it is sent exactly as the handler gave it with exactly its content
 * type (a string would have the server add a charset to it).
 */
export function proxyHttpResponse(outcome: PoolRun, executionId: string): HttpResponseData {
  const { status, headers, body } = outcome.result as ProxyResponse
  return {
    status,
    headers,
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    executionId,
    json: false,
  }
}
