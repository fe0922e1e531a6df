import type { UserRow } from './users.ts'

interface Entry {
  row: UserRow
  until: number
}

/**
 * A short-lived, per-process memory of "user U with session S is enabled and live", so that an
 * authenticated client polling GET /auth/v1/user does not cost a database read per request. This
 * node's own writes (update, disable, delete, logout, revocation) forget the user at once; a change
 * made through another node shows here within `ttlMs`. (An ended session's access tokens are refused
 * on every route through SessionRevocations, within AUTH_REVOCATION_CHECK_MS.) `ttlMs` 0 = off.
 */
export class UserCache {
  private readonly ttlMs: number
  private readonly maxEntries: number
  private readonly byUser = new Map<string, Map<string, Entry>>()
  private size = 0

  constructor(options: { ttlMs: number; maxEntries?: number }) {
    this.ttlMs = options.ttlMs
    this.maxEntries = options.maxEntries ?? 10_000
  }

  get(uid: string, sid: string): UserRow | undefined {
    const entry = this.byUser.get(uid)?.get(sid)
    if (!entry) return undefined
    if (entry.until > Date.now()) return entry.row
    this.forget(uid)
    return undefined
  }

  set(uid: string, sid: string, row: UserRow): void {
    if (this.ttlMs <= 0) return
    if (this.size >= this.maxEntries) {
      // Full: drop the oldest user (Map order is insertion order).
      const oldest = this.byUser.keys().next().value
      if (oldest !== undefined) this.forget(oldest)
    }
    let sessions = this.byUser.get(uid)
    if (!sessions) {
      sessions = new Map()
      this.byUser.set(uid, sessions)
    }
    if (!sessions.has(sid)) this.size++
    sessions.set(sid, { row, until: Date.now() + this.ttlMs })
  }

  /** Forgets everything about a user (after any write that concerns it). */
  forget(uid: string): void {
    const sessions = this.byUser.get(uid)
    if (!sessions) return
    this.size -= sessions.size
    this.byUser.delete(uid)
  }
}
