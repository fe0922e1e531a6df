import type { FunctionVersion } from '../services/functions/model.ts'
import type { FunctionRegistry } from './registry.ts'
import type { FunctionStore } from './store.ts'

/** How long a name the database did not know is answered as unknown without asking again. */
const NEGATIVE_CACHE_MS = 1000

/**
 * Finds the version a call or a job runs: the live one (the registry's, or the database's on a miss),
 * or an older one a pending job was made for.
 */
export class FunctionLookup {
  private readonly registry: FunctionRegistry
  private readonly store: FunctionStore
  private readonly versionCache = new Map<string, FunctionVersion>()
  private readonly misses = new Map<string, number>()

  constructor(registry: FunctionRegistry, store: FunctionStore) {
    this.registry = registry
    this.store = store
  }

  /** The live version of `name`; on a miss, asks the database (at most once a second per name unless `force`). */
  async live(name: string, force = false): Promise<FunctionVersion | undefined> {
    const known = this.registry.get(name)
    if (known) return known
    const missedAt = this.misses.get(name)
    if (!force && missedAt !== undefined && Date.now() - missedAt < NEGATIVE_CACHE_MS) return undefined
    const found = await this.registry.refresh(name)
    if (!found) {
      if (this.misses.size > 10_000) this.misses.clear()
      this.misses.set(name, Date.now())
    }
    return found
  }

  /** An older (immutable) version, cached. */
  async version(name: string, version: number): Promise<FunctionVersion | undefined> {
    const key = `${name}@${version}`
    const cached = this.versionCache.get(key)
    if (cached) return cached
    const found = await this.store.version(name, version)
    if (found) {
      if (this.versionCache.size > 1000) this.versionCache.clear()
      this.versionCache.set(key, found)
    }
    return found
  }

  /** Drops a remembered miss: `name` changed, so it may exist now. */
  forget(name: string): void {
    this.misses.delete(name)
  }
}
