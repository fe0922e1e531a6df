import { cronProblem } from '../core/cron.ts'
import { StratusError } from '../core/errors.ts'
import {
  canMatch,
  EVENT_CATALOG,
  type EventType,
  eventTypesMatching,
  suggestPattern,
} from '../core/event-catalog.ts'
import type { Trigger } from './model.ts'

/**
 * The event types an event trigger can fire on: those published on the bus and part of the public
 * contract. A schedule tick or an HTTP request is built for one execution and never published, and the
 * platform's own bookkeeping events never reach functions.
 */
export function triggerableTypes(glob: string): EventType[] {
  return eventTypesMatching(glob).filter((type) => {
    const spec = EVENT_CATALOG[type]
    return spec.delivery === 'bus' && !spec.internal
  })
}

const ALL_TRIGGERABLE = triggerableTypes('**')

/**
 * Checks what JSON Schema cannot, and normalises: cron expressions and time zones of schedules; for
 * event triggers, that the event type (a glob) names at least one type a trigger can fire on, and that
 * the subject pattern can match some subject of those types. A trigger that could never fire is a 400
 * `functions/invalid-trigger` whose `details.suggestion` is what was probably meant.
 */
export function checkTrigger(trigger: Trigger, index: number): Trigger {
  if (trigger.type === 'schedule') return checkSchedule(trigger)
  if (trigger.type !== 'event') return trigger
  const types = triggerableTypes(trigger.event)
  if (types.length === 0) {
    const suggestion = suggestEventType(trigger.event)
    throw new StratusError(
      'functions/invalid-trigger',
      `Trigger ${index}: no event type matches ${JSON.stringify(trigger.event)}; did you mean ${JSON.stringify(suggestion)}?`,
      { details: { index, field: 'event', event: trigger.event, suggestion } },
    )
  }
  const subject = trigger.subject
  if (subject !== undefined && !types.some((type) => canMatch(type, subject))) {
    const suggestion = suggestPattern(types[0]!, subject)
    throw new StratusError(
      'functions/invalid-trigger',
      `Trigger ${index}: subject ${JSON.stringify(subject)} never matches a subject of ${types.join(', ')} (shaped ${EVENT_CATALOG[types[0]!].subject}); did you mean ${JSON.stringify(suggestion)}?`,
      { details: { index, field: 'subject', event: trigger.event, subject, suggestion } },
    )
  }
  return trigger
}

/**
 * The event type (or glob) closest to `given`: a one-segment `*` at the end widened to `**` when that
 * matches (`db.*` → `db.**`), else the triggerable type fewest edits away.
 */
export function suggestEventType(given: string): string {
  if (given.endsWith('*') && !given.endsWith('**')) {
    const widened = `${given}*`
    if (triggerableTypes(widened).length > 0) return widened
  }
  let best = ALL_TRIGGERABLE[0]!
  let bestDistance = Number.POSITIVE_INFINITY
  for (const type of ALL_TRIGGERABLE) {
    const d = editDistance(given.toLowerCase(), type)
    if (d < bestDistance) {
      best = type
      bestDistance = d
    }
  }
  return best
}

/** Levenshtein distance (strings here are short: event type names). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    }
    previous = current
  }
  return previous[b.length]!
}

/** Cron expressions (5 fields, or 6 with seconds first, read as services/core/cron.ts does) and IANA time zones. */
function checkSchedule(trigger: Extract<Trigger, { type: 'schedule' }>): Trigger {
  if (trigger.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: trigger.timezone })
    } catch {
      throw new StratusError('request/invalid', `Unknown time zone ${JSON.stringify(trigger.timezone)}`)
    }
  }
  const problem = cronProblem(trigger.cron, trigger.timezone)
  if (problem !== undefined) {
    throw new StratusError(
      'request/invalid',
      `Invalid cron expression ${JSON.stringify(trigger.cron)}: ${problem} (5 fields, or 6 with seconds first)`,
    )
  }
  return {
    type: 'schedule',
    cron: trigger.cron.trim(),
    ...(trigger.timezone ? { timezone: trigger.timezone } : {}),
  }
}
