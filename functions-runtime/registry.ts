import type { FunctionVersion } from '../services/functions/model.ts'
import type { FunctionStore } from './store.ts'
import { consumedQueues } from './triggers.ts'

/**
 * This process's view of which version of each function is live. Loaded at start, refreshed for one
 * function right after this node changes it, when the bus fan-out reports a change made on another node,
 * and by a periodic full reload as a safety net. A version record is immutable, so an invocation always
 * runs one consistent version (code, limits and triggers together).
 */
export class FunctionRegistry {
  private readonly store: FunctionStore
  private live = new Map<string, FunctionVersion>()
  private readonly listeners = new Set<(name: string, version: FunctionVersion | undefined) => void>()
  /** Loads run one after another, so an older read never overwrites a newer one. */
  private chain: Promise<unknown> = Promise.resolve()

  constructor(store: FunctionStore) {
    this.store = store
  }

  /** The live version of `name`, if the function exists. */
  get(name: string): FunctionVersion | undefined {
    return this.live.get(name)
  }

  /** Every live version. */
  all(): IterableIterator<FunctionVersion> {
    return this.live.values()
  }

  /** Queues that some live function consumes. */
  queues(): Set<string> {
    const out = new Set<string>()
    for (const fn of this.live.values()) for (const q of consumedQueues(fn.triggers)) out.add(q)
    return out
  }

  /** Calls `listener` whenever a function's live version changes here (undefined: deleted). */
  onChange(listener: (name: string, version: FunctionVersion | undefined) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Reloads every function. */
  reload(): Promise<void> {
    return this.serial(() => this.load())
  }

  /** Reloads one function. */
  refresh(name: string): Promise<FunctionVersion | undefined> {
    return this.serial(() => this.loadOne(name))
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn)
    this.chain = run.catch(() => undefined)
    return run
  }

  private async load(): Promise<void> {
    const next = new Map((await this.store.liveVersions()).map((v) => [v.name, v]))
    const previous = this.live
    this.live = next
    for (const [name, version] of next) {
      if (previous.get(name)?.version !== version.version) this.emit(name, version)
    }
    for (const name of previous.keys()) if (!next.has(name)) this.emit(name, undefined)
  }

  private async loadOne(name: string): Promise<FunctionVersion | undefined> {
    const version = await this.store.liveVersion(name)
    const before = this.live.get(name)
    if (version) this.live.set(name, version)
    else this.live.delete(name)
    if (before?.version !== version?.version || (before && !version)) this.emit(name, version)
    return version
  }

  private emit(name: string, version: FunctionVersion | undefined): void {
    for (const listener of this.listeners) listener(name, version)
  }
}
