import { QUEUE_EVENT_TYPE, QUEUE_SUBJECT_PREFIX, type StratusEvent } from '../services/core/events.ts'
import type { Trigger } from '../services/functions/model.ts'

const cache = new Map<string, RegExp>()

/**
 * A glob over a path made of `separator`-separated segments: `*` matches within one segment, `**` across
 * segments, `?` one character of a segment; everything else is literal.
 */
export function globToRegExp(glob: string, separator: '/' | '.'): RegExp {
  const key = `${separator}${glob}`
  let re = cache.get(key)
  if (re) return re
  const sep = separator === '/' ? '/' : '\\.'
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*'
      i++
    } else if (c === '*') source += `[^${sep}]*`
    else if (c === '?') source += `[^${sep}]`
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  re = new RegExp(`^${source}$`)
  if (cache.size > 10_000) cache.clear()
  cache.set(key, re)
  return re
}

/** True when `value` matches `glob` (see globToRegExp). */
export function globMatch(glob: string, value: string, separator: '/' | '.'): boolean {
  return globToRegExp(glob, separator).test(value)
}

/** The kind of trigger an event fires on a function, or undefined when none of `triggers` matches. */
export function matchEvent(
  triggers: readonly Trigger[],
  event: Pick<StratusEvent, 'type' | 'subject'>,
): 'event' | 'queue' | undefined {
  let matched: 'event' | 'queue' | undefined
  for (const trigger of triggers) {
    if (trigger.type === 'queue') {
      if (event.type === QUEUE_EVENT_TYPE && event.subject === `${QUEUE_SUBJECT_PREFIX}${trigger.queue}`) {
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
