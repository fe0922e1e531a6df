import { StratusError } from './errors.js'
import type { HttpClient, TokenSource } from './http.js'
import { MfaClient } from './mfa.js'
import type { KeyValueStore } from './session-store.js'

/** API.md's user. */
export interface User {
  id: string
  email: string | null
  anonymous: boolean
  data: Record<string, unknown>
  createdAt: string
  updatedAt: string
}

/** API.md's session, plus the user it belongs to (kept by the SDK; refreshes carry no user). */
export interface Session {
  access_token: string
  refresh_token: string
  token_type: 'bearer'
  /** Seconds the access token lived when issued. */
  expires_in: number
  /** Unix seconds when the access token expires. */
  expires_at: number
  user: User | null
}

export type AuthChangeEvent =
  | 'INITIAL_SESSION'
  | 'SIGNED_IN'
  | 'SIGNED_OUT'
  | 'TOKEN_REFRESHED'
  | 'USER_UPDATED'
  | 'MFA_CHALLENGE_VERIFIED'

export type AuthListener = (event: AuthChangeEvent, session: Session | null) => void

export interface Credentials {
  email: string
  password: string
}

export interface UserAttributes {
  email?: string
  password?: string
  data?: Record<string, unknown>
}

type ApiSession = Omit<Session, 'user'>

/** Answers of these codes to a refresh mean the session is gone for good: sign out locally. */
const DEAD_SESSION_CODES = new Set([
  'auth/token-reused',
  'auth/token-expired',
  'auth/invalid-credentials',
  'auth/unauthenticated',
])

/** Refresh this long before expiry (at most; a quarter of the lifetime for short-lived tokens). */
const REFRESH_MARGIN_MS = 60_000
/** After a refresh that failed for a passing reason (network), try again this much later. */
const REFRESH_RETRY_MS = 5_000

export interface AuthClientOptions {
  /** Requests that carry no session (sign-in, refresh, recovery). */
  http: HttpClient
  /** Requests as the signed-in user. */
  userHttp: HttpClient
  /** Where the session persists; null keeps it in memory only. */
  store: KeyValueStore | null
  storageKey: string
}

/**
 * The signed-in session: kept (and persisted), refreshed before it expires with one refresh in
 * flight however many requests wait on it, and announced to `onAuthStateChange` listeners.
 * A refresh answered `auth/token-reused` (another holder spent the token: API.md revokes the family)
 * signs the client out.
 */
export class AuthClient implements TokenSource {
  readonly #http: HttpClient
  readonly #userHttp: HttpClient
  readonly #store: KeyValueStore | null
  readonly #storageKey: string
  readonly #listeners = new Set<AuthListener>()
  readonly #ready: Promise<void>
  #session: Session | null = null
  /** Local-clock time (ms) when the access token expires: immune to a skewed device clock. */
  #expiresAtMs = 0
  #refreshing: Promise<Session | null> | null = null
  #timer: ReturnType<typeof setTimeout> | undefined
  #stopFollowing: () => void = () => undefined
  /** TOTP factors and aal2 (API.md "MFA"). */
  readonly mfa: MfaClient<Session>

  constructor(options: AuthClientOptions) {
    this.#http = options.http
    this.#userHttp = options.userHttp
    this.#store = options.store
    this.#storageKey = options.storageKey
    this.#ready = this.#load()
    this.mfa = new MfaClient<Session>(options.userHttp, async (answer) => {
      const session: Session = { ...(answer.session as ApiSession), user: this.#session?.user ?? null }
      await this.#replace(session, 'MFA_CHALLENGE_VERIFIED')
      return session
    })
  }

  // --- TokenSource ---

  async token(): Promise<string | null> {
    await this.#ready
    const session = this.#session
    if (!session) return null
    if (Date.now() < this.#expiresAtMs - margin(session)) return session.access_token
    try {
      return (await this.#refresh())?.access_token ?? null
    } catch {
      // A refresh that could not reach the API: send the old token; the API decides.
      return this.#session?.access_token ?? null
    }
  }

  async expired(token: string): Promise<boolean> {
    await this.#ready
    if (!this.#session) return false
    if (this.#session.access_token !== token) return true
    try {
      return (await this.#refresh()) !== null
    } catch {
      return false
    }
  }

  // --- the public surface ---

  async signUp(
    input: Credentials & { data?: Record<string, unknown> },
  ): Promise<{ user: User; session: Session }> {
    return this.#signIn(await this.#http.post<{ user: User; session: ApiSession }>('/auth/v1/signup', input))
  }

  async signInWithPassword(input: Credentials): Promise<{ user: User; session: Session }> {
    return this.#signIn(
      await this.#http.post<{ user: User; session: ApiSession }>(
        '/auth/v1/token',
        { email: input.email, password: input.password },
        { query: { grant_type: 'password' } },
      ),
    )
  }

  async signInAnonymously(
    input: { data?: Record<string, unknown> } = {},
  ): Promise<{ user: User; session: Session }> {
    return this.#signIn(
      await this.#http.post<{ user: User; session: ApiSession }>('/auth/v1/anonymous', input),
    )
  }

  /** Revokes the session on the server (best effort) and forgets it here. */
  async signOut(): Promise<void> {
    await this.#ready
    const session = this.#session
    if (!session) return
    await this.#replace(null, 'SIGNED_OUT')
    try {
      await this.#http.post('/auth/v1/logout', undefined, {
        headers: { authorization: `Bearer ${session.access_token}` },
      })
    } catch {
      // Signed out locally either way; an expired access token cannot revoke, and the refresh token
      // is no longer held anywhere.
    }
  }

  /** The signed-in user, fresh from the API (`auth/unauthenticated` when signed out). */
  async getUser(): Promise<User> {
    const { user } = await this.#userHttp.get<{ user: User }>('/auth/v1/user')
    // A session adopted without its user (recovery, OAuth redirect) learns it here.
    if (this.#session && (this.#session.user === null || this.#session.user.id === user.id)) {
      await this.#replace({ ...this.#session, user }, null)
    }
    return user
  }

  /** Changes email, password or data (merged); upgrades an anonymous user in place. */
  async updateUser(attributes: UserAttributes): Promise<User> {
    const { user } = await this.#userHttp.patch<{ user: User }>('/auth/v1/user', attributes)
    if (this.#session) await this.#replace({ ...this.#session, user }, 'USER_UPDATED')
    return user
  }

  /** Mails a one-time recovery token; resolves the same whether or not the address has an account. */
  async resetPasswordForEmail(email: string): Promise<void> {
    await this.#http.post('/auth/v1/recover', { email })
  }

  /** Spends a recovery token, sets the new password and signs in. */
  async verifyRecovery(input: { token: string; password: string }): Promise<Session> {
    const { session } = await this.#http.post<{ session: ApiSession }>('/auth/v1/verify', {
      type: 'recovery',
      ...input,
    })
    const full: Session = { ...session, user: null }
    await this.#replace(full, 'SIGNED_IN')
    await this.getUser().catch(() => undefined)
    return this.#session ?? full
  }

  /**
   * Adopts a session obtained elsewhere, e.g. the `#access_token=…&refresh_token=…` fragment an OAuth
   * sign-in redirects back with. The user is fetched with it.
   */
  async setSession(input: {
    access_token: string
    refresh_token: string
    expires_in?: number
  }): Promise<Session> {
    const expiresIn = input.expires_in ?? secondsLeft(input.access_token)
    const session: Session = {
      access_token: input.access_token,
      refresh_token: input.refresh_token,
      token_type: 'bearer',
      expires_in: expiresIn,
      expires_at: Math.floor(Date.now() / 1000) + expiresIn,
      user: null,
    }
    await this.#replace(session, 'SIGNED_IN')
    await this.getUser()
    return this.#session ?? session
  }

  /** The current session, refreshed first when it is about to expire; null when signed out. */
  async getSession(): Promise<Session | null> {
    await this.token()
    return this.#session
  }

  /** The URL that starts an OAuth/OIDC sign-in with a configured provider (open it or redirect to it). */
  oauthUrl(provider: string, redirectTo: string): string {
    return this.#http.url('/auth/v1/authorize', { provider, redirect_to: redirectTo })
  }

  /**
   * Calls `listener` on every sign-in, sign-out, refresh and user update; first, once, with
   * `INITIAL_SESSION` and the session loaded at start. Returns the function that stops it.
   */
  onAuthStateChange(listener: AuthListener): () => void {
    this.#listeners.add(listener)
    void this.#ready.then(() => {
      if (this.#listeners.has(listener)) notify(listener, 'INITIAL_SESSION', this.#session)
    })
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** Stops the refresh timer and following other tabs (the session stays stored). */
  close(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#stopFollowing()
  }

  // --- internals ---

  async #signIn(answer: { user: User; session: ApiSession }): Promise<{ user: User; session: Session }> {
    await this.#ready
    const session: Session = { ...answer.session, user: answer.user }
    await this.#replace(session, 'SIGNED_IN')
    return { user: answer.user, session }
  }

  #refresh(): Promise<Session | null> {
    this.#refreshing ??= this.#exclusive(() => this.#doRefresh()).finally(() => {
      this.#refreshing = null
    })
    return this.#refreshing
  }

  /**
   * Runs `fn` alone among every client sharing this session's store: other tabs (Web Locks) and
   * other clients of this process. Two holders refreshing one token at once would make the second a
   * reuse, which revokes the session for both.
   */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.#store) return fn()
    const locks = (globalThis as { navigator?: { locks?: WebLocks } }).navigator?.locks
    if (typeof locks?.request === 'function') return locks.request(`stratus:${this.#storageKey}`, fn)
    return inProcessLock(this.#store, this.#storageKey, fn)
  }

  async #doRefresh(): Promise<Session | null> {
    let session = this.#session
    if (!session) return null
    // Another client sharing the store may have refreshed (spending our refresh token), signed in or
    // signed out since we last looked: take what it stored rather than present a spent token.
    const stored = await this.#readStore()
    if (stored !== undefined && stored?.refresh_token !== session.refresh_token) {
      if (this.#session !== session) return this.#session
      await this.#adopt(stored)
      if (!stored) return null
      session = stored
      if (Date.now() < this.#expiresAtMs - margin(session)) return session
    }
    let answer: { session: ApiSession }
    try {
      answer = await this.#http.post<{ session: ApiSession }>(
        '/auth/v1/token',
        { refresh_token: session.refresh_token },
        { query: { grant_type: 'refresh_token' } },
      )
    } catch (error) {
      if (this.#session !== session) return this.#session
      if (error instanceof StratusError && DEAD_SESSION_CODES.has(error.code)) {
        await this.#replace(null, 'SIGNED_OUT')
        return null
      }
      this.#schedule(REFRESH_RETRY_MS)
      throw error
    }
    // Signed out or in as someone else meanwhile: this refresh belongs to a session no longer held.
    if (this.#session !== session) return this.#session
    const fresh: Session = { ...answer.session, user: session.user }
    await this.#replace(fresh, 'TOKEN_REFRESHED')
    return fresh
  }

  /** Takes the session another client stored (null: it signed out), announcing the change. */
  async #adopt(stored: Session | null): Promise<void> {
    const current = this.#session
    if (stored?.refresh_token === current?.refresh_token) return
    const event: AuthChangeEvent = !stored
      ? 'SIGNED_OUT'
      : current && stored.user?.id === current.user?.id
        ? 'TOKEN_REFRESHED'
        : 'SIGNED_IN'
    // Its receipt time is unknown here: the absolute expiry is the best there is.
    await this.#replace(stored, event, stored ? stored.expires_at * 1000 : 0)
  }

  /** The stored session: undefined without a store (or when it cannot be read), null when empty. */
  async #readStore(): Promise<Session | null | undefined> {
    if (!this.#store) return undefined
    try {
      const text = await this.#store.getItem(this.#storageKey)
      return text ? parseSession(text) : null
    } catch {
      return undefined
    }
  }

  /** Sets the session (or clears it), persists it, re-arms the refresh timer and tells listeners. */
  async #replace(
    session: Session | null,
    event: AuthChangeEvent | null,
    expiresAtMs?: number,
  ): Promise<void> {
    this.#session = session
    this.#expiresAtMs = session ? (expiresAtMs ?? Date.now() + session.expires_in * 1000) : 0
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (session) this.#schedule(Math.max(0, this.#expiresAtMs - margin(session) - Date.now()))
    if (this.#store) {
      try {
        if (session) await this.#store.setItem(this.#storageKey, JSON.stringify(session))
        else await this.#store.removeItem(this.#storageKey)
      } catch {
        // A full or unavailable store must not break signing in: the session still lives in memory.
      }
    }
    if (event) for (const listener of [...this.#listeners]) notify(listener, event, session)
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#refresh().catch(() => undefined)
    }, delayMs)
    // A pending refresh must not keep a Node process alive on its own.
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  async #load(): Promise<void> {
    const stored = await this.#readStore()
    if (stored) {
      this.#session = stored
      // The stored absolute expiry is the best a reloaded page knows.
      this.#expiresAtMs = stored.expires_at * 1000
      this.#schedule(Math.max(0, this.#expiresAtMs - margin(stored) - Date.now()))
    }
    this.#followOtherTabs()
  }

  /**
   * With `localStorage`, a sign-in, refresh or sign-out in another tab fires a `storage` event here:
   * this client follows it at once instead of at its next refresh.
   */
  #followOtherTabs(): void {
    const target = globalThis as {
      localStorage?: unknown
      addEventListener?: (
        type: string,
        listener: (event: { key: string | null; newValue: string | null }) => void,
      ) => void
      removeEventListener?: (
        type: string,
        listener: (event: { key: string | null; newValue: string | null }) => void,
      ) => void
    }
    if (!this.#store || this.#store !== target.localStorage || typeof target.addEventListener !== 'function')
      return
    const listener = (event: { key: string | null; newValue: string | null }) => {
      if (event.key !== this.#storageKey && event.key !== null) return
      void this.#ready.then(() => this.#adopt(event.newValue ? parseSession(event.newValue) : null))
    }
    target.addEventListener('storage', listener)
    this.#stopFollowing = () => target.removeEventListener?.('storage', listener)
  }
}

/** The part of the Web Locks API used here (`navigator.locks`: browsers, Deno). */
interface WebLocks {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>
}

/** Per store and key, the tail of the refreshes queued in this process. */
const lockChains = new WeakMap<KeyValueStore, Map<string, Promise<unknown>>>()

/** Runs `fn` after every earlier call for the same store and key has settled (where there are no Web Locks). */
function inProcessLock<T>(store: KeyValueStore, key: string, fn: () => Promise<T>): Promise<T> {
  let chains = lockChains.get(store)
  if (!chains) {
    chains = new Map()
    lockChains.set(store, chains)
  }
  const run = (chains.get(key) ?? Promise.resolve()).then(fn, fn)
  const tail = run.catch(() => undefined)
  chains.set(key, tail)
  void tail.then(() => {
    if (chains.get(key) === tail) chains.delete(key)
  })
  return run
}

function margin(session: Session): number {
  return Math.min(REFRESH_MARGIN_MS, (session.expires_in * 1000) / 4)
}

function notify(listener: AuthListener, event: AuthChangeEvent, session: Session | null): void {
  try {
    listener(event, session)
  } catch (error) {
    reportListenerError(error)
  }
}

/**
 * One faulty listener must not stop the others or the SDK: the error goes where the runtime reports
 * uncaught errors in browsers (`reportError`), or to the console.
 */
export function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError
  if (typeof report === 'function') report(error)
  else console.error('Stratus: a listener threw', error)
}

function parseSession(text: string): Session | null {
  try {
    const value = JSON.parse(text) as Partial<Session>
    if (
      typeof value.access_token === 'string' &&
      typeof value.refresh_token === 'string' &&
      typeof value.expires_at === 'number' &&
      typeof value.expires_in === 'number'
    ) {
      return { token_type: 'bearer', user: null, ...value } as Session
    }
  } catch {
    // A corrupt stored session is treated as none.
  }
  return null
}

/** Seconds until a JWT's `exp` (0 when it cannot be read). */
function secondsLeft(jwt: string): number {
  try {
    const payload = jwt.split('.')[1] ?? ''
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    const exp = (JSON.parse(json) as { exp?: unknown }).exp
    return typeof exp === 'number' ? Math.max(0, Math.floor(exp - Date.now() / 1000)) : 0
  } catch {
    return 0
  }
}
