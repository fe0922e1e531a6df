// The shapes of functions as the admin API and the functions runtime both see them. They live with the
// service so that the service never imports the runtime; the runtime imports them from here.

/** A function's triggers, as deployed (API.md). */
export type Trigger =
  | { type: 'http'; public?: boolean }
  | { type: 'event'; event: string; subject?: string }
  | { type: 'schedule'; cron: string; timezone?: string }
  | { type: 'queue'; queue: string }

/**
 * Which export of the module runs, decided once per version at deploy: `default` is Stratus's
 * `export default async (event, ctx) => result`; `handler` is a portable, Lambda-style
 * `export const handler = async (event, context) => result` (a module with a named `handler` and no
 * default export), which gets API Gateway and SQS shaped events on HTTP and queue triggers.
 */
export type FunctionEntry = 'default' | 'handler'

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
  /** Which export runs (versions from before portable handlers are `default`). */
  entry: FunctionEntry
  createdAt: string
  /** Who deployed it: an admin's email, or `service` (the service key); absent for older versions. */
  deployedBy?: string
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
/** What started an execution: a trigger, or a replay (backfill) of retained events. */
export type TriggerKind = 'http' | 'event' | 'schedule' | 'queue' | 'replay'

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

/**
 * What only a portable handler's event needs of an HTTP request beyond {@link HttpRequestData} (whose
 * shape is the `http.request` event's data, kept as it is). Absent for a rerun, whose request is given
 * by an operator: the event is then built from the request data alone.
 */
export interface HttpRequestMeta {
  /** The client's address (behind a trusted proxy, the forwarded one). */
  sourceIp: string
  /** Header names as the client spelled them and values one by one, alternating (Node's `rawHeaders`). */
  rawHeaders: readonly string[]
  /** The request's URL path and query, as received (`/functions/v1/name/sub?x=1`). */
  url: string
  /** `HTTP/1.1`, `HTTP/2.0`. */
  protocol: string
  /** The body's bytes as received; undefined when they were not kept (the body is then rebuilt). */
  body?: Uint8Array
}

/** What the gateway sends back for an HTTP invocation. */
export interface HttpResponseData {
  status: number
  /** A header with several values (`set-cookie`) is sent once per value. */
  headers: Record<string, string | string[]>
  /**
   * Sent as JSON when `json`; otherwise bytes and a string are sent as they are and anything else as
   * JSON. Undefined = no body.
   */
  body?: unknown
  /** True for a plain result (always JSON), false for a `{status, headers, body}` response. */
  json: boolean
  executionId: string
}

/** A version as the versions list shows it (no code, no env). */
export interface VersionSummary {
  version: number
  createdAt: string
  deployedBy?: string
  /** The code's size in bytes (UTF-8). */
  codeSize: number
  triggers: Trigger[]
  live: boolean
}

/** Why an execution ran besides its trigger firing (absent: its trigger fired). */
export interface ExecutionOrigin {
  /** `rerun`: an operator ran an earlier execution's event again; `manual`: a schedule run by hand. */
  kind: 'rerun' | 'manual'
  /** For a rerun, the execution it repeats. */
  sourceExecutionId?: string
}

/** Where the event of an execution was found (GET /admin/v1/executions/{id}). */
export type EventSource = 'outbox' | 'dead-letter' | 'schedule'

/** What a replay runs over: sequences and/or event times, inclusive. */
export interface ReplayRange {
  fromSequence?: number
  fromTime?: string
  toSequence?: number
  toTime?: string
}

export type ReplayStatus = 'running' | 'done' | 'cancelled' | 'failed'

/** A replay's progress, as GET …/replays/{id} shows it. */
export interface ReplayView {
  id: string
  function: string
  version: number
  status: ReplayStatus
  force: boolean
  fromSequence: number
  toSequence: number
  fromTime: string | null
  toTime: string | null
  /** Matching events in the range when the replay was asked for. */
  total: number
  /** Events run (whatever their outcome). */
  processed: number
  /** Events not run: this version had already handled them successfully. */
  skipped: number
  /** Events run whose execution failed or timed out (counted in `processed` too). */
  failed: number
  error: string | null
  createdAt: string
  finishedAt: string | null
}

/** What POST /admin/v1/executions/{id}/rerun answers. */
export type RerunResult =
  /** Queued (event, queue, schedule and replay executions): the new execution's id. */
  | { queued: true; executionId: string }
  /** Run at once (HTTP executions), with its outcome. */
  | {
      queued: false
      executionId: string
      status: ExecutionStatus
      durationMs: number
      /**
       * The HTTP answer a caller would have had (when it succeeded); a body of bytes that is not UTF-8
       * text is given in base64 with `isBase64Encoded`.
       */
      response: {
        status: number
        headers: Record<string, string | string[]>
        body?: unknown
        isBase64Encoded?: boolean
      } | null
      error: { name: string; message: string; stack?: string } | null
    }

/** A schedule trigger with its next ticks and its last run (GET /admin/v1/schedules). */
export interface ScheduleView {
  function: string
  version: number
  /** The trigger's position in the version's triggers. */
  index: number
  cron: string
  timezone: string
  /** The next 5 ticks, ISO times. */
  nextRuns: string[]
  /** The function's newest execution started by a schedule (a tick or a run by hand). */
  lastRun: { at: string; executionId: string; status: ExecutionStatus } | null
}
