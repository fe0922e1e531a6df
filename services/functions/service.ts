import { StratusError } from '../core/errors.ts'
import { type EventTypeView, eventTypeCatalog } from './event-types.ts'
import type {
  CodeProblem,
  DeadLetter,
  DeployInput,
  Execution,
  FunctionHistory,
  FunctionVersion,
  Trigger,
} from './model.ts'
import { checkTrigger } from './trigger-check.ts'

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
}

/** A version as the admin API shows it. */
export interface VersionView {
  version: number
  createdAt: string
  timeoutMs: number
  memoryMb: number
  concurrency: number
  retries: number
  triggers: Trigger[]
  env: Record<string, string>
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
    env: v.env,
  }
}

/**
 * What the admin side of functions needs from whatever stores and runs them (the functions runtime
 * implements it): the service declares it so that it never imports the runtime.
 */
export interface FunctionsAdminPort {
  /** Loads `input`'s code in a throwaway sandbox: the problem when it cannot run, else undefined. */
  validate(name: string, input: DeployInput): Promise<CodeProblem | undefined>
  /** Stores a new immutable version, makes it live and tells every node. */
  deploy(name: string, input: DeployInput): Promise<FunctionVersion>
  /** Makes an earlier version live again and tells every node (`functions/not-found` if there is none). */
  rollback(name: string, version: number): Promise<void>
  /** Deletes the function with its versions and tells every node (`functions/not-found` if there is none). */
  remove(name: string): Promise<void>
  /** The live version of every function. */
  liveVersions(): Promise<FunctionVersion[]>
  /** Every version of `name`, or undefined when there is no such function. */
  versions(name: string): Promise<FunctionHistory | undefined>
  /** Executions of `name`, newest first. */
  executions(
    name: string,
    filter: {
      limit: number
      cursor?: string
      status?: string
      trigger?: string
      eventId?: string
      version?: number
    },
  ): Promise<{ executions: Execution[]; nextCursor: string | null }>
  /** Dead letters not retried yet, newest first, optionally of one function. */
  deadLetters(filter: {
    function?: string
    limit: number
    cursor?: string
  }): Promise<{ deadLetters: DeadLetter[]; nextCursor: string | null }>
  /** Re-runs a dead letter on the live version of its function (`functions/not-found` if it is gone). */
  redrive(id: string): Promise<{ id: string; function: string; version: number }>
}

/** Deploys, versions, rollbacks, executions and dead letters: the admin side of functions. */
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
   * validates the module in a sandbox (a syntax error, an import or a missing default export is a 400
   * with the engine's message and position), stores an immutable version and makes it live.
   */
  async deploy(name: string, request: DeployRequest): Promise<{ name: string; version: number }> {
    assertName(name)
    const triggers = request.triggers.map((t, i) => checkTrigger(t, i))
    const input = {
      code: request.code,
      env: request.env ?? {},
      timeoutMs: request.timeoutMs ?? DEPLOY_DEFAULTS.timeoutMs,
      memoryMb: request.memoryMb ?? DEPLOY_DEFAULTS.memoryMb,
      concurrency: request.concurrency ?? DEPLOY_DEFAULTS.concurrency,
      retries: request.retries ?? DEPLOY_DEFAULTS.retries,
      triggers,
    }
    if (input.memoryMb > this.maxMemoryMb) {
      throw new StratusError(
        'request/invalid',
        `memoryMb may be at most ${this.maxMemoryMb} on this platform (FUNCTIONS_MAX_MEMORY_MB)`,
        { details: { memoryMb: input.memoryMb, max: this.maxMemoryMb } },
      )
    }
    const problem = await this.functions.validate(name, input)
    if (problem) {
      throw new StratusError('functions/invalid-code', problem.message, {
        details: problem.line === undefined ? undefined : { line: problem.line, column: problem.column },
      })
    }
    const version = await this.functions.deploy(name, input)
    return { name, version: version.version }
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

  async executions(
    name: string,
    filter: {
      limit: number
      cursor?: string
      status?: string
      trigger?: string
      eventId?: string
      version?: number
    },
  ): Promise<{ executions: Omit<Execution, 'function'>[]; nextCursor: string | null }> {
    assertName(name)
    if (!(await this.functions.versions(name)))
      throw new StratusError('functions/not-found', `No function named ${name}`)
    const page = await this.functions.executions(name, filter)
    return {
      executions: page.executions.map(({ function: _f, ...rest }) => rest),
      nextCursor: page.nextCursor,
    }
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

  /** The event catalog for the console's triggers form. */
  eventTypes(): EventTypeView[] {
    return eventTypeCatalog()
  }
}

function assertName(name: string): void {
  if (!FUNCTION_NAME_PATTERN.test(name)) {
    throw new StratusError(
      'request/invalid',
      `A function name is 1-64 characters of [A-Za-z0-9_-] (got ${JSON.stringify(name)})`,
    )
  }
}
