import type { CloudEventV1 } from 'cloudevents'
import type { EventData, EventType } from './event-catalog.ts'
import { newEventId } from './ids.ts'
import { eventTrace } from './trace.ts'

/** The `source` attribute of every event Stratus emits. */
export const EVENT_SOURCE = '/stratus'

/** The subject prefix of a queue publish (`queues/<name>`). */
export const QUEUE_SUBJECT_PREFIX = 'queues/'

/** The CloudEvents 1.0 attributes every Stratus event carries (structured mode, JSON data). */
type EventEnvelope<T> = {
  specversion: '1.0'
  id: string
  source: string
  type: string
  subject: string
  time: string
  datacontenttype: 'application/json'
  data: T
  /**
   * CloudEvents distributed-tracing extension: the W3C trace context of this event's own span. Events
   * written before tracing existed have none.
   */
  traceparent?: string
  /** The span that caused this event (a request, or a function's write); absent for a trace's root. */
  causationid?: string
}

/** An event as a service writes it to the outbox: the relay adds `sequence` when it publishes. */
export type PendingEvent<T = unknown> = EventEnvelope<T>

/**
 * A published platform event: the envelope plus `sequence`, the project-wide, strictly increasing
 * position assigned by the outbox relay (a CloudEvents extension attribute).
 */
export type StratusEvent<T = unknown> = EventEnvelope<T> & { sequence: number }

// Declared field by field (not as `extends CloudEventV1`, whose index signature would erase them
// under Omit/Pick), as type aliases so they stay assignable to it; this line keeps the shape a valid CloudEvent for the `cloudevents` SDK.
export type IsCloudEvent = StratusEvent extends CloudEventV1<unknown> ? true : never
const _isCloudEvent: IsCloudEvent = true
void _isCloudEvent

/**
 * The fields a service chooses; the envelope (id, time, source, specversion) is filled in. `type` is
 * one of the catalog's, and `data` must be of that type's data type.
 */
export interface EventInit<T extends EventType> {
  type: T
  subject: string
  data: EventData<T>
  /** Defaults to a new time-ordered id; pass one to make a retried write idempotent. */
  id?: string
  time?: Date
}

/**
 * Builds the CloudEvents envelope for a change a service is about to commit, in the trace of the work
 * running now (the request that writes it), or as the root of a new trace.
 */
export function makeEvent<T extends EventType>(init: EventInit<T>): PendingEvent<EventData<T>> {
  return {
    specversion: '1.0',
    id: init.id ?? newEventId(),
    source: EVENT_SOURCE,
    type: init.type,
    subject: init.subject,
    time: (init.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    data: init.data,
    ...eventTrace(),
  }
}
