import type { StratusEvent } from '../core/events.ts'
import type {
  CodeProblem,
  DeadLetter,
  DeployInput,
  EventSource,
  Execution,
  ExecutionOrigin,
  FunctionEntry,
  FunctionHistory,
  FunctionVersion,
  HttpRequestData,
  ReplayRange,
  ReplayView,
  RerunResult,
  ScheduleView,
  VersionSummary,
} from './model.ts'

/** Filters of an executions page. */
export interface ExecutionFilter {
  limit: number
  cursor?: string
  status?: string
  trigger?: string
  eventId?: string
  version?: number
  /** Executions begun at or after / at or before these times (epoch ms). */
  from?: number
  to?: number
}

/** Which dead letters a bulk action takes: some ids, one function's, or all (neither given). */
export interface DeadLetterFilter {
  ids?: readonly string[]
  function?: string
}

/**
 * What the admin side of functions needs from whatever stores and runs them (the functions runtime
 * implements it): the service declares it so that it never imports the runtime.
 */
export interface FunctionsAdminPort {
  /**
   * Loads `input`'s code in a throwaway sandbox: the problem when it cannot run, else which export
   * runs (a default export, or else a Lambda-style `handler`).
   */
  validate(
    name: string,
    input: Omit<DeployInput, 'entry'>,
  ): Promise<{ entry: FunctionEntry } | { problem: CodeProblem }>
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
  /**
   * A page of `name`'s versions newest first, below `before`, and which version is live; undefined
   * when there is no such function.
   */
  versionPage(
    name: string,
    limit: number,
    before?: number,
  ): Promise<{ versions: VersionSummary[]; nextCursor: string | null; liveVersion: number } | undefined>
  /** One version of `name`, or undefined. */
  version(name: string, version: number): Promise<FunctionVersion | undefined>
  /** Executions of `name`, newest first. */
  executions(
    name: string,
    filter: ExecutionFilter,
  ): Promise<{ executions: Execution[]; nextCursor: string | null }>
  /** Why each of `ids` ran, for those an operator started. */
  origins(ids: readonly string[]): Promise<Map<string, ExecutionOrigin>>
  /** One execution and why it ran, or undefined. */
  execution(id: string): Promise<(Execution & { origin: ExecutionOrigin | null }) | undefined>
  /** The event `execution` ran for, while it is kept, and where it was found. */
  executionEvent(execution: Execution): Promise<{ event: StratusEvent; source: EventSource } | undefined>
  /** Runs execution `id`'s event again on the live version (`request`: for an HTTP execution). */
  rerun(id: string, request?: Partial<HttpRequestData>): Promise<RerunResult>
  /** Dead letters not retried yet, newest first, optionally of one function. */
  deadLetters(filter: {
    function?: string
    limit: number
    cursor?: string
  }): Promise<{ deadLetters: DeadLetter[]; nextCursor: string | null }>
  /** Re-runs a dead letter on the live version of its function (`functions/not-found` if it is gone). */
  redrive(id: string): Promise<{ id: string; function: string; version: number }>
  /** Re-runs up to `max` dead letters of `filter`; how many were, and how many still wait. */
  redriveMany(filter: DeadLetterFilter, max: number): Promise<{ retried: number; remaining: number }>
  /** Deletes the dead letters of `filter` waiting for a retry; how many. */
  purgeDeadLetters(filter: DeadLetterFilter): Promise<number>
  /** Every live schedule trigger with its next ticks and last run. */
  schedules(): Promise<ScheduleView[]>
  /** Runs `name`'s schedule trigger (`index`, default its first) now, as a job. */
  runSchedule(name: string, index?: number): Promise<{ executionId: string }>
  /** Records a replay of `name`'s live version over `range` (`dryRun`: only counts its events). */
  createReplay(
    name: string,
    range: ReplayRange,
    options: { force: boolean; dryRun: boolean },
  ): Promise<{ id?: string; total: number }>
  /** A replay's progress (`functions/not-found` if unknown). */
  replay(name: string, id: string): Promise<ReplayView>
  /** Cancels a running replay (`functions/not-found` if unknown). */
  cancelReplay(name: string, id: string): Promise<ReplayView>
}
