import type { IncomingMessage } from 'node:http'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { TRACE_BOUND } from '../../core/logger.ts'
import {
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
  runInTrace,
  type SpanSink,
  type TraceScope,
} from '../../core/trace.ts'

/** A request's place in its trace: its own span, and the caller's span when it sent a `traceparent`. */
export interface RequestTrace extends TraceScope {
  /** The span of whoever called (its `traceparent`): a client's span, or a function execution's. */
  readonly parentId?: string
}

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's trace (set before any hook runs; its id is in every log line of the request). */
    trace: RequestTrace
  }
}

/**
 * A request that wrote events, as the trace API keeps it: `write` when a function's `ctx` made it,
 * `request` otherwise. Times are epoch milliseconds.
 */
export interface RequestSpan {
  traceId: string
  spanId: string
  parentId?: string
  kind: 'request' | 'write'
  /** `METHOD /route/pattern`. */
  name: string
  start: number
  durationMs: number
  statusCode: number
  attributes: { method: string; route?: string; path: string; function?: string }
}

/** Where the gateway's spans go. */
export interface TracingOptions {
  /** Told of each request that wrote events (kept for the trace API). Must be cheap. */
  onWritten?: (span: RequestSpan) => void
  /** The exporter (OpenTelemetry) of every request's span, when one is configured. */
  sink?: SpanSink
}

const TRACE = Symbol('stratus.trace')
type TracedMessage = IncomingMessage & { [TRACE]?: RequestTrace }
/** Longest path kept with a span. */
const MAX_PATH = 512

/** Continues the caller's trace (a valid `traceparent` header) or starts one; never fails. */
function startTrace(header: string | string[] | undefined): RequestTrace {
  // Several traceparent headers are as invalid as a malformed one (W3C): the request starts a trace.
  const parent = typeof header === 'string' ? parseTraceparent(header) : undefined
  return parent
    ? {
        traceId: parent.traceId,
        spanId: newSpanId(),
        flags: parent.flags,
        parentId: parent.spanId,
        wrote: false,
      }
    : { traceId: newTraceId(), spanId: newSpanId(), flags: '01', wrote: false }
}

/** The trace of a raw request, started on first use (fastify's logger factory runs first). */
function traceOf(raw: TracedMessage): RequestTrace {
  let trace = raw[TRACE]
  if (!trace) {
    trace = startTrace(raw.headers.traceparent)
    raw[TRACE] = trace
  }
  return trace
}

/**
 * fastify's `childLoggerFactory`: every request's logger carries its trace id. It is the first code to
 * see a request, on every path (routes, 404s, URLs that do not decode), so the trace starts here.
 */
export function tracedChildLogger(
  this: unknown,
  logger: FastifyBaseLogger,
  bindings: Record<string, unknown>,
  options: object,
  raw: IncomingMessage,
): FastifyBaseLogger {
  bindings.traceId = traceOf(raw as TracedMessage).traceId
  const child = logger.child(bindings, options)
  ;(child as { [TRACE_BOUND]?: boolean })[TRACE_BOUND] = true
  return child
}

/**
 * Sets `traceparent` (this request's span) on a reply that bypassed the hooks (fastify's
 * `frameworkErrors`), so every response carries one.
 */
export function ensureTraceHeader(request: FastifyRequest, reply: FastifyReply): void {
  if (!reply.hasHeader('traceparent')) reply.header('traceparent', formatTraceparent(traceOf(request.raw)))
}

/**
 * W3C trace context at the edge: each request continues the caller's trace or starts one, answers with
 * `traceparent` (its own span), and its handler runs in the trace's scope, so the events it writes carry
 * it (see `makeEvent`). Requests that wrote events are reported to `onWritten`; every request's span
 * goes to the exporter when there is one.
 */
export const tracingPlugin = fp(
  async (app: FastifyInstance, options: TracingOptions) => {
    const { onWritten, sink } = options
    app.decorateRequest('trace', null as unknown as RequestTrace)
    app.addHook('onRequest', (request, reply, done) => {
      const trace = traceOf(request.raw)
      request.trace = trace
      reply.header('traceparent', formatTraceparent(trace))
      done()
    })
    // The handler (and the hooks after this one) run in the trace's scope. Not from onRequest: body
    // parsing resumes outside any async scope, so a scope entered there would be lost by the handler.
    app.addHook('preHandler', (request, _reply, done) => runInTrace(request.trace, done))
    if (!onWritten && !sink) return
    app.addHook('onResponse', (request, reply, done) => {
      const trace = request.trace
      if (trace && (trace.wrote || sink)) report(request, reply, trace, options)
      done()
    })
  },
  { name: 'stratus-tracing' },
)

function report(
  request: FastifyRequest,
  reply: FastifyReply,
  trace: RequestTrace,
  options: TracingOptions,
): void {
  const end = Date.now()
  const durationMs = reply.elapsedTime
  const route = request.routeOptions.url
  const query = request.url.indexOf('?')
  const path = (query < 0 ? request.url : request.url.slice(0, query)).slice(0, MAX_PATH)
  // No route (a 404): the method alone, so span names stay few (OpenTelemetry's HTTP convention).
  const name = route ? `${request.method} ${route}` : request.method
  const statusCode = reply.statusCode
  const fn = request.auth?.role === 'function' ? request.auth.uid.replace(/^function:/, '') : undefined
  if (trace.wrote && options.onWritten) {
    options.onWritten({
      traceId: trace.traceId,
      spanId: trace.spanId,
      ...(trace.parentId ? { parentId: trace.parentId } : {}),
      kind: fn === undefined ? 'request' : 'write',
      name,
      start: end - durationMs,
      durationMs,
      statusCode,
      attributes: {
        method: request.method,
        ...(route ? { route } : {}),
        path,
        ...(fn === undefined ? {} : { function: fn }),
      },
    })
  }
  options.sink?.add({
    traceId: trace.traceId,
    spanId: trace.spanId,
    ...(trace.parentId ? { parentId: trace.parentId, remoteParent: true } : {}),
    sampled: trace.flags === '01',
    role: 'server',
    name,
    start: end - durationMs,
    end,
    error: statusCode >= 500,
    attributes: {
      'http.request.method': request.method,
      ...(route ? { 'http.route': route } : {}),
      'url.path': path,
      'http.response.status_code': statusCode,
      ...(fn === undefined ? {} : { 'faas.name': fn }),
    },
  })
}
