import { readFileSync } from 'node:fs'
import ivm from 'isolated-vm'
import { andThen, type MaybePromise } from '../../services/core/maybe-promise.ts'
import { escapeRegExp } from '../../services/core/regexp.ts'
import type { FunctionEntry, LogLine } from '../../services/functions/model.ts'
import { functionArn } from '../portable/identity.ts'

/** The script every isolate runs before the function's module (see bootstrap.js). */
const BOOTSTRAP_SOURCE = readFileSync(new URL('./bootstrap.js', import.meta.url), 'utf8')

/** What a sandbox needs to know about the function version it runs. */
export interface VersionSpec {
  name: string
  version: number
  code: string
  env: Record<string, string>
  timeoutMs: number
  memoryMb: number
  concurrency: number
  /**
   * Which export runs, as the version's deploy decided it; absent while a deploy validates the code
   * (the instance then decides: the default export, else a `handler`, see `entry`).
   */
  entry?: FunctionEntry
}

/** The invocation an isolate is running: what host calls made from inside it are attributed to. */
export interface Invocation {
  functionName: string
  version: number
  executionId: string
  /** Epoch ms by which the invocation must finish. */
  deadline: number
  logs: LogLine[]
  droppedLogs: number
  /** The execution's own trace context: ctx calls send it as their `traceparent`. */
  traceparent?: string
}

/**
 * The answer of a host call: a value, or `json` (a JSON text handed to the isolate as it is, to be
 * parsed there rather than on the host's thread), and optional bytes. Errors are `{code, message, status?}`.
 */
export interface HostAnswer {
  value?: unknown
  json?: string
  bytes?: Uint8Array
}

/**
 * Serves the capabilities a function reaches through `ctx` and `fetch` (see runtime/host.ts). `body`
 * is the call's body as the function gave it: bytes, or a string (JSON bodies are serialised inside
 * the isolate and passed on as text).
 */
export type HostCallHandler = (
  op: string,
  payload: Record<string, unknown>,
  body: Uint8Array | string | undefined,
  invocation: Invocation,
) => Promise<HostAnswer>

/** An error the host hands back into the isolate as a StratusError there. */
export class HostCallError extends Error {
  readonly code: string
  readonly status?: number
  readonly details?: unknown
  constructor(code: string, message: string, status?: number, details?: unknown) {
    super(message)
    this.code = code
    this.status = status
    this.details = details
  }
}

/** Code that cannot become a runnable function: a syntax error, an import, a top-level throw… */
export class CodeError extends Error {
  override name = 'CodeError'
  /** 1-based line and column, when the engine reported them. */
  readonly line?: number
  readonly column?: number
  constructor(message: string, position?: { line: number; column: number }) {
    super(message)
    this.line = position?.line
    this.column = position?.column
  }
}

export interface InstanceOptions {
  host: HostCallHandler
  allowFetch: boolean
  logLines: number
  logLineLength: number
  /**
   * Most bytes that cross the sandbox's boundary in one piece: a result, a ctx call's payload, an
   * answer (FUNCTIONS_MAX_PAYLOAD_BYTES). Nothing larger is copied out of the isolate or parsed here.
   */
  maxPayloadBytes: number
  /** The most memory an isolate may have, whatever its version asks (FUNCTIONS_MAX_MEMORY_MB). */
  maxMemoryMb: number
}

/** How one invocation ended. */
export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'timeout'
  /** The returned value (JSON), when `status` is succeeded and the function returned something. */
  result?: unknown
  hasResult: boolean
  error?: { name: string; message: string; stack?: string }
  logs: LogLine[]
  startedAt: Date
  durationMs: number
}

/** How an inline run went (see SandboxInstance.run); the pool uses it to keep or drop inline runs. */
export type InlineReport =
  /** Settled on the host's thread within INLINE_CHEAP_MS of CPU time. */
  | 'fast'
  /** Settled on the host's thread, but used more than INLINE_CHEAP_MS of CPU time. */
  | 'slow'
  /** Did not settle on the host's thread (it awaited the host): it finished on isolated-vm's threads. */
  | 'async'
  /** Ran past INLINE_SLICE_MS and was stopped before it could touch anything: run it again, threaded. */
  | 'sliced'
  /** Stopped like `sliced`, but it had used little CPU: the host's thread was descheduled, not busy. */
  | 'preempted'

/** What `SandboxInstance.run` returns: the outcome, and for an inline run how it went. */
export interface InstanceRun extends RunOutcome {
  inline?: InlineReport
}

/** How a run ended, before the instance adds its logs and timing (a fresh object each time). */
type Outcome = Omit<RunOutcome, 'logs' | 'startedAt' | 'durationMs'>

/** What an inline run hands back: the bootstrap's raw result (undefined when stopped) and how it went. */
interface InlineSettled {
  raw: unknown
  report: InlineReport
}

/** Module evaluation (top-level code) gets at most this long. */
const EVALUATE_TIMEOUT_MS = 5000
/**
 * The longest an inline run may hold the host's thread (the event loop of the API or worker), in wall
 * time (the only clock isolated-vm's timeout has). Past it, the run is stopped and started again on
 * isolated-vm's threads; nothing outside the isolate has seen it.
 */
export const INLINE_SLICE_MS = 20
/** An inline run using more CPU than this is "slow": code that costs this much is better run threaded. */
export const INLINE_CHEAP_MS = 2
const LEVELS = new Set(['info', 'warn', 'error', 'debug'])

/**
 * One V8 isolate running one function version: its own heap (capped at `memoryMb`), its own context,
 * the module evaluated once. It runs one invocation at a time. It reaches nothing of the host but what
 * `options.host` serves; after a timeout, a memory overrun or any engine failure it is disposed and
 * never used again (`usable` turns false).
 */
export class SandboxInstance {
  readonly spec: VersionSpec
  lastUsed = Date.now()
  private readonly isolate: ivm.Isolate
  private readonly options: InstanceOptions
  private invokeRef: ivm.Reference | undefined
  private startRef: ivm.Reference | undefined
  private settledRef: ivm.Reference | undefined
  private waitRef: ivm.Reference | undefined
  private current: Invocation | undefined
  private timedOut = false
  private deadlineTimer: NodeJS.Timeout | undefined
  /** Invocations started here, numbering inline runs so that a result is never taken for another's. */
  private seq = 0
  private onFinish: ((seq: number, out: unknown) => void) | undefined
  /** Whether the code ever called the host (ctx, fetch, timers): see `inlineCapable`. */
  private calledHost = false
  /** The export this instance runs: `spec.entry`, or what loading the module decided. */
  private chosenEntry: FunctionEntry = 'default'

  private constructor(spec: VersionSpec, options: InstanceOptions) {
    this.spec = spec
    this.options = options
    // isolated-vm's floor is 8 MB. A version deployed through a node allowing more is held to this one's cap.
    this.isolate = new ivm.Isolate({ memoryLimit: Math.max(8, Math.min(spec.memoryMb, options.maxMemoryMb)) })
  }

  /** Builds an instance; throws CodeError when the module cannot run. */
  static async create(spec: VersionSpec, options: InstanceOptions): Promise<SandboxInstance> {
    const instance = new SandboxInstance(spec, options)
    try {
      await instance.load()
      return instance
    } catch (error) {
      instance.dispose()
      throw error
    }
  }

  /** The export this instance runs (`spec.entry` when the version has one). */
  get entry(): FunctionEntry {
    return this.chosenEntry
  }

  /** False once disposed (timeout, memory limit, engine failure, or retired by the pool). */
  get usable(): boolean {
    return !this.isolate.isDisposed
  }

  /**
   * Whether an inline run is safe: the isolate can be busy on one of isolated-vm's threads only while
   * it handles a host answer (a ctx call, a timer), possibly after its invocation ended. Entering it
   * from the host's thread then would block the event loop until it is done, so an instance that ever
   * called the host runs threaded from then on.
   */
  get inlineCapable(): boolean {
    return !this.calledHost && this.usable
  }

  private async load(): Promise<void> {
    const context = await this.isolate.createContext()
    const jail = context.global
    await jail.set('__stratus_host', new ivm.Reference(this.hostCall))
    await jail.set('__stratus_log', new ivm.Callback(this.logCall, { ignored: true }))
    // Ignored like the log sink, so that an inline run's result is queued behind its log lines.
    await jail.set('__stratus_finish', new ivm.Callback(this.finishCall, { ignored: true }))
    await jail.set('__stratus_fetch', this.options.allowFetch)
    const bootstrap = await this.isolate.compileScript(BOOTSTRAP_SOURCE, { filename: 'stratus:bootstrap' })
    const api = (await bootstrap.run(context, {
      reference: true,
      timeout: EVALUATE_TIMEOUT_MS,
    })) as ivm.Reference
    const setHandler = (await api.get('setHandler', { reference: true })) as ivm.Reference
    // On this thread (no hand-off): the bootstrap's own code, before any of the function's is loaded.
    const configure = api.getSync('configure', { reference: true }) as ivm.Reference
    const limits = {
      logLines: this.options.logLines,
      logLineLength: this.options.logLineLength,
      maxPayloadBytes: this.options.maxPayloadBytes,
    }
    configure.applySync(
      undefined,
      [
        this.spec.name,
        this.spec.version,
        JSON.stringify(this.spec.env),
        JSON.stringify(limits),
        this.spec.memoryMb,
        functionArn(this.spec.name, this.spec.version),
      ],
      { timeout: EVALUATE_TIMEOUT_MS },
    )
    this.invokeRef = (await api.get('invoke', { reference: true })) as ivm.Reference
    this.startRef = (await api.get('start', { reference: true })) as ivm.Reference
    this.settledRef = (await api.get('settled', { reference: true })) as ivm.Reference
    this.waitRef = (await api.get('wait', { reference: true })) as ivm.Reference

    const filename = `${this.spec.name}.js`
    let module: ivm.Module
    try {
      module = await this.isolate.compileModule(this.spec.code, { filename })
    } catch (error) {
      throw codeError(error, 'The code does not compile')
    }
    try {
      await module.instantiate(context, (specifier) => {
        throw new Error(
          `imports are not available in functions (import of "${specifier}"): bundle dependencies into the module`,
        )
      })
    } catch (error) {
      throw codeError(error, 'The module cannot be linked')
    }
    try {
      await module.evaluate({ timeout: Math.min(EVALUATE_TIMEOUT_MS, this.spec.timeoutMs) })
    } catch (error) {
      throw codeError(error, 'The module threw while loading', this.isolate.isDisposed, filename)
    }
    try {
      // The namespace object itself: the bootstrap picks the export (see its setHandler).
      const entry = await setHandler.apply(undefined, [module.namespace.derefInto(), this.spec.entry], {
        timeout: EVALUATE_TIMEOUT_MS,
        result: { copy: true },
      })
      this.chosenEntry = entry === 'handler' ? 'handler' : 'default'
    } catch (error) {
      throw codeError(error, 'The module has no function to run')
    }
  }

  /**
   * Runs one invocation: `eventJson` is the CloudEvent, `invocation` carries the identity, deadline and
   * the log buffer. Never throws: every failure becomes an outcome.
   *
   * Threaded (the default), the call crosses to one of isolated-vm's threads and back, which costs
   * about ten times a no-op function's own run. `inline` (when `inlineCapable`) runs it on the host's
   * thread instead, for at most INLINE_SLICE_MS: an invocation that settles in that time costs little;
   * one that awaits the host goes on threaded; one that computes longer is stopped and reported
   * `sliced` (the instance is disposed; the caller runs it again threaded on a new one). Stopping it is
   * safe because everything it asked of the host (ctx calls, logs) is only queued on the host's event
   * loop while the host's thread is inside the isolate, and is refused once the invocation is over.
   */
  run(eventJson: string, invocation: Invocation, inline = false): MaybePromise<InstanceRun> {
    const startedAt = new Date()
    const start = performance.now()
    this.current = invocation
    this.seq++
    if (!inline || !this.inlineCapable) return this.runThreaded(eventJson, invocation, startedAt, start)
    // Without a promise when it settles here (most warm calls): each await costs a turn of the loop.
    let ran: MaybePromise<InlineSettled>
    try {
      ran = this.runInline(eventJson, invocation)
    } catch (error) {
      return this.finish(this.failure(error), undefined, invocation, startedAt, start)
    }
    return andThen(
      ran,
      (settled) => this.finish(this.outcomeOf(settled.raw), settled.report, invocation, startedAt, start),
      (error: unknown) => this.finish(this.failure(error), undefined, invocation, startedAt, start),
    )
  }

  private async runThreaded(
    eventJson: string,
    invocation: Invocation,
    startedAt: Date,
    start: number,
  ): Promise<InstanceRun> {
    let outcome: Outcome
    try {
      this.armDeadline(invocation)
      const raw = await this.invokeRef!.apply(
        undefined,
        [eventJson, invocation.executionId, invocation.deadline],
        {
          arguments: { copy: true },
          result: { promise: true, copy: true },
          timeout: Math.max(1, invocation.deadline - Date.now()),
        },
      )
      outcome = this.outcomeOf(raw)
    } catch (error) {
      outcome = this.failure(error)
    }
    return this.finish(outcome, undefined, invocation, startedAt, start)
  }

  /** Ends the invocation here and assembles its InstanceRun (taking over `outcome`). */
  private finish(
    outcome: Outcome,
    report: InlineReport | undefined,
    invocation: Invocation,
    startedAt: Date,
    start: number,
  ): InstanceRun {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer)
    this.deadlineTimer = undefined
    this.current = undefined
    this.onFinish = undefined
    this.lastUsed = Date.now()
    const run = outcome as InstanceRun
    run.startedAt = startedAt
    run.durationMs = performance.now() - start
    if (report) run.inline = report
    if (report === 'sliced' || report === 'preempted') {
      run.logs = []
      return run
    }
    run.logs = invocation.logs
    if (invocation.droppedLogs > 0) {
      run.logs.push({
        level: 'warn',
        msg: `${invocation.droppedLogs} more log lines were dropped`,
        time: new Date().toISOString(),
      })
    }
    return run
  }

  /**
   * The engine's own timeout counts time spent running JavaScript; this timer also counts time spent
   * awaiting the host (ctx calls, timers), and disposing the isolate stops whatever it is doing. An
   * inline run that settles on the host's thread needs none: the engine's timeout bounds it.
   */
  private armDeadline(invocation: Invocation): void {
    this.deadlineTimer = setTimeout(this.expire, Math.max(1, invocation.deadline - Date.now()))
  }

  private readonly expire = (): void => {
    this.timedOut = true
    this.dispose()
  }

  /**
   * The inline part of `run`: the result's JSON (or `raw: undefined` when sliced) and the report, at
   * once when the run settled without queuing anything for the host (the common case: no log lines,
   * no host calls), else once its queued messages are delivered or, when it awaits the host, once it
   * settles threaded (under the deadline timer from then on).
   */
  private runInline(eventJson: string, invocation: Invocation): MaybePromise<InlineSettled> {
    const seq = this.seq
    const remaining = Math.max(1, invocation.deadline - Date.now())
    const slice = Math.min(remaining, INLINE_SLICE_MS)
    // CPU time, not wall time: on a busy machine the thread may be descheduled mid-run.
    const cpu0 = this.isolate.cpuTime
    try {
      this.startRef!.applySync(undefined, [seq, eventJson, invocation.executionId, invocation.deadline], {
        timeout: slice,
      })
    } catch (error) {
      // Out of slice but not out of time: nothing it queued on the host may run for it now.
      if (slice < remaining && !this.isolate.isDisposed && /execution timed out/i.test(String(error))) {
        const report = cpuMsSince(this.isolate, cpu0) < slice / 2 ? 'preempted' : 'sliced'
        this.current = undefined
        this.dispose()
        return { raw: undefined, report }
      }
      throw error
    }
    // Nothing of the function's runs here: start drained the isolate's microtasks before returning.
    const settled: unknown = this.settledRef!.applySync(undefined, [seq])
    if (settled !== false) {
      // An isolate's first run compiles the code it reaches (up to several ms): not a sign of slowness.
      const report = seq > 1 && cpuMsSince(this.isolate, cpu0) > INLINE_CHEAP_MS ? 'slow' : 'fast'
      if (typeof settled === 'string') return { raw: settled, report }
      // Its result was queued behind its log lines and host calls, through finishSink.
      return new Promise<InlineSettled>((resolve) => {
        this.onFinish = (s, out) => {
          if (s === seq) resolve({ raw: out, report })
        }
      })
    }
    this.armDeadline(invocation)
    return this.waitRef!.apply(undefined, [seq], { result: { promise: true, copy: true } }).then((raw) => ({
      raw,
      report: 'async' as const,
    }))
  }

  dispose(): void {
    if (!this.isolate.isDisposed) {
      try {
        this.isolate.dispose()
      } catch {
        // already disposed by the engine (memory limit)
      }
    }
  }

  /**
   * The outcome the bootstrap reported, never parsed when it is larger than a result may be: the
   * bootstrap refuses such results itself, so one this large means its code was bypassed.
   */
  private outcomeOf(raw: unknown): Outcome {
    if (typeof raw === 'string' && utf8Exceeds(raw, this.options.maxPayloadBytes + ENVELOPE_BYTES)) {
      return {
        status: 'failed',
        hasResult: false,
        error: {
          name: 'ResultTooLargeError',
          message: `The result is larger than the ${this.options.maxPayloadBytes} bytes a result may have (FUNCTIONS_MAX_PAYLOAD_BYTES)`,
        },
      }
    }
    return parseOutcome(raw)
  }

  private failure(error: unknown): Outcome {
    const message = error instanceof Error ? error.message : String(error)
    if (this.timedOut || /execution timed out/i.test(message)) {
      this.dispose()
      return {
        status: 'timeout',
        hasResult: false,
        error: {
          name: 'TimeoutError',
          message: `The function ran longer than its ${this.spec.timeoutMs} ms timeout`,
        },
      }
    }
    if (/memory limit/i.test(message)) {
      this.dispose()
      return {
        status: 'failed',
        hasResult: false,
        error: {
          name: 'MemoryLimitError',
          message: `The function exceeded its ${this.spec.memoryMb} MB memory limit`,
        },
      }
    }
    this.dispose()
    return { status: 'failed', hasResult: false, error: { name: 'SandboxError', message } }
  }

  /**
   * `ctx.log.*` and `console.*` from inside: kept with the current invocation, bounded (the bootstrap
   * stops sending lines past the limit and reports how many it held back as level `dropped`).
   */
  private readonly logCall = (level: unknown, msg: unknown): void => {
    const invocation = this.current
    if (!invocation) return
    if (level === 'dropped') {
      const count = Number(msg)
      if (Number.isSafeInteger(count) && count > 0) invocation.droppedLogs += count
      return
    }
    if (invocation.logs.length >= this.options.logLines) {
      invocation.droppedLogs++
      return
    }
    const text = typeof msg === 'string' ? msg : String(msg)
    invocation.logs.push({
      level: (LEVELS.has(level as string) ? level : 'info') as LogLine['level'],
      msg: text.length > this.options.logLineLength ? `${text.slice(0, this.options.logLineLength)}…` : text,
      time: new Date().toISOString(),
    })
  }

  /** The result of an inline run that settled (see bootstrap's start). */
  private readonly finishCall = (seq: unknown, out: unknown): void => {
    if (typeof seq === 'number') this.onFinish?.(seq, out)
  }

  /** Every call from inside the isolate to the host. Answers `[json, bytes?]`; never rejects. */
  private readonly hostCall = async (op: unknown, json: unknown, body: unknown): Promise<unknown[]> => {
    this.calledHost = true
    const invocation = this.current
    try {
      if (!invocation) throw new HostCallError('functions/failed', 'No invocation is running in this sandbox')
      if (typeof op !== 'string' || typeof json !== 'string')
        throw new HostCallError('request/invalid', 'Bad host call')
      const input = body instanceof Uint8Array || typeof body === 'string' ? body : undefined
      // Checked before anything is parsed: the bootstrap refuses larger calls, so these come from code
      // that bypassed it, and parsing them would hold the host's thread.
      const size = json.length + (input === undefined ? 0 : input.length)
      if (json.length > MAX_CALL_JSON_CHARS || size > this.options.maxPayloadBytes + MAX_CALL_JSON_CHARS) {
        throw new HostCallError(
          'request/too-large',
          `A ctx call may carry at most ${this.options.maxPayloadBytes} bytes (FUNCTIONS_MAX_PAYLOAD_BYTES)`,
          413,
        )
      }
      const payload = JSON.parse(json) as Record<string, unknown>
      if (!payload || typeof payload !== 'object') throw new HostCallError('request/invalid', 'Bad host call')
      const answer =
        op === 'sleep'
          ? await sleep(Number(payload.ms) || 0, invocation)
          : await this.options.host(op, payload, input, invocation)
      if (this.current !== invocation) throw new HostCallError('functions/failed', 'The invocation has ended')
      const out: unknown[] = [
        answer.json !== undefined
          ? `{"value":${answer.json}}`
          : JSON.stringify({ value: answer.value ?? null }),
      ]
      if (answer.bytes) out.push(toArrayBuffer(answer.bytes))
      return out
    } catch (error) {
      const e =
        error instanceof HostCallError
          ? { code: error.code, message: error.message, status: error.status, details: error.details }
          : { code: 'internal', message: 'The platform call failed' }
      return [JSON.stringify({ error: e })]
    }
  }
}

/**
 * A ctx call's JSON part (method, path, query, headers: its body travels beside it) is never this
 * large in honest use; a larger one is refused unparsed.
 */
const MAX_CALL_JSON_CHARS = 256 * 1024
/** Room for the bootstrap's `{"ok":true,"result":…}` around a result of the largest size. */
const ENVELOPE_BYTES = 64

/** Whether `text` takes more than `limit` bytes as UTF-8 (its length alone decides most cases). */
function utf8Exceeds(text: string, limit: number): boolean {
  if (text.length > limit) return true
  if (text.length * 3 <= limit) return false
  return Buffer.byteLength(text, 'utf8') > limit
}

/** How long a host timer may outlive its invocation's deadline, so that the deadline always wins. */
const SLEEP_PAST_DEADLINE_MS = 1000

async function sleep(ms: number, invocation: Invocation): Promise<HostAnswer> {
  // A sleep that outlasts the deadline must not resolve at the deadline itself: it would race the
  // timeout timer and let an overrunning function be recorded as succeeded. It ends just after
  // instead (bounded), by which time the timeout has disposed the isolate.
  const remaining = invocation.deadline - Date.now()
  const wait = Math.max(0, ms < remaining ? ms : remaining + SLEEP_PAST_DEADLINE_MS)
  await new Promise((resolve) => setTimeout(resolve, wait))
  return {}
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer
  }
  // A copy: a Buffer's slice() is a view on its (pooled) memory, not a copy.
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  return copy.buffer
}

function parseOutcome(raw: unknown): Outcome {
  if (typeof raw !== 'string') {
    return {
      status: 'failed',
      hasResult: false,
      error: { name: 'SandboxError', message: 'The sandbox returned no result' },
    }
  }
  let parsed: {
    ok?: unknown
    result?: unknown
    error?: { name?: unknown; message?: unknown; stack?: unknown }
  }
  try {
    parsed = JSON.parse(raw)
  } catch {
    return {
      status: 'failed',
      hasResult: false,
      error: { name: 'SandboxError', message: 'The sandbox returned bad JSON' },
    }
  }
  if (parsed.ok === true) {
    return 'result' in parsed
      ? { status: 'succeeded', result: parsed.result, hasResult: true }
      : { status: 'succeeded', hasResult: false }
  }
  const e = parsed.error ?? {}
  return {
    status: 'failed',
    hasResult: false,
    error: {
      name: typeof e.name === 'string' ? e.name : 'Error',
      message: typeof e.message === 'string' ? e.message : 'The function failed',
      ...(typeof e.stack === 'string' ? { stack: e.stack } : {}),
    },
  }
}

/** CPU time (ms) `isolate` used since its `cpuTime` read `since`. */
function cpuMsSince(isolate: ivm.Isolate, since: bigint): number {
  return Number(isolate.cpuTime - since) / 1e6
}

/**
 * The innermost frame of `error`'s stack in the module `filename` (a top-level throw, or a function the
 * top level called): where the code threw, which the message alone does not say.
 */
function thrownAt(error: unknown, filename: string): RegExpExecArray | null {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : ''
  const frame = new RegExp(`^\\s+at (?:.*\\()?${escapeRegExp(filename)}:(\\d+):(\\d+)\\)?$`)
  for (const line of stack.split('\n')) {
    const found = frame.exec(line)
    if (found) return found
  }
  return null
}

/**
 * Turns an engine error at load time into a CodeError with its position, when the engine gave one: in
 * the message (a compile error), else in the stack's frames in the module `filename` (a throw).
 */
function codeError(error: unknown, what: string, disposed = false, filename?: string): CodeError {
  const message = error instanceof Error ? error.message : String(error)
  if (disposed || /memory limit/i.test(message)) return new CodeError(`${what}: it exceeded the memory limit`)
  if (/execution timed out/i.test(message)) return new CodeError(`${what}: top-level code ran too long`)
  const position =
    /\[[^\]]*?:(\d+):(\d+)\]/.exec(message) ?? (filename === undefined ? null : thrownAt(error, filename))
  const name = error instanceof Error && error.name && error.name !== 'Error' ? `${error.name}: ` : ''
  return new CodeError(
    `${what}: ${name}${message}`,
    position ? { line: Number(position[1]), column: Number(position[2]) } : undefined,
  )
}
