/**
 * Where a signed-in session is kept between page loads: anything shaped like `localStorage`, sync or
 * async (React Native's AsyncStorage, a cookie adapter…).
 */
export interface KeyValueStore {
  getItem(key: string): string | null | Promise<string | null>
  setItem(key: string, value: string): void | Promise<void>
  removeItem(key: string): void | Promise<void>
}

/** A store that lives as long as the client: the default where there is no `localStorage` (Node). */
export class MemoryStore implements KeyValueStore {
  readonly #items = new Map<string, string>()

  getItem(key: string): string | null {
    return this.#items.get(key) ?? null
  }

  setItem(key: string, value: string): void {
    this.#items.set(key, value)
  }

  removeItem(key: string): void {
    this.#items.delete(key)
  }
}

/** `localStorage` when this runtime has a usable one (browsers; not Node, not a sandboxed iframe). */
export function browserStore(): KeyValueStore | null {
  try {
    const storage = (globalThis as { localStorage?: KeyValueStore }).localStorage
    if (!storage) return null
    const probe = '__stratus_probe__'
    storage.setItem(probe, probe)
    storage.removeItem(probe)
    return storage
  } catch {
    return null
  }
}
