import { AsyncLocalStorage } from 'node:async_hooks'
import { randomFillSync } from 'node:crypto'

/**
 * W3C trace context (`traceparent`), the trace a unit of work runs in, and the spans handed to an
 * exporter. One trace per cause: a request (or a schedule tick) starts one, and everything it causes —
 * outbox events, executions, the writes functions make, queue messages, retries — carries it on.
 *
 * A span id names what caused the next thing: the request span names the events it wrote (their
 * `causationid`), an event's own span (the span id in its `traceparent`) is the parent of the
 * executions it triggered, and an execution's span is the parent of the writes its `ctx` makes.
 */

/** A position in a trace: the trace, the current span, and the W3C flags (`01` = sampled). */
export interface TraceContext {
  readonly traceId: string
  readonly spanId: string
  readonly flags: string
}

/**
 * The trace of the unit of work running now (a request, as the gateway enters it): what `makeEvent`
 * stamps on the events it builds. `wrote` is set once the unit has added events to the outbox, so the
 * gateway keeps a row for requests that caused something and none for the rest.
 */
export interface TraceScope extends TraceContext {
  wrote: boolean
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)
/** A trace id: 32 lowercase hex digits, not all zeros (what the trace API accepts). */
export const TRACE_ID_PATTERN = /^(?!0{32}$)[0-9a-f]{32}$/

/**
 * Parses a `traceparent` header value; undefined for anything invalid (then the caller starts a new
 * trace: a bad header is never an error). Version 00 must be exactly its four fields; a later version
 * may carry more, which is ignored, as W3C asks. Only the sampled flag is kept.
 */
export function parseTraceparent(value: unknown): TraceContext | undefined {
  if (typeof value !== 'string' || value.length < 55 || value.length > 512) return undefined
  const match = TRACEPARENT.exec(value.trim())
  if (!match) return undefined
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ]
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined
  return { traceId, spanId, flags: Number.parseInt(flags, 16) & 1 ? '01' : '00' }
}

/** The `traceparent` value of `context` (version 00). */
export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.flags}`
}

/** Whether `value` is a trace id (32 lowercase hex digits, not all zeros). */
export function isTraceId(value: string): boolean {
  return TRACE_ID_PATTERN.test(value)
}

// Ids come from a pool of random bytes refilled 4 KiB at a time: a random draw per request cost a
// measurable share of a small request's time (see the gateway's request ids).
const POOL_BYTES = 4096
let pool = Buffer.alloc(0)
let offset = 0

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES))
    offset = 0
  }
  const hex = pool.toString('hex', offset, offset + bytes)
  offset += bytes
  return hex
}

/**
 * A new trace id (16 bytes, hex): the epoch second (4 bytes, as AWS X-Ray does), then 12 random bytes.
 * Trace ids are index keys (request spans, outbox events, executions): ids that grow with time land at
 * the end of those indexes rather than all over them.
 */
export function newTraceId(): string {
  return (Math.floor(Date.now() / 1000) >>> 0).toString(16).padStart(8, '0') + randomHex(12)
}

/** A new random span id (8 bytes, hex). */
export function newSpanId(): string {
  const id = randomHex(8)
  return id === ZERO_SPAN ? newSpanId() : id
}

/** A new span under `parent` (same trace and flags), or the root of a new trace when there is none. */
export function childSpan(parent: TraceContext | undefined): TraceContext {
  return parent
    ? { traceId: parent.traceId, spanId: newSpanId(), flags: parent.flags }
    : { traceId: newTraceId(), spanId: newSpanId(), flags: '01' }
}

const scopes = new AsyncLocalStorage<TraceScope>()

/** The trace scope of the work running now, if any. */
export function currentTrace(): TraceScope | undefined {
  return scopes.getStore()
}

/** Runs `fn` (and everything it starts) in `scope`. */
export function runInTrace<R>(scope: TraceScope, fn: () => R): R {
  return scopes.run(scope, fn)
}

/**
 * The distributed-tracing attributes of an event built now: its own span in the current trace
 * (`traceparent`) and the span that caused it (`causationid`); outside any scope, the event starts a
 * trace of its own and has no cause.
 */
export function eventTrace(): { traceparent: string; causationid?: string } {
  const scope = scopes.getStore()
  if (!scope) return { traceparent: formatTraceparent(childSpan(undefined)) }
  return {
    traceparent: `00-${scope.traceId}-${newSpanId()}-${scope.flags}`,
    causationid: scope.spanId,
  }
}

/** Marks the current scope as having written events (see `TraceScope.wrote`). */
export function noteWrite(): void {
  const scope = scopes.getStore()
  if (scope) scope.wrote = true
}

/** What a span is to an exporter (OpenTelemetry's span kinds). */
export type SpanRole = 'server' | 'producer' | 'consumer' | 'internal'

/** A finished span, as the platform hands it to an exporter. Times are epoch milliseconds. */
export interface FinishedSpan {
  traceId: string
  spanId: string
  /** The parent span's id; `remoteParent` when it lives outside this platform (an HTTP caller). */
  parentId?: string
  remoteParent?: boolean
  /** Whether the trace is sampled (W3C flag): an exporter drops unsampled spans. */
  sampled: boolean
  role: SpanRole
  name: string
  start: number
  end: number
  error: boolean
  attributes: Record<string, string | number | boolean>
}

/**
 * Where finished spans go when an exporter is configured (OpenTelemetry, see
 * services/observability/otel.ts). Absent otherwise: callers check for it and build nothing.
 */
export interface SpanSink {
  /** Takes a finished span; must be cheap (it batches and sends in the background). */
  add(span: FinishedSpan): void
}
