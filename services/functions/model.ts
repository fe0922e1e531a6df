// The shapes of functions as the admin API and the functions runtime both see them. They live with the
// service so that the service never imports the runtime; the runtime imports them from here.

/** A function's triggers, as deployed (API.md). */
export type Trigger =
  | { type: 'http'; public?: boolean }
  | { type: 'event'; event: string; subject?: string }
  | { type: 'schedule'; cron: string; timezone?: string }
  | { type: 'queue'; queue: string }

/** One immutable deploy of a function. */
export interface FunctionVersion {
  name: string
  version: number
  code: string
  env: Record<string, string>
  timeoutMs: number
  memoryMb: number
  concurrency: number
  retries: number
  triggers: Trigger[]
  createdAt: string
}

/** What a deploy stores (the version number is assigned). */
export type DeployInput = Omit<FunctionVersion, 'name' | 'version' | 'createdAt'>

/** Every version of a function, newest first, and which one is live. */
export interface FunctionHistory {
  liveVersion: number
  createdAt: string
  updatedAt: string
  versions: FunctionVersion[]
}

export type ExecutionStatus = 'succeeded' | 'failed' | 'timeout'
export type TriggerKind = 'http' | 'event' | 'schedule' | 'queue'

/** One `ctx.log` line kept with an execution. */
export interface LogLine {
  level: 'info' | 'warn' | 'error' | 'debug'
  msg: string
  time: string
}

/** An execution (activation) record, as GET …/executions lists it. */
export interface Execution {
  id: string
  function: string
  version: number
  trigger: TriggerKind
  eventId: string
  status: ExecutionStatus
  attempt: number
  startedAt: string
  durationMs: number
  coldStart: boolean
  logs: LogLine[]
  error: { name: string; message: string; stack?: string } | null
  /** The trace it ran in (absent on records from before tracing). */
  traceId?: string
  /** Its own span, and the span that caused it (its event's, or the HTTP request's). */
  spanId?: string
  parentSpanId?: string
}

/** An event whose last attempt failed. */
export interface DeadLetter {
  id: string
  function: string
  version: number
  trigger: TriggerKind
  eventId: string
  event: unknown
  attempts: number
  error: unknown
  queue: string | null
  failedAt: string
}

/** Why deployed code cannot become a runnable function: the engine's message and, if known, where. */
export interface CodeProblem {
  message: string
  /** 1-based line and column, when the engine reported them. */
  line?: number
  column?: number
}

/** An HTTP invocation as the gateway hands it over. */
export interface HttpRequestData {
  method: string
  path: string
  headers: Record<string, unknown>
  query: Record<string, unknown>
  body: unknown
  auth: unknown
}

/** What the gateway sends back for an HTTP invocation. */
export interface HttpResponseData {
  status: number
  headers: Record<string, string>
  /** Sent as JSON when `json`; otherwise a string is sent as is and anything else as JSON. Undefined = no body. */
  body?: unknown
  /** True for a plain result (always JSON), false for a `{status, headers, body}` response. */
  json: boolean
  executionId: string
}
