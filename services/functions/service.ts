import { StratusError } from '../core/errors.ts'
import type { StratusEvent } from '../core/events.ts'
import {
  checkReplayRange,
  ENV_MASK,
  maskEnv,
  parseWindow,
  type VersionDetail,
  versionDetail,
} from './admin-views.ts'
import { type EventTypeView, eventTypeCatalog } from './event-types.ts'
import type {
  DeadLetter,
  DeployInput,
  EventSource,
  Execution,
  ExecutionOrigin,
  FunctionEntry,
  FunctionVersion,
  HttpRequestData,
  ReplayRange,
  ReplayView,
  RerunResult,
  ScheduleView,
  Trigger,
  VersionSummary,
} from './model.ts'
import type { DeadLetterFilter, FunctionsAdminPort } from './port.ts'
import { checkTrigger } from './trigger-check.ts'

export type { FunctionsAdminPort } from './port.ts'

/** Function names: they appear in URLs, job ids and metrics labels (no dots: job ids split on them). */
export const FUNCTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/** Defaults of a deploy (API.md: retries 2, so at most 3 attempts). */
export const DEPLOY_DEFAULTS = { timeoutMs: 10_000, memoryMb: 128, concurrency: 10, retries: 2 } as const

/** A deploy request, as validated by the route's schema. */
export interface DeployRequest {
  code: string
  env?: Record<string, string>
  timeoutMs?: number
  memoryMb?: number
  concurrency?: number
  retries?: number
  triggers: Trigger[]
  /** Start a replay of the new version over retained events from here (its event triggers'). */
  backfill?: { fromSequence?: number; fromTime?: string }
}

/** A version as the admin API shows it (env values masked). */
export interface VersionView {
  version: number
  createdAt: string
  timeoutMs: number
  memoryMb: number
  concurrency: number
  retries: number
  triggers: Trigger[]
  env: Record<string, string>
  /** Which export runs: `default`, or a Lambda-style `handler`. */
  entry: FunctionEntry
}

/** A function as the admin API lists it. */
export interface FunctionSummary {
  name: string
  version: number
  triggers: Trigger[]
  timeoutMs: number
  memoryMb: number
  concurrency: number
  retries: number
  updatedAt: string
}

function view(v: FunctionVersion): VersionView {
  return {
    version: v.version,
    createdAt: v.createdAt,
    timeoutMs: v.timeoutMs,
    memoryMb: v.memoryMb,
    concurrency: v.concurrency,
    retries: v.retries,
    triggers: v.triggers,
    env: maskEnv(v.env),
    entry: v.entry,
  }
}

/** The most dead letters one bulk retry takes (`remaining` says how many are left). */
export const MAX_BULK_REDRIVE = 10_000

/** An execution as GET /admin/v1/executions/{id} shows it. */
export interface ExecutionDetail extends Execution {
  origin: ExecutionOrigin | null
  /** The event it ran for, while it is kept (HTTP requests never are). */
  event: StratusEvent | null
  /** Where `event` was found: the outbox, a dead letter's copy, or rebuilt from a schedule tick's id. */
  eventSource: EventSource | null
}

/**
 * The admin side of functions: deploys (with trigger checks and an optional backfill), versions,
 * rollbacks, executions and reruns, dead letters, schedules, replays and the event catalog.
 */
export class FunctionsService {
  private readonly functions: FunctionsAdminPort
  private readonly maxMemoryMb: number

  /** `maxMemoryMb`: the largest `memoryMb` a deploy may ask for (FUNCTIONS_MAX_MEMORY_MB). */
  constructor(functions: FunctionsAdminPort, options: { maxMemoryMb: number }) {
    this.functions = functions
    this.maxMemoryMb = options.maxMemoryMb
  }

  /**
   * Checks the triggers (an event trigger that could never fire is a 400 `functions/invalid-trigger`),
   * validates the module in a sandbox (a syntax error, an import, or neither a default export nor a
   * Lambda-style `handler` is a 400 with the engine's message and position), stores an immutable
   * version with the export it runs and makes it live. With `backfill`, then starts a replay of the
   * new version from there.
   */
  async deploy(
    name: string,
    request: DeployRequest,
    deployedBy?: string,
  ): Promise<{
    name: string
    version: number
    entry: FunctionEntry
    replay?: { id: string; total: number }
  }> {
    const { input, backfill } = await this.check(name, request, deployedBy)
    const version = await this.functions.deploy(name, input)
    const { entry } = input
    if (!backfill) return { name, version: version.version, entry }
    const replay = await this.functions.createReplay(name, backfill, { force: false, dryRun: false })
    return { name, version: version.version, entry, replay: { id: replay.id!, total: replay.total } }
  }

  /**
   * Everything `deploy` checks, storing nothing: the name, the triggers (`functions/invalid-trigger`),
   * the limits, the masked env values (kept from the live version), and the code in a throwaway
   * sandbox (`functions/invalid-code`). Answers the version `deploy` would store.
   */
  async check(
    name: string,
    request: DeployRequest,
    deployedBy?: string,
  ): Promise<{ input: DeployInput; backfill?: ReturnType<typeof checkReplayRange> }> {
    assertName(name)
    const triggers = request.triggers.map((t, i) => checkTrigger(t, i))
    const backfill = request.backfill && checkReplayRange(request.backfill, 'A backfill')
    if (backfill && !triggers.some((t) => t.type === 'event')) {
      throw new StratusError(
        'request/invalid',
        'A backfill replays events: the function needs an event trigger',
      )
    }
    const input = {
      code: request.code,
      env: await this.keptEnv(name, request.env ?? {}),
      timeoutMs: request.timeoutMs ?? DEPLOY_DEFAULTS.timeoutMs,
      memoryMb: request.memoryMb ?? DEPLOY_DEFAULTS.memoryMb,
      concurrency: request.concurrency ?? DEPLOY_DEFAULTS.concurrency,
      retries: request.retries ?? DEPLOY_DEFAULTS.retries,
      triggers,
      ...(deployedBy ? { deployedBy } : {}),
    }
    if (input.memoryMb > this.maxMemoryMb) {
      throw new StratusError(
        'request/invalid',
        `memoryMb may be at most ${this.maxMemoryMb} on this platform (FUNCTIONS_MAX_MEMORY_MB)`,
        { details: { memoryMb: input.memoryMb, max: this.maxMemoryMb } },
      )
    }
    const checked = await this.functions.validate(name, input)
    if ('problem' in checked) {
      const { problem } = checked
      throw new StratusError('functions/invalid-code', problem.message, {
        details: problem.line === undefined ? undefined : { line: problem.line, column: problem.column },
      })
    }
    return { input: { ...input, entry: checked.entry }, ...(backfill ? { backfill } : {}) }
  }

  /**
   * `env` with each value given as the mask (`••••`, as the admin API shows values) replaced by that
   * variable's value in the live version: a console or CLI that read a function can deploy it again
   * without knowing its secrets. A masked name the live version does not have is a 400.
   */
  private async keptEnv(name: string, env: Record<string, string>): Promise<Record<string, string>> {
    const kept = Object.keys(env).filter((key) => env[key] === ENV_MASK)
    if (kept.length === 0) return env
    const page = await this.functions.versionPage(name, 0)
    const live = page && (await this.functions.version(name, page.liveVersion))
    const missing = kept.filter((key) => !live || !Object.hasOwn(live.env, key))
    if (missing.length > 0 || !live) {
      throw new StratusError(
        'request/invalid',
        `env ${missing.join(', ')}: ${ENV_MASK} keeps the live version's value, and ${live ? 'it has no such variable' : `there is no function named ${name}`}`,
        { details: { env: missing } },
      )
    }
    return { ...env, ...Object.fromEntries(kept.map((key) => [key, live.env[key]!])) }
  }

  /** Stores a version `check` answered and makes it live (no check of its own: call `check` first). */
  async store(name: string, input: DeployInput): Promise<{ name: string; version: number }> {
    const version = await this.functions.deploy(name, input)
    return { name, version: version.version }
  }

  /** The live version of every function, env values included: for the server's own use, never an answer. */
  liveVersions(): Promise<FunctionVersion[]> {
    return this.functions.liveVersions()
  }

  async rollback(name: string, version: number): Promise<{ name: string; version: number }> {
    assertName(name)
    await this.functions.rollback(name, version)
    return { name, version }
  }

  async remove(name: string): Promise<void> {
    assertName(name)
    await this.functions.remove(name)
  }

  async list(): Promise<FunctionSummary[]> {
    const live = await this.functions.liveVersions()
    const details = await Promise.all(live.map((v) => this.functions.versions(v.name)))
    return live.map((v, i) => ({
      name: v.name,
      version: v.version,
      triggers: v.triggers,
      timeoutMs: v.timeoutMs,
      memoryMb: v.memoryMb,
      concurrency: v.concurrency,
      retries: v.retries,
      updatedAt: details[i]?.updatedAt ?? v.createdAt,
    }))
  }

  async get(name: string): Promise<{
    name: string
    version: number
    code: string
    createdAt: string
    updatedAt: string
    versions: VersionView[]
  }> {
    assertName(name)
    const found = await this.functions.versions(name)
    const live = found?.versions.find((v) => v.version === found.liveVersion)
    if (!found || !live) throw new StratusError('functions/not-found', `No function named ${name}`)
    return {
      name,
      version: found.liveVersion,
      code: live.code,
      createdAt: found.createdAt,
      updatedAt: found.updatedAt,
      versions: found.versions.map(view),
    }
  }

  /** A page of versions, newest first, without code or env (`cursor`: the last version of the page before). */
  async versions(
    name: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ versions: VersionSummary[]; nextCursor: string | null }> {
    assertName(name)
    const before = page.cursor === undefined ? undefined : Number(page.cursor)
    const found = await this.functions.versionPage(name, page.limit, before)
    if (!found) throw new StratusError('functions/not-found', `No function named ${name}`)
    return { versions: found.versions, nextCursor: found.nextCursor }
  }

  /** One version in full, env values masked; with `compareTo`, which env names differ from that version. */
  async version(name: string, version: number, compareTo?: number): Promise<VersionDetail> {
    assertName(name)
    const [found, other, fn] = await Promise.all([
      this.functions.version(name, version),
      compareTo === undefined ? undefined : this.functions.version(name, compareTo),
      this.functions.versionPage(name, 0),
    ])
    if (!fn) throw new StratusError('functions/not-found', `No function named ${name}`)
    const missing = !found ? version : compareTo !== undefined && !other ? compareTo : undefined
    if (!found || missing !== undefined) {
      throw new StratusError('functions/not-found', `Function ${name} has no version ${missing}`)
    }
    return versionDetail(found, found.version === fn.liveVersion, other)
  }

  async executions(
    name: string,
    filter: {
      limit: number
      cursor?: string
      status?: string
      trigger?: string
      eventId?: string
      version?: number
      from?: string
      to?: string
    },
  ): Promise<{
    executions: (Omit<Execution, 'function'> & { origin?: ExecutionOrigin })[]
    nextCursor: string | null
  }> {
    assertName(name)
    const { from, to, ...rest } = filter
    const window = parseWindow({ from, to })
    if (!(await this.functions.versions(name)))
      throw new StratusError('functions/not-found', `No function named ${name}`)
    const page = await this.functions.executions(name, { ...rest, ...window })
    const origins = await this.functions.origins(page.executions.map((e) => e.id))
    return {
      executions: page.executions.map(({ function: _f, ...e }) => {
        const origin = origins.get(e.id)
        return origin ? { ...e, origin } : e
      }),
      nextCursor: page.nextCursor,
    }
  }

  /** One execution with its logs, error, why it ran, and the event it ran for while that is kept. */
  async execution(id: string): Promise<ExecutionDetail> {
    const found = await this.functions.execution(id)
    if (!found) throw new StratusError('functions/not-found', `No execution ${id}`)
    const event = await this.functions.executionEvent(found)
    return { ...found, event: event?.event ?? null, eventSource: event?.source ?? null }
  }

  /** Runs an execution's event again on the live version (an HTTP one with `request`, at once). */
  rerun(id: string, request?: Partial<HttpRequestData>): Promise<RerunResult> {
    return this.functions.rerun(id, request)
  }

  deadLetters(filter: { function?: string; limit: number; cursor?: string }): Promise<{
    deadLetters: DeadLetter[]
    nextCursor: string | null
  }> {
    return this.functions.deadLetters(filter)
  }

  retryDeadLetter(id: string): Promise<{ id: string; function: string; version: number }> {
    return this.functions.redrive(id)
  }

  /** Retries dead letters in bulk: `ids`, one `function`'s, or `all` (exactly one of them). */
  retryDeadLetters(body: {
    ids?: string[]
    function?: string
    all?: boolean
  }): Promise<{ retried: number; remaining: number }> {
    return this.functions.redriveMany(deadLetterFilter(body), MAX_BULK_REDRIVE)
  }

  /** Deletes the dead letters of one `function`, or all of them. */
  async purgeDeadLetters(query: { function?: string }): Promise<{ deleted: number }> {
    return {
      deleted: await this.functions.purgeDeadLetters(query.function ? { function: query.function } : {}),
    }
  }

  /** Deletes one dead letter waiting for a retry. */
  async deleteDeadLetter(id: string): Promise<void> {
    if ((await this.functions.purgeDeadLetters({ ids: [id] })) === 0)
      throw new StratusError('functions/not-found', `No dead letter ${id} waiting for a retry`)
  }

  schedules(): Promise<ScheduleView[]> {
    return this.functions.schedules()
  }

  runSchedule(name: string, index?: number): Promise<{ executionId: string }> {
    assertName(name)
    return this.functions.runSchedule(name, index)
  }

  /** Starts a replay of `name`'s live version (`dryRun`: only counts the events it would run). */
  async replay(
    name: string,
    body: ReplayRange & { dryRun?: boolean; force?: boolean },
  ): Promise<{ id?: string; total: number }> {
    assertName(name)
    const { dryRun, force, ...range } = body
    return this.functions.createReplay(name, checkReplayRange(range), {
      force: force ?? false,
      dryRun: dryRun ?? false,
    })
  }

  getReplay(name: string, id: string): Promise<ReplayView> {
    assertName(name)
    return this.functions.replay(name, id)
  }

  cancelReplay(name: string, id: string): Promise<ReplayView> {
    assertName(name)
    return this.functions.cancelReplay(name, id)
  }

  /** The event catalog for the console's triggers form. */
  eventTypes(): EventTypeView[] {
    return eventTypeCatalog()
  }
}

/** Exactly one of `ids`, `function` or `all: true`. */
function deadLetterFilter(body: { ids?: string[]; function?: string; all?: boolean }): DeadLetterFilter {
  const given = [body.ids !== undefined, body.function !== undefined, body.all === true].filter(Boolean)
  if (given.length !== 1) {
    throw new StratusError(
      'request/invalid',
      'Name the dead letters: ids, function, or all: true (one of them)',
    )
  }
  if (body.ids) return { ids: [...new Set(body.ids)] }
  if (body.function) return { function: body.function }
  return {}
}

function assertName(name: string): void {
  if (!FUNCTION_NAME_PATTERN.test(name)) {
    throw new StratusError(
      'request/invalid',
      `A function name is 1-64 characters of [A-Za-z0-9_-] (got ${JSON.stringify(name)})`,
    )
  }
}
