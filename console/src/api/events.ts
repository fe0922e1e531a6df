import { api } from './http.ts'

/** An execution an event caused, as the events API lists it. */
export interface CausedExecution {
  id: string
  function: string
  version: number
  status: string
  attempt: number
}

/** A retained event: the CloudEvent with its sequence, trace context and what it caused. */
export interface BusEvent {
  id: string
  type: string
  source: string
  subject: string
  time: string
  sequence: number
  data?: unknown
  traceparent?: string
  causationid?: string
  executions: CausedExecution[]
}

export interface EventQuery {
  type?: string
  subject?: string
  fromSequence?: number
  limit?: number
  cursor?: string
  order?: 'asc' | 'desc'
}

/** `GET /admin/v1/events`: retained events (type and subject as globs), with the executions each caused. */
export function listEvents(
  query: EventQuery,
  signal?: AbortSignal,
): Promise<{ events: BusEvent[]; nextCursor: string | null }> {
  return api('GET', '/admin/v1/events', { query: { ...query }, ...(signal ? { signal } : {}) })
}

/** The trace id of a W3C traceparent (`00-<trace id>-<span id>-<flags>`), if it is one. */
export function traceIdOf(traceparent: string | undefined | null): string | undefined {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '')
  return match?.[1]
}

export type SpanKind = 'request' | 'event' | 'execution' | 'write' | 'message'

export interface Span {
  id: string
  parentId?: string | null
  kind: SpanKind
  name: string
  start: string
  end?: string | null
  status: string
  attributes: Record<string, unknown>
}

export interface Trace {
  traceId: string
  spans: Span[]
}

export function getTrace(traceId: string, signal?: AbortSignal): Promise<Trace> {
  return api('GET', `/admin/v1/traces/${encodeURIComponent(traceId)}`, signal ? { signal } : {})
}
