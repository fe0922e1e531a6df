import { globMatch } from '../../../../services/core/glob.ts'
import { shapeCanMatch, suggestPatternForShape } from '../../../../services/core/subject-shape.ts'
import {
  DEFAULT_LIMITS,
  type DeployInput,
  type EventTypeInfo,
  FUNCTION_NAME,
  LIMIT_BOUNDS,
  type Limits,
  type Trigger,
  type VersionConfig,
} from '../../api/functions.ts'

/** What the server shows instead of an environment value it keeps to itself. */
export const ENV_MASK = '••••'

/** A trigger being edited; `key` keeps React's list stable while triggers are added and removed. */
export interface TriggerDraft {
  key: string
  trigger: Trigger
}

/** A variable being edited. `hidden`: the server did not show its value, so it must be entered again. */
export interface EnvRow {
  key: string
  name: string
  value: string
  hidden: boolean
}

/** The limits as typed (strings: a field may be half-typed or empty). */
export type LimitsDraft = Record<keyof Limits, string>

/** Everything a deploy sends, as the editor holds it. */
export interface FunctionDraft {
  code: string
  triggers: TriggerDraft[]
  env: EnvRow[]
  limits: LimitsDraft
}

let counter = 0
/** A key for a new row of a list. */
export function rowKey(): string {
  counter += 1
  return `row-${counter}`
}

/** What a new function starts with: an HTTP handler showing the event, ctx.log and ctx.db. */
export const EXAMPLE_CODE = `// A function is an ES module: its default export runs for each HTTP call, event, tick or message.
// event: a CloudEvent (HTTP calls: type "http.request", data {method, path, headers, query, body, auth})
// ctx:   {functionName, version, executionId, deadline, env, log, db, storage, queue}
export default async (event, ctx) => {
  ctx.log.info('called', event.type, event.subject)

  if (event.type === 'http.request') {
    const name = event.data.body?.name ?? 'world'
    return { greeting: \`Hello, \${name}!\`, version: ctx.version }
  }

  // Event, schedule and queue triggers: keep a record of what happened.
  await ctx.db.collection('audit').add({ type: event.type, subject: event.subject, at: event.time })
}
`

function limitsDraft(limits: Limits): LimitsDraft {
  return {
    timeoutMs: String(limits.timeoutMs),
    memoryMb: String(limits.memoryMb),
    concurrency: String(limits.concurrency),
    retries: String(limits.retries),
  }
}

export function triggerDrafts(triggers: readonly Trigger[]): TriggerDraft[] {
  return triggers.map((trigger) => ({ key: rowKey(), trigger }))
}

/** The draft of a new function. */
export function newDraft(): FunctionDraft {
  return {
    code: EXAMPLE_CODE,
    triggers: triggerDrafts([{ type: 'http', public: false }]),
    env: [],
    limits: limitsDraft(DEFAULT_LIMITS),
  }
}

/** The draft of a deployed version: its code and configuration (masked env values marked hidden). */
export function draftFromVersion(code: string, config: VersionConfig | undefined): FunctionDraft {
  const limits = config
    ? {
        timeoutMs: config.timeoutMs,
        memoryMb: config.memoryMb,
        concurrency: config.concurrency,
        retries: config.retries,
      }
    : DEFAULT_LIMITS
  return {
    code,
    triggers: triggerDrafts(config?.triggers ?? []),
    env: Object.entries(config?.env ?? {}).map(([name, value]) => ({
      key: rowKey(),
      name,
      value: value === ENV_MASK ? '' : value,
      hidden: value === ENV_MASK,
    })),
    limits: limitsDraft(limits),
  }
}

/** The body of `PUT /admin/v1/functions/{name}` (call after `checkDraft` found nothing). */
export function toDeployInput(draft: FunctionDraft): DeployInput {
  return {
    code: draft.code,
    env: Object.fromEntries(draft.env.map((row) => [row.name.trim(), row.value])),
    timeoutMs: Number(draft.limits.timeoutMs),
    memoryMb: Number(draft.limits.memoryMb),
    concurrency: Number(draft.limits.concurrency),
    retries: Number(draft.limits.retries),
    triggers: draft.triggers.map(({ trigger }) => cleanTrigger(trigger)),
  }
}

/** A trigger as the server wants it: optional fields left out when empty. */
function cleanTrigger(trigger: Trigger): Trigger {
  switch (trigger.type) {
    case 'http':
      return { type: 'http', public: trigger.public === true }
    case 'event': {
      const subject = trigger.subject?.trim()
      return { type: 'event', event: trigger.event.trim(), ...(subject ? { subject } : {}) }
    }
    case 'schedule': {
      const timezone = trigger.timezone?.trim()
      return { type: 'schedule', cron: trigger.cron.trim(), ...(timezone ? { timezone } : {}) }
    }
    case 'queue':
      return { type: 'queue', queue: trigger.queue.trim() }
  }
}

/** A problem with one trigger; `field` says which input it belongs to. */
export interface TriggerProblem {
  message: string
  field?: 'event' | 'subject' | 'cron' | 'timezone' | 'queue'
  /** A value that would work (from the server's `details.suggestion`, or the widest pattern). */
  suggestion?: string
}

/** Everything wrong with a draft before it is sent; empty maps mean it may be deployed. */
export interface DraftProblems {
  name?: string
  code?: string
  triggers: Record<number, TriggerProblem>
  env: Record<number, string>
  limits: Partial<Record<keyof Limits, string>>
}

export function hasProblems(problems: DraftProblems): boolean {
  return (
    problems.name !== undefined ||
    problems.code !== undefined ||
    Object.keys(problems.triggers).length > 0 ||
    Object.keys(problems.env).length > 0 ||
    Object.keys(problems.limits).length > 0
  )
}

/** The problems of a function name, or undefined. */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'Give the function a name.'
  if (!FUNCTION_NAME.test(name))
    return 'A name is 1 to 64 letters, digits, hyphens or underscores (it appears in URLs).'
  return undefined
}

/** Time zone names this browser knows (for suggestions; the server judges). */
export function knownTimeZones(): string[] {
  const intl = Intl as { supportedValuesOf?: (key: string) => string[] }
  try {
    return ['UTC', ...(intl.supportedValuesOf?.('timeZone') ?? []).filter((zone) => zone !== 'UTC')]
  } catch {
    return ['UTC']
  }
}

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

const CRON_FIELD = /^[0-9A-Za-z*/,?LW#-]+$/

/** What is wrong with one trigger, judged without the server (event types from the catalog). */
export function triggerProblem(
  trigger: Trigger,
  eventTypes: readonly EventTypeInfo[] | undefined,
): TriggerProblem | undefined {
  switch (trigger.type) {
    case 'http':
      return undefined
    case 'queue':
      if (!/^[A-Za-z0-9_-]{1,100}$/.test(trigger.queue.trim()))
        return { field: 'queue', message: 'A queue is 1 to 100 letters, digits, hyphens or underscores.' }
      return undefined
    case 'schedule': {
      const fields = trigger.cron.trim().split(/\s+/).filter(Boolean)
      if (fields.length !== 5 && fields.length !== 6)
        return {
          field: 'cron',
          message: `A cron expression has 5 fields (minute hour day month weekday), or 6 with seconds first; this one has ${fields.length}.`,
        }
      if (!fields.every((field) => CRON_FIELD.test(field)))
        return { field: 'cron', message: 'A cron field holds digits, names, * / , - ? L W or #.' }
      const zone = trigger.timezone?.trim()
      if (zone && !validTimeZone(zone))
        return {
          field: 'timezone',
          message: `Unknown time zone "${zone}" (an IANA name such as Europe/Paris).`,
        }
      return undefined
    }
    case 'event': {
      const glob = trigger.event.trim()
      if (glob === '') return { field: 'event', message: 'Choose the event type to run on.' }
      if (!eventTypes) return undefined
      const matching = eventTypes.filter((type) => globMatch(glob, type.type, '.'))
      if (matching.length === 0) return { field: 'event', message: `No event type matches "${glob}".` }
      const subject = trigger.subject?.trim()
      if (subject && !matching.some((type) => shapeCanMatch(type.subject, subject))) {
        const first = matching[0]!
        return {
          field: 'subject',
          message: `"${subject}" never matches a subject of ${first.type}, shaped ${first.subject}.`,
          suggestion: suggestPatternForShape(first.subject, subject),
        }
      }
      return undefined
    }
  }
}

/** Every problem of a draft the console can see before sending it. */
export function checkDraft(
  draft: FunctionDraft,
  eventTypes: readonly EventTypeInfo[] | undefined,
  name?: string,
): DraftProblems {
  const problems: DraftProblems = { triggers: {}, env: {}, limits: {} }
  if (name !== undefined) {
    const problem = nameProblem(name)
    if (problem) problems.name = problem
  }
  if (draft.code.trim() === '') problems.code = 'The function has no code.'
  draft.triggers.forEach(({ trigger }, i) => {
    const problem = triggerProblem(trigger, eventTypes)
    if (problem) problems.triggers[i] = problem
  })
  const seen = new Set<string>()
  draft.env.forEach((row, i) => {
    const name = row.name.trim()
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name))
      problems.env[i] = 'A variable name starts with a letter or _, then letters, digits or _.'
    else if (seen.has(name)) problems.env[i] = `${name} is set twice.`
    else if (row.hidden && row.value === '')
      problems.env[i] =
        `The server does not show the value of ${name}: enter it again, or remove the variable.`
    else if (row.value.length > 10_000) problems.env[i] = 'A value is at most 10,000 characters.'
    seen.add(name)
  })
  for (const key of Object.keys(LIMIT_BOUNDS) as (keyof Limits)[]) {
    const { min, max } = LIMIT_BOUNDS[key]
    const text = draft.limits[key].trim()
    const value = Number(text)
    if (text === '' || !Number.isInteger(value) || value < min || value > max)
      problems.limits[key] = `A whole number from ${min.toLocaleString()} to ${max.toLocaleString()}.`
  }
  return problems
}

/** One line per trigger, as the functions list and the versions table summarise them. */
export function triggerSummary(trigger: Trigger): string {
  switch (trigger.type) {
    case 'http':
      return trigger.public ? 'HTTP (public)' : 'HTTP'
    case 'event':
      return `${trigger.event}${trigger.subject ? ` on ${trigger.subject}` : ''}`
    case 'schedule':
      return `cron ${trigger.cron}${trigger.timezone ? ` (${trigger.timezone})` : ''}`
    case 'queue':
      return `queue ${trigger.queue}`
  }
}

/** Whether the draft would deploy something other than `base` (unsaved changes). */
export function draftChanged(draft: FunctionDraft, base: FunctionDraft): boolean {
  const shape = (d: FunctionDraft) =>
    JSON.stringify({
      code: d.code,
      triggers: d.triggers.map((t) => t.trigger),
      env: d.env.map((row) => [row.name, row.value, row.hidden]),
      limits: d.limits,
    })
  return shape(draft) !== shape(base)
}
