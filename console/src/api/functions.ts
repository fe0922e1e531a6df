import { ApiError, api } from './http.ts'
import { metricSeries } from './observability.ts'

/** A function's triggers, as deployed (API.md). */
export type Trigger =
  | { type: 'http'; public?: boolean }
  | { type: 'event'; event: string; subject?: string }
  | { type: 'schedule'; cron: string; timezone?: string }
  | { type: 'queue'; queue: string }

export type TriggerType = Trigger['type']

export interface Limits {
  timeoutMs: number
  memoryMb: number
  concurrency: number
  retries: number
}

/** What the server applies when a deploy leaves a limit out (docs/functions.md). */
export const DEFAULT_LIMITS: Limits = { timeoutMs: 10_000, memoryMb: 128, concurrency: 10, retries: 2 }

/** The bounds of the deploy schema (services/functions/routes/admin-deploy.ts). */
export const LIMIT_BOUNDS: Record<keyof Limits, { min: number; max: number }> = {
  timeoutMs: { min: 10, max: 900_000 },
  memoryMb: { min: 8, max: 4096 },
  concurrency: { min: 1, max: 1000 },
  retries: { min: 0, max: 20 },
}

/** Function names (they appear in URLs, job ids and metric labels). */
export const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/

/** One row of `GET /admin/v1/functions`: the live version of each function. */
export interface FunctionSummary extends Partial<Limits> {
  name: string
  version: number
  triggers: Trigger[]
  updatedAt?: string
}

/** A version inside `GET /admin/v1/functions/{name}` (env values may be masked by the server). */
export interface VersionConfig extends Limits {
  version: number
  createdAt: string
  triggers: Trigger[]
  env: Record<string, string>
}

/** `GET /admin/v1/functions/{name}`: the live version's code, and every version's configuration. */
export interface FunctionDetail {
  name: string
  version: number
  code: string
  createdAt?: string
  updatedAt?: string
  versions: VersionConfig[]
}

/** A row of `GET …/versions` (no code, no env). */
export interface VersionSummary {
  version: number
  createdAt: string
  deployedBy?: string
  codeSize?: number
  triggers: Trigger[]
  live: boolean
}

/** `GET …/versions/{version}`: one version in full (env values masked). */
export interface VersionDetail {
  name: string
  version: number
  live: boolean
  createdAt: string
  deployedBy?: string
  code: string
  codeSize?: number
  env: Record<string, string>
  triggers: Trigger[]
  limits: Limits
  envChanges?: { comparedTo: number; added: string[]; removed: string[]; changed: string[] }
}

export type ExecutionStatus = 'succeeded' | 'failed' | 'timeout'
export type ExecutionTrigger = 'http' | 'event' | 'schedule' | 'queue' | 'replay'

export interface LogLine {
  level: string
  msg: string
  time: string
}

/** An execution (one attempt) as `GET …/executions` lists it. */
export interface Execution {
  id: string
  version: number
  trigger: ExecutionTrigger
  eventId: string
  status: ExecutionStatus
  attempt: number
  startedAt: string
  durationMs: number
  coldStart?: boolean
  logs: LogLine[]
  error: { name?: string; message?: string; stack?: string } | null
  origin?: { kind: 'rerun' | 'manual'; sourceExecutionId?: string } | null
  /** The trace it belongs to, when tracing recorded one. */
  traceId?: string
}

/** `GET /admin/v1/executions/{id}`: an execution with its function and the event it ran for. */
export interface ExecutionDetail extends Execution {
  function: string
  event: Record<string, unknown> | null
  eventSource: 'outbox' | 'dead-letter' | 'schedule' | null
}

export interface ExecutionFilter {
  status?: ExecutionStatus | undefined
  trigger?: ExecutionTrigger | undefined
  /** ISO-8601 times. */
  from?: string | undefined
  to?: string | undefined
  limit?: number
  cursor?: string | undefined
}

export interface ExecutionPage {
  executions: Execution[]
  nextCursor: string | null
}

/** `POST /admin/v1/executions/{id}/rerun`: queued (202) or, for HTTP, run at once (200). */
export type RerunResult =
  | { queued: true; executionId: string }
  | {
      queued: false
      executionId: string
      status: ExecutionStatus
      durationMs: number
      response: { status: number; headers?: Record<string, string>; body?: unknown } | null
      error: { name?: string; message?: string; stack?: string } | null
    }

/** A schedule trigger of a live function (`GET /admin/v1/schedules`). */
export interface ScheduleView {
  function: string
  version: number
  /** The trigger's position among the version's triggers (absent on older servers: the first). */
  index?: number
  cron: string
  timezone: string
  /** The next 5 ticks, ISO times. */
  nextRuns: string[]
  lastRun: { at: string; executionId: string; status: ExecutionStatus } | null
}

/** An event type a trigger can name (`GET /admin/v1/event-types`). */
export interface EventTypeInfo {
  type: string
  /** Shape of its subjects: `{name}` one segment, `{name...}` one or more. */
  subject: string
  description: string
  example?: unknown
}

/** What a deploy sends (`PUT /admin/v1/functions/{name}`). */
export interface DeployInput extends Limits {
  code: string
  env: Record<string, string>
  triggers: Trigger[]
}

const fn = (name: string) => `/admin/v1/functions/${encodeURIComponent(name)}`
const opts = (signal?: AbortSignal) => (signal ? { signal } : {})

export async function listFunctions(signal?: AbortSignal): Promise<FunctionSummary[]> {
  const { functions } = await api<{ functions: FunctionSummary[] }>(
    'GET',
    '/admin/v1/functions',
    opts(signal),
  )
  return functions
}

export function getFunction(name: string, signal?: AbortSignal): Promise<FunctionDetail> {
  return api('GET', fn(name), opts(signal))
}

export function deployFunction(name: string, input: DeployInput): Promise<{ name: string; version: number }> {
  return api('PUT', fn(name), { body: input })
}

export function rollbackFunction(name: string, version: number): Promise<{ name: string; version: number }> {
  return api('POST', `${fn(name)}/rollback`, { body: { version } })
}

export function deleteFunction(name: string): Promise<void> {
  return api('DELETE', fn(name))
}

/**
 * A function's versions, newest first. Servers without `GET …/versions` answer 404
 * `request/not-found` (not `functions/not-found`): the list is then made from `GET …/{name}`.
 */
export async function listVersions(name: string, signal?: AbortSignal): Promise<VersionSummary[]> {
  try {
    const { versions } = await api<{ versions: VersionSummary[] }>('GET', `${fn(name)}/versions`, {
      query: { limit: 1000 },
      ...opts(signal),
    })
    return versions
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'request/not-found')) throw error
    const detail = await getFunction(name, signal)
    return [...detail.versions]
      .sort((a, b) => b.version - a.version)
      .map((v) => ({
        version: v.version,
        createdAt: v.createdAt,
        triggers: v.triggers,
        live: v.version === detail.version,
      }))
  }
}

export function getVersion(name: string, version: number, compareTo?: number, signal?: AbortSignal) {
  return api<VersionDetail>('GET', `${fn(name)}/versions/${version}`, {
    query: { compareTo },
    ...opts(signal),
  })
}

export function listExecutions(name: string, filter: ExecutionFilter, signal?: AbortSignal) {
  return api<ExecutionPage>('GET', `${fn(name)}/executions`, {
    query: { ...filter },
    ...opts(signal),
  })
}

export function getExecution(id: string, signal?: AbortSignal): Promise<ExecutionDetail> {
  return api('GET', `/admin/v1/executions/${encodeURIComponent(id)}`, opts(signal))
}

/** The request an HTTP execution is run again with (the server keeps none). */
export interface RerunRequest {
  method: string
  path: string
  headers?: Record<string, string>
  body?: unknown
}

export async function rerunExecution(id: string, request?: RerunRequest): Promise<RerunResult> {
  const answer = await api<Omit<Extract<RerunResult, { queued: false }>, 'queued'> | { executionId: string }>(
    'POST',
    `/admin/v1/executions/${encodeURIComponent(id)}/rerun`,
    { body: request ? { request } : {} },
  )
  return 'status' in answer ? { queued: false, ...answer } : { queued: true, executionId: answer.executionId }
}

export async function listSchedules(signal?: AbortSignal): Promise<ScheduleView[]> {
  const { schedules } = await api<{ schedules: ScheduleView[] }>('GET', '/admin/v1/schedules', opts(signal))
  return schedules
}

export function runSchedule(name: string, index?: number): Promise<{ executionId: string }> {
  return api('POST', `/admin/v1/schedules/${encodeURIComponent(name)}/run`, {
    body: index === undefined ? {} : { index },
  })
}

/** API.md's events table: what the triggers form offers when the server has no `GET /event-types`. */
export const FALLBACK_EVENT_TYPES: readonly EventTypeInfo[] = [
  { type: 'auth.user.created', subject: 'users/{uid}', description: 'A user signed up.' },
  { type: 'auth.user.updated', subject: 'users/{uid}', description: 'A user changed.' },
  { type: 'auth.user.deleted', subject: 'users/{uid}', description: 'A user was deleted.' },
  {
    type: 'db.document.created',
    subject: 'collections/{collection}/documents/{id}',
    description: 'A document was created.',
  },
  {
    type: 'db.document.updated',
    subject: 'collections/{collection}/documents/{id}',
    description: 'A document was replaced or merged.',
  },
  {
    type: 'db.document.deleted',
    subject: 'collections/{collection}/documents/{id}',
    description: 'A document was deleted.',
  },
  {
    type: 'storage.object.created',
    subject: 'buckets/{bucket}/objects/{key...}',
    description: 'An object was stored.',
  },
  {
    type: 'storage.object.deleted',
    subject: 'buckets/{bucket}/objects/{key...}',
    description: 'An object was deleted.',
  },
  { type: 'queue.message.published', subject: 'queues/{queue}', description: 'A message was published.' },
]

interface EventTypesAnswer {
  types?: (EventTypeInfo & { triggerable?: boolean })[]
  eventTypes?: (EventTypeInfo & { triggerable?: boolean })[]
}

/** The event types a trigger can fire on; API.md's table when the server has no catalog route. */
export async function listEventTypes(signal?: AbortSignal): Promise<EventTypeInfo[]> {
  try {
    const answer = await api<EventTypesAnswer>('GET', '/admin/v1/event-types', opts(signal))
    const types = answer.types ?? answer.eventTypes ?? []
    return types.filter((t) => t.triggerable !== false)
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return [...FALLBACK_EVENT_TYPES]
    throw error
  }
}

/** Calls and failures of each function over the last hour (per-minute rollups, summed). */
export interface FunctionActivity {
  calls: number
  failures: number
}

export async function functionActivity(signal?: AbortSignal): Promise<Map<string, FunctionActivity>> {
  const answer = await metricSeries({ metric: 'function_executions', groupBy: 'function,status' }, signal)
  const activity = new Map<string, FunctionActivity>()
  for (const series of answer.series) {
    const name = series.labels.function
    if (!name) continue
    const total = series.points.reduce((sum, [, v]) => sum + v, 0)
    const entry = activity.get(name) ?? { calls: 0, failures: 0 }
    entry.calls += total
    if (series.labels.status !== 'succeeded') entry.failures += total
    activity.set(name, entry)
  }
  return activity
}
