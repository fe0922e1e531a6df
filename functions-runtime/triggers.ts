import { EventTypes } from '../services/core/event-catalog.ts'
import { QUEUE_SUBJECT_PREFIX, type StratusEvent } from '../services/core/events.ts'
import { globMatch } from '../services/core/glob.ts'
import type { Trigger } from '../services/functions/model.ts'

/** The kind of trigger an event fires on a function, or undefined when none of `triggers` matches. */
export function matchEvent(
  triggers: readonly Trigger[],
  event: Pick<StratusEvent, 'type' | 'subject'>,
): 'event' | 'queue' | undefined {
  let matched: 'event' | 'queue' | undefined
  for (const trigger of triggers) {
    if (trigger.type === 'queue') {
      if (
        event.type === EventTypes.queueMessagePublished &&
        event.subject === `${QUEUE_SUBJECT_PREFIX}${trigger.queue}`
      ) {
        return 'queue'
      }
    } else if (trigger.type === 'event') {
      if (
        globMatch(trigger.event, event.type, '.') &&
        (trigger.subject === undefined || globMatch(trigger.subject, event.subject, '/'))
      ) {
        matched = 'event'
      }
    }
  }
  return matched
}

/** The queues a function consumes. */
export function consumedQueues(triggers: readonly Trigger[]): string[] {
  return triggers.flatMap((t) => (t.type === 'queue' ? [t.queue] : []))
}
