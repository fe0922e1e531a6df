// The search parameters of /console/functions/$name, so a tab and the executions' filters survive a
// reload and can be linked to (`…/functions/hello?tab=executions&status=failed`). No React here: the
// router imports it into the entry chunk.

export const FUNCTION_TABS = ['code', 'configuration', 'versions', 'executions'] as const
export type FunctionTab = (typeof FUNCTION_TABS)[number]

export const EXECUTION_STATUSES = ['succeeded', 'failed', 'timeout'] as const
export const EXECUTION_TRIGGERS = ['http', 'event', 'schedule', 'queue', 'replay'] as const

export interface FunctionSearch {
  tab?: FunctionTab
  status?: (typeof EXECUTION_STATUSES)[number]
  trigger?: (typeof EXECUTION_TRIGGERS)[number]
  /** ISO-8601 times bounding the executions listed. */
  from?: string
  to?: string
  /** An execution to open in the executions tab. */
  execution?: string
}

function oneOf<T extends string>(values: readonly T[], value: unknown): T | undefined {
  return typeof value === 'string' && (values as readonly string[]).includes(value) ? (value as T) : undefined
}

function isoTime(value: unknown): string | undefined {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined
}

/** Keeps the known parameters with valid values; anything else is dropped, never an error page. */
export function functionSearch(raw: Record<string, unknown>): FunctionSearch {
  const search: FunctionSearch = {}
  const tab = oneOf(FUNCTION_TABS, raw.tab)
  if (tab) search.tab = tab
  const status = oneOf(EXECUTION_STATUSES, raw.status)
  if (status) search.status = status
  const trigger = oneOf(EXECUTION_TRIGGERS, raw.trigger)
  if (trigger) search.trigger = trigger
  const from = isoTime(raw.from)
  if (from) search.from = from
  const to = isoTime(raw.to)
  if (to) search.to = to
  if (typeof raw.execution === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(raw.execution))
    search.execution = raw.execution
  return search
}
