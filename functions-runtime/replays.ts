import { StratusError } from '../services/core/errors.ts'
import type { StratusEvent } from '../services/core/events.ts'
import { newEventId } from '../services/core/ids.ts'
import { Limiter } from '../services/core/limiter.ts'
import type { Logger } from '../services/core/logger.ts'
import type { FunctionVersion, ReplayRange, ReplayView } from '../services/functions/model.ts'
import type { Executor } from './executor.ts'
import type { FunctionLookup } from './lookup.ts'
import {
  type ReplayBounds,
  type ReplayClaim,
  type ReplayProgress,
  type ReplayStore,
  replayFilters,
} from './replay-store.ts'
import type { FunctionStore } from './store.ts'
import { matchEvent } from './triggers.ts'

export interface ReplaysOptions {
  replays: ReplayStore
  store: FunctionStore
  lookup: FunctionLookup
  executor: Executor
  logger: Logger
  /** Events per second one replay runs (FUNCTIONS_REPLAY_RATE). */
  rate: number
  /** Who claims replays in this process (a node id). */
  holder: string
}

/** How often a worker looks for replays nobody runs. */
const POLL_MS = 1000
/** How long a claim lasts unless renewed. */
const LEASE_MS = 30_000
/** How often a running replay records its counts (and renews its claim) between checkpoints. */
const PROGRESS_MS = 1000
/** Replays one process runs at once. */
const MAX_RUNNING = 2
/** Events read per outbox query (fewer at a low rate, so that a checkpoint comes every ~2 s). */
const MAX_BATCH = 500
/** Executions of one replay running at once. */
const MAX_CONCURRENCY = 16

/** Spaces starts `1/rate` seconds apart. */
class Pacer {
  private next = Date.now()
  private readonly intervalMs: number

  constructor(rate: number) {
    this.intervalMs = 1000 / rate
  }

  async take(): Promise<void> {
    const now = Date.now()
    const at = Math.max(now, this.next)
    this.next = at + this.intervalMs
    if (at - now >= 1) await new Promise((resolve) => setTimeout(resolve, at - now))
  }
}

/**
 * Replays (backfills): one version of a function run over the retained outbox events its event
 * triggers match, in sequence order, paced at FUNCTIONS_REPLAY_RATE, skipping events that version
 * already handled successfully unless forced. Any node records a replay (`create`); worker nodes run
 * them: each polls for a running replay nobody holds and claims it with a lease it renews, checkpointing
 * its progress, so a replay survives a restart and another node resumes one whose node died.
 *
 * Each event runs once (no retries, no dead letter): a failure is counted, and a second replay runs
 * only what has not succeeded. Executions record trigger `replay`; forced ones are keyed
 * `<event id>.replay.<replay id>` so that the earlier success does not swallow their record.
 */
export class Replays {
  private readonly options: ReplaysOptions
  private readonly running = new Map<string, { stop: () => void; done: Promise<void> }>()
  private timer: NodeJS.Timeout | undefined
  private polling: Promise<void> | undefined
  private stopped = false

  constructor(options: ReplaysOptions) {
    this.options = options
  }

  /**
   * Resolves `range` against the outbox and `name`'s live version: the matching events (`dryRun`: only
   * how many), else records a running replay of them and returns its id.
   */
  async create(
    name: string,
    range: ReplayRange,
    options: { force: boolean; dryRun: boolean },
  ): Promise<{ id?: string; total: number }> {
    const fn = await this.options.lookup.live(name, true)
    if (!fn) throw new StratusError('functions/not-found', `No function named ${name}`)
    const filters = replayFilters(fn.triggers)
    if (filters.length === 0) {
      throw new StratusError(
        'request/invalid',
        `Function ${name} has no event trigger: a replay runs a function over the events its event triggers match`,
      )
    }
    const bounds: ReplayBounds = {
      fromSequence: range.fromSequence ?? 1,
      toSequence: range.toSequence ?? (await this.options.replays.lastSequence()),
      fromTime: range.fromTime ? new Date(range.fromTime) : null,
      toTime: range.toTime ? new Date(range.toTime) : null,
    }
    const total = await this.options.replays.count(filters, bounds)
    if (options.dryRun) return { total }
    const id = newEventId()
    await this.options.replays.create({
      id,
      function: name,
      version: fn.version,
      bounds,
      force: options.force,
      total,
    })
    this.wake()
    return { id, total }
  }

  /** A replay's progress, or `functions/not-found`. */
  async get(name: string, id: string): Promise<ReplayView> {
    const found = await this.options.replays.get(name, id)
    if (!found) throw new StratusError('functions/not-found', `Function ${name} has no replay ${id}`)
    return view(found)
  }

  /** Cancels a running replay (a finished one is answered as it is); `functions/not-found` if unknown. */
  async cancel(name: string, id: string): Promise<ReplayView> {
    const found = await this.options.replays.cancel(name, id)
    if (!found) throw new StratusError('functions/not-found', `Function ${name} has no replay ${id}`)
    // Stopped here at once if this process runs it; elsewhere, at its runner's next checkpoint.
    this.running.get(id)?.stop()
    return view(found)
  }

  /** Deletes finished replays older than `hours` (housekeeping); returns how many. */
  prune(hours: number): Promise<number> {
    return this.options.replays.prune(hours)
  }

  /** Starts looking for replays to run (worker processes). */
  start(): void {
    this.timer = setInterval(() => this.wake(), POLL_MS)
    this.timer.unref()
    this.wake()
  }

  /** Looks for replays to run now, if this process runs them. */
  wake(): void {
    if (!this.timer || this.stopped || this.polling) return
    this.polling = this.claimSome()
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'functions: replay claim failed'))
      .finally(() => {
        this.polling = undefined
      })
  }

  /** Stops claiming, stops the replays running here after their executions in flight, and releases them. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await this.polling
    for (const run of this.running.values()) run.stop()
    await Promise.all([...this.running.values()].map((r) => r.done))
  }

  private async claimSome(): Promise<void> {
    while (this.running.size < MAX_RUNNING && !this.stopped) {
      const claim = await this.options.replays.claim(this.options.holder, LEASE_MS)
      if (!claim) return
      let stopped = false
      const entry = {
        stop: () => {
          stopped = true
        },
        done: Promise.resolve(),
      }
      entry.done = this.run(claim, () => stopped)
        .catch((error: unknown) =>
          this.options.logger.error({ err: error, replay: claim.id }, 'functions: replay failed'),
        )
        .finally(() => this.running.delete(claim.id))
      this.running.set(claim.id, entry)
    }
  }

  /** Runs a claimed replay until it is done, cancelled, taken over, or this process stops. */
  private async run(claim: ReplayClaim, stopped: () => boolean): Promise<void> {
    const { replays, store, lookup, holder, rate } = this.options
    const progress: ReplayProgress = {
      cursor: claim.cursor,
      processed: claim.processed,
      skipped: claim.skipped,
      failed: claim.failed,
    }
    const fn = await lookup.version(claim.function, claim.version)
    if (!fn) {
      await replays.finish(
        claim.id,
        holder,
        'failed',
        progress,
        `version ${claim.version} of ${claim.function} no longer exists`,
      )
      return
    }
    const filters = replayFilters(fn.triggers)
    const triggers = fn.triggers.filter((t) => t.type === 'event')
    const bounds: ReplayBounds = {
      fromSequence: claim.fromSequence,
      toSequence: claim.toSequence,
      fromTime: claim.fromTime ? new Date(claim.fromTime) : null,
      toTime: claim.toTime ? new Date(claim.toTime) : null,
    }
    const pacer = new Pacer(rate)
    const slots = new Limiter(Math.max(1, Math.min(fn.concurrency, MAX_CONCURRENCY)))
    const batchSize = Math.max(1, Math.min(MAX_BATCH, rate * 2))
    let mine = true
    // Progress shows, and the claim is renewed, while a batch runs too: a slow batch must not let it lapse.
    const renew = setInterval(() => {
      replays
        .checkpoint(claim.id, holder, progress, LEASE_MS)
        .then((held) => {
          mine &&= held
        })
        .catch(() => undefined)
    }, PROGRESS_MS)
    renew.unref()
    // Cancelled elsewhere (or taken over), seen at a checkpoint: runs not started yet are dropped too.
    const halted = () => stopped() || !mine
    try {
      while (!halted()) {
        const events = await replays.events(filters, bounds, progress.cursor, batchSize)
        if (events.length === 0) {
          await replays.finish(claim.id, holder, 'done', progress)
          return
        }
        // The SQL filter is the trigger's glob translated; the dispatcher's own match has the last word.
        const matching = events.filter((e) => matchEvent(triggers, e) === 'event')
        const done = claim.force
          ? matching.map(() => false)
          : await store.succeededAmong(
              matching.map((e) => ({ name: fn.name, version: fn.version, eventId: e.id })),
            )
        // The last sequence handled once this batch's runs end: all of it, unless stopped part-way
        // (before the first event not started: runs start in order, and a stop is for good).
        let handled = events[events.length - 1]!.sequence
        const notStarted = (event: StratusEvent) => {
          handled = Math.min(handled, event.sequence - 1)
        }
        const runs: Promise<void>[] = []
        for (const [i, event] of matching.entries()) {
          if (halted()) {
            notStarted(event)
            break
          }
          if (done[i]) {
            progress.skipped++
            continue
          }
          await pacer.take()
          runs.push(
            slots.run(async () => {
              if (halted()) notStarted(event)
              else await this.runOne(fn, claim, event, progress)
            }),
          )
        }
        await Promise.all(runs)
        progress.cursor = handled
        if (!halted()) mine = await replays.checkpoint(claim.id, holder, progress, LEASE_MS)
      }
      // This process is stopping (not a cancel): another node may take over at once, from the cursor.
      if (mine && this.stopped) await replays.release(claim.id, holder, progress)
    } finally {
      clearInterval(renew)
    }
  }

  private async runOne(
    fn: FunctionVersion,
    claim: ReplayClaim,
    event: StratusEvent,
    progress: ReplayProgress,
  ): Promise<void> {
    const key = claim.force ? `${event.id}.replay.${claim.id}` : undefined
    const { outcome, written } = await this.options.executor.run(fn, event, 'replay', 1, 'write', { key })
    await written
    progress.processed++
    if (outcome.status !== 'succeeded') progress.failed++
  }
}

function view(claim: ReplayClaim): ReplayView {
  const { cursor: _cursor, ...rest } = claim
  return rest
}
