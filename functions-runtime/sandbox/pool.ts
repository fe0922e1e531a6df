import { StratusError } from '../../services/core/errors.ts'
import { andFinally, andThen, type MaybePromise } from '../../services/core/maybe-promise.ts'
import type { FunctionEntry } from '../../services/functions/model.ts'
import {
  type InlineReport,
  type InstanceOptions,
  type InstanceRun,
  type Invocation,
  SandboxInstance,
  type VersionSpec,
} from './instance.ts'

/**
 * Slow inline runs in a row (see InlineReport) after which a version runs threaded in this process. In
 * a row, because a warm no-op run now and then shows a few ms of CPU too (garbage collection, tier-up).
 */
const SLOW_INLINE_RUNS = 3

export interface PoolOptions extends InstanceOptions {
  /** Idle isolates kept per version. */
  warmPoolSize: number
  /** An idle isolate unused this long is disposed. */
  idleMs: number
  /** Invocations allowed to wait for a free slot per function before new ones are refused. */
  maxWaiting?: number
  /** Called with the version and duration (ms) each time an isolate is created for an invocation. */
  onColdStart?: (spec: VersionSpec, ms: number) => void
  /** Try inline runs (see SandboxInstance.run); false runs every invocation threaded. Default true. */
  inline?: boolean
}

interface VersionPool {
  spec: VersionSpec
  idle: SandboxInstance[]
  /** Whether invocations of this version are still tried inline in this process. */
  inline: boolean
  /** Slow inline runs since the last fast one. */
  slowInlineRuns: number
  /** Dropped by `retire` (a newer version is live): its isolates are not kept. */
  retired: boolean
}

interface Gate {
  running: number
  waiting: Array<() => void>
}

/** The result of `run`: the outcome and whether a new isolate had to be built for it. */
export interface PoolRun extends InstanceRun {
  coldStart: boolean
}

/**
 * Warm isolates per function version (the Fission poolmgr idea, in-process): an invocation takes an
 * idle isolate of its version or builds one (a cold start, ≈ 4 ms), runs, and hands it back; at most
 * `warmPoolSize` idle isolates stay per version, each for at most `idleMs`. A function's `concurrency`
 * bounds its invocations running at once in this process; the rest wait in FIFO order.
 *
 * Invocations run inline (on this thread, for a few milliseconds at most) while their version keeps
 * settling quickly without calling the host; a version that computes longer or awaits the host runs
 * threaded from then on, in this process (see SandboxInstance.run).
 */
export class SandboxPool {
  private readonly options: PoolOptions
  private readonly versions = new Map<string, VersionPool>()
  private readonly bySpec = new WeakMap<VersionSpec, VersionPool>()
  private readonly gates = new Map<string, Gate>()
  private readonly warming = new Map<string, Promise<void>>()
  private readonly reaper: NodeJS.Timeout
  private closed = false

  constructor(options: PoolOptions) {
    this.options = options
    this.reaper = setInterval(() => this.reap(), Math.min(30_000, Math.max(250, options.idleMs / 2)))
    this.reaper.unref()
  }

  /** Builds an isolate for `spec` (throws CodeError when the code cannot run) and keeps it warm. */
  prewarm(spec: VersionSpec): Promise<void> {
    const pool = this.pool(spec)
    if (pool.idle.length > 0 || this.options.warmPoolSize === 0 || this.closed) return Promise.resolve()
    const key = `${spec.name}@${spec.version}`
    let warming = this.warming.get(key)
    if (!warming) {
      warming = SandboxInstance.create(spec, this.options)
        .then((instance) => this.release(pool, instance))
        .finally(() => this.warming.delete(key))
      this.warming.set(key, warming)
    }
    return warming
  }

  /**
   * Checks that `spec`'s code loads, in a throwaway isolate, and answers which export runs (see
   * VersionSpec.entry); throws CodeError if it cannot run.
   */
  async validate(spec: VersionSpec): Promise<FunctionEntry> {
    const instance = await SandboxInstance.create(spec, this.options)
    instance.dispose()
    return instance.entry
  }

  /**
   * Runs one invocation of `spec` in a warm or new isolate. Never throws for the function's own
   * failures. Answers without a promise when a slot and a warm isolate are free and the run settles
   * inline (the common warm call): each await would cost a turn of the event loop.
   */
  run(spec: VersionSpec, eventJson: string, invocation: Invocation): MaybePromise<PoolRun> {
    if (this.closed) throw new StratusError('service/unavailable', 'The functions runtime is shutting down')
    return andThen(this.enter(spec), (gate) => this.runEntered(spec, eventJson, invocation, gate))
  }

  private runEntered(
    spec: VersionSpec,
    eventJson: string,
    invocation: Invocation,
    gate: Gate,
  ): MaybePromise<PoolRun> {
    const pool = this.pool(spec)
    let instance: SandboxInstance | undefined
    while (pool.idle.length > 0 && !instance) {
      const candidate = pool.idle.pop()!
      if (candidate.usable) instance = candidate
    }
    let ran: MaybePromise<PoolRun>
    try {
      if (instance) {
        const warm = instance
        // The timeout counts from here: time spent waiting for a concurrency slot is not the function's.
        invocation.deadline = Date.now() + spec.timeoutMs
        ran = andThen(warm.run(eventJson, invocation, pool.inline), (outcome) =>
          this.afterRun(pool, warm, eventJson, invocation, outcome, false),
        )
      } else {
        ran = this.runCold(pool, eventJson, invocation)
      }
    } catch (error) {
      this.leave(gate)
      throw error
    }
    return andFinally(ran, () => this.leave(gate))
  }

  /** A run that found no warm isolate: builds one (a cold start) and runs on it. */
  private async runCold(pool: VersionPool, eventJson: string, invocation: Invocation): Promise<PoolRun> {
    const spec = pool.spec
    const t0 = performance.now()
    let instance: SandboxInstance
    try {
      instance = await SandboxInstance.create(spec, this.options)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      return {
        status: 'failed',
        hasResult: false,
        error: { name: 'LoadError', message },
        logs: [],
        startedAt: new Date(),
        durationMs: performance.now() - t0,
        coldStart: true,
      }
    }
    this.options.onColdStart?.(spec, performance.now() - t0)
    invocation.deadline = Date.now() + spec.timeoutMs
    const outcome = await instance.run(eventJson, invocation, pool.inline)
    return this.afterRun(pool, instance, eventJson, invocation, outcome, true)
  }

  /** Keeps or demotes inline runs after `outcome`, re-runs a stopped one threaded, hands the isolate back. */
  private afterRun(
    pool: VersionPool,
    instance: SandboxInstance,
    eventJson: string,
    invocation: Invocation,
    outcome: InstanceRun,
    coldStart: boolean,
  ): MaybePromise<PoolRun> {
    if (outcome.inline) this.demote(pool, outcome.inline)
    if (outcome.inline === 'sliced' || outcome.inline === 'preempted') {
      return this.rerunThreaded(pool, eventJson, invocation, outcome)
    }
    this.release(pool, instance)
    const run = outcome as PoolRun
    run.coldStart = coldStart
    return run
  }

  /** An inline run stopped before anything outside its isolate saw it: run it again, threaded, in a new isolate. */
  private async rerunThreaded(
    pool: VersionPool,
    eventJson: string,
    invocation: Invocation,
    stopped: InstanceRun,
  ): Promise<PoolRun> {
    const t0 = performance.now()
    let instance: SandboxInstance
    try {
      instance = await SandboxInstance.create(pool.spec, this.options)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      return { ...stopped, status: 'failed', error: { name: 'LoadError', message }, coldStart: true }
    }
    this.options.onColdStart?.(pool.spec, performance.now() - t0)
    const outcome = (await instance.run(eventJson, invocation)) as PoolRun
    this.release(pool, instance)
    outcome.coldStart = true
    return outcome
  }

  /** Disposes the idle isolates of `name`'s versions other than `keep` (after a deploy or rollback). */
  retire(name: string, keep?: number): void {
    for (const [key, pool] of this.versions) {
      if (pool.spec.name !== name || pool.spec.version === keep) continue
      for (const instance of pool.idle) instance.dispose()
      pool.retired = true
      this.versions.delete(key)
    }
  }

  /** Idle isolates per version, for metrics and tests. */
  stats(): { name: string; version: number; idle: number }[] {
    return [...this.versions.values()].map((p) => ({
      name: p.spec.name,
      version: p.spec.version,
      idle: p.idle.length,
    }))
  }

  close(): void {
    this.closed = true
    clearInterval(this.reaper)
    for (const pool of this.versions.values()) for (const instance of pool.idle) instance.dispose()
    this.versions.clear()
  }

  private pool(spec: VersionSpec): VersionPool {
    // By spec object first: the registry hands out the same one per live version (no key to build).
    const known = this.bySpec.get(spec)
    if (known && !known.retired) return known
    const key = `${spec.name}@${spec.version}`
    let pool = this.versions.get(key)
    if (!pool) {
      pool = { spec, idle: [], inline: this.options.inline ?? true, slowInlineRuns: 0, retired: false }
      this.versions.set(key, pool)
    }
    this.bySpec.set(spec, pool)
    return pool
  }

  /** After an inline run: a version that computes or awaits the host runs threaded from then on. */
  private demote(pool: VersionPool, report: InlineReport): void {
    if (report === 'fast') pool.slowInlineRuns = 0
    if (report === 'fast' || report === 'preempted') return
    if (report === 'slow' && ++pool.slowInlineRuns < SLOW_INLINE_RUNS) return
    pool.inline = false
  }

  private release(pool: VersionPool, instance: SandboxInstance): void {
    if (!instance.usable) return
    if (this.closed || pool.retired || pool.idle.length >= this.options.warmPoolSize) {
      instance.dispose()
      return
    }
    pool.idle.push(instance)
  }

  /** A slot under `spec`'s concurrency: at once when one is free (no promise), else once one frees up. */
  private enter(spec: VersionSpec): MaybePromise<Gate> {
    let gate = this.gates.get(spec.name)
    if (!gate) {
      gate = { running: 0, waiting: [] }
      this.gates.set(spec.name, gate)
    }
    if (gate.running < spec.concurrency) {
      gate.running++
      return gate
    }
    if (gate.waiting.length >= (this.options.maxWaiting ?? 10_000)) {
      throw new StratusError('rate-limited', `Function ${spec.name} is at its concurrency limit; retry later`)
    }
    const entered = gate
    return new Promise<Gate>((resolve) => entered.waiting.push(() => resolve(entered)))
  }

  /** Frees a slot (unused gates are dropped by the reaper, not here: a busy function reuses its own). */
  private leave(gate: Gate): void {
    const next = gate.waiting.shift()
    if (next) {
      next()
      return
    }
    gate.running--
  }

  private reap(): void {
    for (const [name, gate] of this.gates) if (gate.running === 0) this.gates.delete(name)
    const cutoff = Date.now() - this.options.idleMs
    for (const pool of this.versions.values()) {
      const keep = pool.idle.filter((i) => i.usable && i.lastUsed >= cutoff)
      for (const instance of pool.idle) if (!keep.includes(instance)) instance.dispose()
      pool.idle = keep
    }
  }
}
