import { StratusError } from '../core/errors.ts'
import { EventTypes, eventTypesMatching } from '../core/event-catalog.ts'
import type { StratusEvent } from '../core/events.ts'
import { globToRegExp } from '../core/glob.ts'
import { isTraceId, parseTraceparent } from '../core/trace.ts'
import type { Database } from '../db/database.ts'
import type { Execution, ExecutionStatus } from '../functions/model.ts'
import { eventsOfTrace, type LoggedEvent, listEvents } from '../outbox/event-log.ts'
import type { SpanStore, StoredSpan } from './span-store.ts'

/** What the trace and events APIs read of function executions (the functions runtime's records). */
export interface TraceExecutions {
  /** Every execution recorded in a trace. */
  ofTrace(traceId: string): Promise<Execution[]>
  /** The executions of each (trace, event id). */
  ofEvents(events: readonly { traceId: string; eventId: string }[]): Promise<Execution[]>
}

/** What a span stands for. */
export type SpanKind = 'request' | 'event' | 'execution' | 'write' | 'message'

/** One span of `GET /traces/{id}`. Times are ISO-8601. */
export interface TraceSpanView {
  id: string
  parentId?: string
  kind: SpanKind
  name: string
  start: string
  end?: string
  status: string
  attributes: Record<string, unknown>
}

/** An event of `GET /events`: the CloudEvent and the executions it triggered. */
export type EventView = StratusEvent & {
  executions: Array<{
    id: string
    function: string
    version: number
    status: ExecutionStatus
    attempt: number
  }>
}

/** `GET /events`'s query, as the route validated it. */
export interface EventsQuery {
  type?: string
  subject?: string
  fromSequence?: number
  limit?: number
  cursor?: string
  order?: 'asc' | 'desc'
}

const DEFAULT_LIMIT = 100

/**
 * Traces and retained events, rebuilt from what the database already holds: the outbox (events carry
 * `traceparent` and `causationid`), function executions (trace, span and parent span), and the compact
 * rows of requests that wrote events (`trace_spans`). Any node answers for the whole cluster.
 */
export class TracesService {
  private readonly db: Database
  private readonly spans: SpanStore
  private readonly executions: TraceExecutions

  constructor(options: { db: Database; spans: SpanStore; executions: TraceExecutions }) {
    this.db = options.db
    this.spans = options.spans
    this.executions = options.executions
  }

  /**
   * Every span of trace `traceId`, oldest first, forming a tree: a `parentId` always names a span of the
   * answer. A parent the database does not hold (a request span still waiting in another node's batch,
   * or lost in a crash; the request of an HTTP invocation, which keeps no row) is derived from what
   * points at it (`attributes.derived: true`); the caller of a request that sent a `traceparent` is
   * outside the platform, so it is named in `attributes.remoteParentId` instead.
   */
  async trace(traceId: string): Promise<{ traceId: string; spans: TraceSpanView[] }> {
    if (!isTraceId(traceId)) {
      throw new StratusError(
        'request/invalid',
        'A trace id is 32 lowercase hexadecimal digits, not all zeros',
      )
    }
    // This node's own pending request spans go out first, so a trace read right after a request is whole.
    await this.spans.flushed()
    const [stored, events, executions] = await Promise.all([
      this.spans.spansOf(traceId),
      eventsOfTrace(this.db, traceId),
      this.executions.ofTrace(traceId),
    ])
    const spans = [
      ...stored.map(requestSpan),
      ...events.flatMap((e) => {
        const span = eventSpan(e)
        return span ? [span] : []
      }),
      ...executions.map(executionSpan),
    ]
    if (spans.length === 0) {
      throw new StratusError('observability/trace-not-found', `No trace ${traceId} (or it is past retention)`)
    }
    return { traceId, spans: closeTree(spans) }
  }

  /** A page of retained events in sequence order, with the executions each triggered. */
  async events(query: EventsQuery): Promise<{ events: EventView[]; nextCursor: string | null }> {
    const order = query.order ?? 'asc'
    const limit = query.limit ?? DEFAULT_LIMIT
    const types = query.type === undefined ? undefined : eventTypesMatching(query.type)
    if (types?.length === 0) return { events: [], nextCursor: null }
    const page = await listEvents(this.db, {
      types,
      subject: query.subject === undefined ? undefined : subjectFilter(query.subject),
      fromSequence: query.fromSequence,
      afterSequence: query.cursor === undefined ? undefined : Number(query.cursor),
      order,
      limit,
    })
    const keys = page.events.flatMap(({ event }) => {
      const trace = parseTraceparent(event.traceparent)
      return trace ? [{ traceId: trace.traceId, eventId: event.id }] : []
    })
    const byEvent = new Map<string, EventView['executions']>()
    for (const x of await this.executions.ofEvents(keys)) {
      const list = byEvent.get(x.eventId) ?? []
      list.push({ id: x.id, function: x.function, version: x.version, status: x.status, attempt: x.attempt })
      byEvent.set(x.eventId, list)
    }
    const events = page.events.map(({ event }) => ({ ...event, executions: byEvent.get(event.id) ?? [] }))
    const last = events[events.length - 1]
    return { events, nextCursor: page.more && last ? String(last.sequence) : null }
  }

  /** Deletes request spans older than `hours` (the outbox's retention); a housekeeping task. */
  prune(hours: number): Promise<number> {
    return this.spans.prune(hours)
  }
}

/**
 * A subject glob as SQL can test it: the anchored POSIX expression of the glob (the same one triggers
 * use), and its literal prefix, which lets an index narrow the search.
 */
export function subjectFilter(glob: string): { regex: string; prefix: string } {
  const wildcard = glob.search(/[*?]/)
  return { regex: globToRegExp(glob, '/').source, prefix: wildcard < 0 ? glob : glob.slice(0, wildcard) }
}

const iso = (ms: number) => new Date(ms).toISOString()

function requestSpan(s: StoredSpan): TraceSpanView {
  return {
    id: s.spanId,
    ...(s.parentId ? { parentId: s.parentId } : {}),
    kind: s.kind,
    name: s.name,
    start: iso(s.start),
    end: iso(s.start + s.durationMs),
    status: s.statusCode < 400 ? 'ok' : 'error',
    attributes: { ...s.attributes, statusCode: s.statusCode, durationMs: s.durationMs },
  }
}

function eventSpan({ event, publishedAt }: LoggedEvent): TraceSpanView | undefined {
  const trace = parseTraceparent(event.traceparent)
  if (!trace) return undefined
  const message = event.type === EventTypes.queueMessagePublished
  return {
    id: trace.spanId,
    ...(event.causationid ? { parentId: event.causationid } : {}),
    kind: message ? 'message' : 'event',
    name: event.type,
    start: event.time,
    ...(publishedAt ? { end: publishedAt.toISOString() } : {}),
    status: publishedAt ? 'published' : 'pending',
    attributes: {
      id: event.id,
      type: event.type,
      subject: event.subject,
      sequence: event.sequence,
      ...(message ? { queue: event.subject.slice(event.subject.indexOf('/') + 1) } : {}),
    },
  }
}

function executionSpan(x: Execution): TraceSpanView {
  const start = Date.parse(x.startedAt)
  return {
    id: x.spanId ?? x.id,
    ...(x.parentSpanId ? { parentId: x.parentSpanId } : {}),
    kind: 'execution',
    name: x.function,
    start: x.startedAt,
    end: iso(start + x.durationMs),
    status: x.status,
    attributes: {
      executionId: x.id,
      function: x.function,
      version: x.version,
      trigger: x.trigger,
      eventId: x.eventId,
      attempt: x.attempt,
      status: x.status,
      durationMs: x.durationMs,
      coldStart: x.coldStart,
      logs: x.logs,
      error: x.error,
    },
  }
}

/**
 * Makes every `parentId` name a span of the list (see `TracesService.trace`), and sorts by start time.
 * A missing parent of a write is its execution; of anything else, a request.
 */
function closeTree(spans: TraceSpanView[]): TraceSpanView[] {
  const ids = new Set(spans.map((s) => s.id))
  const derived = new Map<string, TraceSpanView>()
  for (const span of spans) {
    const parentId = span.parentId
    if (parentId === undefined || ids.has(parentId)) continue
    if (span.kind === 'request') {
      delete span.parentId
      span.attributes.remoteParentId = parentId
      continue
    }
    const existing = derived.get(parentId)
    if (existing) {
      if (span.start < existing.start) existing.start = span.start
      continue
    }
    const execution = span.kind === 'write'
    const attributes: Record<string, unknown> = { derived: true }
    if (span.kind === 'execution' && span.attributes.trigger === 'http') {
      attributes.function = span.attributes.function
    }
    derived.set(parentId, {
      id: parentId,
      kind: execution ? 'execution' : 'request',
      name: execution ? 'execution' : 'request',
      start: span.start,
      status: 'unknown',
      attributes,
    })
  }
  // Starts are kept to the millisecond, so a parent and its first child often tie: on a tie the
  // shallower span comes first, so a parent is never listed after its child.
  const all = [...derived.values(), ...spans]
  const parentOf = new Map(all.map((s) => [s.id, s.parentId]))
  const depth = (span: TraceSpanView): number => {
    const seen = new Set<string>()
    let d = 0
    for (let p = span.parentId; p !== undefined && parentOf.has(p) && !seen.has(p); p = parentOf.get(p)) {
      seen.add(p)
      d++
    }
    return d
  }
  return all
    .map((span) => ({ span, start: Date.parse(span.start), depth: depth(span) }))
    .sort((a, b) => a.start - b.start || a.depth - b.depth)
    .map(({ span }) => span)
}
