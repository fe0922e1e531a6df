import { EVENT_SOURCE, type PendingEvent } from '../../services/core/events.ts'
import { newEventId } from '../../services/core/ids.ts'

/**
 * An event of any type and data, as a service would write it to the outbox. The outbox, the relay and
 * the bus carry whatever they are given, and their tests say so with types outside the catalog, which
 * `makeEvent` (typed by the catalog) refuses.
 */
export function anyEvent<T>(init: { type: string; subject: string; data: T; id?: string }): PendingEvent<T> {
  return {
    specversion: '1.0',
    id: init.id ?? newEventId(),
    source: EVENT_SOURCE,
    type: init.type,
    subject: init.subject,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: init.data,
  }
}
