import type { Document, WhereClause } from './db/types.js'
import { StratusError } from './errors.js'

/** The part of the WebSocket API the SDK uses: the browser's, Node 22's, or the `ws` package's. */
export interface WebSocketLike {
  readonly readyState: number
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

export type WebSocketConstructor = new (url: string) => WebSocketLike

/** A change as the server sends it (API.md "Realtime"). */
export interface ChangeFrame {
  type: 'change'
  id: string
  sequence: number
  event: 'created' | 'updated' | 'deleted'
  document: Document
  previous?: Document
  /** false: an update that took the document out of the subscription (its `where` or read rule). */
  matches?: boolean
}

/** What to watch: one document (`docId`) or the documents of a collection matching `where`. */
export interface SubscriptionSpec {
  collection: string
  where?: WhereClause[]
  docId?: string
}

export interface SubscriptionHandlers {
  /**
   * The subscription is live. `fresh` is true when the listener has to load its state from scratch
   * (the first time, and after the server could not replay what was missed); false after a resume
   * that replayed every missed change.
   */
  live(fresh: boolean): void
  change(change: ChangeFrame): void
  /** The server refused or ended the subscription; no more calls follow. */
  failed(error: StratusError): void
}

export interface RealtimeOptions {
  /** The API's base URL (http/https; turned into ws/wss). */
  baseUrl: string
  /** The bearer token to connect with (null = anonymous). */
  token: () => Promise<string | null>
  /** A WebSocket constructor; by default the global one, else the `ws` package (Node 20). */
  WebSocket?: WebSocketConstructor
  /** Backoff between reconnects: `min(maxDelayMs, baseDelayMs·2^attempt)`, with full jitter. */
  baseDelayMs?: number
  maxDelayMs?: number
  /** The client pings this often and reconnects when no frame arrives for twice as long. */
  heartbeatMs?: number
}

interface Subscription {
  spec: SubscriptionSpec
  handlers: SubscriptionHandlers
  /** Its id on the current connection (a new one after a reset, so late frames of the old one drop). */
  wireId: string
  /** The last sequence seen: resumes send it as `since`. Null until first live. */
  sequence: number | null
  /** Whether the next `subscribed` starts from scratch. */
  fresh: boolean
}

const OPEN = 1
const CLOSE_NORMAL = 1000
/** The server closes with this when the token is bad or expired: reconnect with a fresh one. */
const CLOSE_UNAUTHENTICATED = 4001

/**
 * One WebSocket for every listener of a client. It connects when the first listener starts, closes
 * when the last one stops, and on any drop reconnects with exponential backoff and jitter, resuming
 * each subscription with `since` = the last sequence it saw, so no change is lost and (sequences
 * being dropped when not above it) none is delivered twice.
 */
export class RealtimeConnection {
  readonly #options: RealtimeOptions
  readonly #subscriptions = new Map<string, Subscription>()
  #socket: WebSocketLike | null = null
  #connecting = false
  #attempt = 0
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #lastFrameAt = 0
  #nextId = 0
  #closed = false

  constructor(options: RealtimeOptions) {
    this.#options = options
  }

  /** Starts a subscription; the returned function ends it. */
  subscribe(spec: SubscriptionSpec, handlers: SubscriptionHandlers): () => void {
    const subscription: Subscription = {
      spec,
      handlers,
      wireId: this.#newId(),
      sequence: null,
      fresh: true,
    }
    this.#subscriptions.set(subscription.wireId, subscription)
    this.#closed = false
    if (this.#socket?.readyState === OPEN) this.#sendSubscribe(subscription)
    else this.#connect()
    return () => this.#remove(subscription, true)
  }

  /** Sends a new token on the open connection (after a refresh), so later changes use it. */
  updateToken(token: string): void {
    if (this.#socket?.readyState === OPEN) this.#send({ type: 'auth', access_token: token })
  }

  /** Reconnects now (e.g. after signing in or out: subscriptions resume under the new identity). */
  reconnect(): void {
    if (!this.#socket) return
    this.#drop(CLOSE_NORMAL, 'identity changed')
    this.#attempt = 0
    this.#scheduleReconnect(0)
  }

  /** Ends every subscription and the connection. */
  close(): void {
    this.#closed = true
    this.#subscriptions.clear()
    clearTimeout(this.#retryTimer)
    this.#drop(CLOSE_NORMAL, 'client closed')
  }

  /** For tests and diagnostics: whether a socket is open. */
  get connected(): boolean {
    return this.#socket?.readyState === OPEN
  }

  #newId(): string {
    this.#nextId += 1
    return `s${this.#nextId}`
  }

  #remove(subscription: Subscription, tellServer: boolean): void {
    if (this.#subscriptions.get(subscription.wireId) !== subscription) return
    this.#subscriptions.delete(subscription.wireId)
    if (tellServer && this.#socket?.readyState === OPEN) {
      this.#send({ type: 'unsubscribe', id: subscription.wireId })
    }
    if (this.#subscriptions.size === 0) {
      clearTimeout(this.#retryTimer)
      this.#drop(CLOSE_NORMAL, 'no subscriptions')
    }
  }

  async #connect(): Promise<void> {
    if (this.#socket || this.#connecting || this.#closed || this.#subscriptions.size === 0) return
    this.#connecting = true
    let socket: WebSocketLike
    try {
      const [Socket, token] = await Promise.all([
        webSocketClass(this.#options.WebSocket),
        this.#options.token(),
      ])
      if (this.#closed || this.#subscriptions.size === 0) return
      const url = realtimeUrl(this.#options.baseUrl)
      if (token) url.searchParams.set('access_token', token)
      socket = new Socket(url.toString())
    } catch (error) {
      // Retrying cannot help these: tell every listener instead of retrying forever in silence.
      if (error instanceof StratusError && FATAL_CODES.has(error.code)) {
        for (const subscription of [...this.#subscriptions.values()]) {
          this.#remove(subscription, false)
          subscription.handlers.failed(error)
        }
        return
      }
      this.#scheduleReconnect()
      return
    } finally {
      this.#connecting = false
    }
    this.#socket = socket
    socket.onopen = () => {
      if (this.#socket !== socket) return
      this.#lastFrameAt = Date.now()
      this.#startHeartbeat()
      for (const subscription of this.#subscriptions.values()) this.#sendSubscribe(subscription)
    }
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return
      this.#lastFrameAt = Date.now()
      if (typeof event.data === 'string') this.#onFrame(event.data)
    }
    socket.onerror = () => {
      // Always followed by `close`, where reconnecting happens.
    }
    socket.onclose = (event) => {
      if (this.#socket !== socket) return
      this.#socket = null
      this.#stopHeartbeat()
      if (this.#closed || this.#subscriptions.size === 0) return
      // A token the server refused: the next connect asks for a token again (refreshing it).
      this.#scheduleReconnect(event.code === CLOSE_UNAUTHENTICATED ? 0 : undefined)
    }
  }

  #sendSubscribe(subscription: Subscription): void {
    const frame: Record<string, unknown> = {
      type: 'subscribe',
      id: subscription.wireId,
      collection: subscription.spec.collection,
    }
    if (subscription.spec.where?.length) frame.where = subscription.spec.where
    if (subscription.spec.docId !== undefined) frame.docId = subscription.spec.docId
    if (!subscription.fresh && subscription.sequence !== null) frame.since = subscription.sequence
    this.#send(frame)
  }

  #onFrame(text: string): void {
    let frame: {
      type?: unknown
      id?: unknown
      sequence?: unknown
      error?: { code?: unknown; message?: unknown }
    }
    try {
      frame = JSON.parse(text)
    } catch {
      return
    }
    const subscription = typeof frame.id === 'string' ? this.#subscriptions.get(frame.id) : undefined
    switch (frame.type) {
      case 'change': {
        if (!subscription || typeof frame.sequence !== 'number') return
        // A resume replays from `since`; anything at or below what was seen is a repeat.
        if (subscription.sequence !== null && frame.sequence <= subscription.sequence) return
        subscription.sequence = frame.sequence
        subscription.handlers.change(frame as unknown as ChangeFrame)
        return
      }
      case 'subscribed': {
        if (!subscription || typeof frame.sequence !== 'number') return
        this.#attempt = 0
        subscription.sequence = Math.max(subscription.sequence ?? 0, frame.sequence)
        const fresh = subscription.fresh
        subscription.fresh = false
        subscription.handlers.live(fresh)
        return
      }
      case 'error': {
        const error = new StratusError(
          typeof frame.error?.code === 'string' ? frame.error.code : 'realtime/error',
          typeof frame.error?.message === 'string' ? frame.error.message : 'Realtime error',
          0,
        )
        if (!subscription) return // connection-level (a bad token): the close that follows reconnects
        if (error.code === 'realtime/replay-too-large') {
          // Too much was missed to replay: start over under a new id and let the listener reload.
          this.#subscriptions.delete(subscription.wireId)
          subscription.wireId = this.#newId()
          subscription.fresh = true
          subscription.sequence = null
          this.#subscriptions.set(subscription.wireId, subscription)
          if (this.#socket?.readyState === OPEN) this.#sendSubscribe(subscription)
          return
        }
        this.#remove(subscription, false)
        subscription.handlers.failed(error)
        return
      }
      default:
        return
    }
  }

  #send(frame: unknown): void {
    try {
      this.#socket?.send(JSON.stringify(frame))
    } catch {
      // A socket that is closing: the close handler reconnects and resubscribes.
    }
  }

  #scheduleReconnect(delayMs?: number): void {
    clearTimeout(this.#retryTimer)
    const base = this.#options.baseDelayMs ?? 250
    const max = this.#options.maxDelayMs ?? 30_000
    const delay = delayMs ?? Math.random() * Math.min(max, base * 2 ** this.#attempt)
    this.#attempt += 1
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      void this.#connect()
    }, delay)
  }

  #startHeartbeat(): void {
    this.#stopHeartbeat()
    const every = this.#options.heartbeatMs ?? 25_000
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastFrameAt > 2 * every) {
        this.#drop(4000, 'heartbeat timeout')
        this.#scheduleReconnect()
        return
      }
      this.#send({ type: 'ping' })
    }, every)
    ;(this.#heartbeat as { unref?: () => void }).unref?.()
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat)
    this.#heartbeat = undefined
  }

  /** Closes the current socket without reacting to its close event. */
  #drop(code: number, reason: string): void {
    const socket = this.#socket
    this.#socket = null
    this.#stopHeartbeat()
    if (!socket) return
    socket.onopen = socket.onmessage = socket.onclose = null
    socket.onerror = () => undefined
    try {
      socket.close(code, reason)
    } catch {
      // Already closed.
    }
  }
}

/** Connection failures no retry can mend. */
const FATAL_CODES = new Set(['realtime/no-websocket', 'realtime/invalid-url'])

/**
 * `ws(s)://…/realtime/v1` for the API's base URL; a same-origin path (`/api`) is resolved against the
 * page's location.
 */
function realtimeUrl(baseUrl: string): URL {
  let url: URL
  try {
    url = new URL(`${baseUrl}/realtime/v1`, (globalThis as { location?: { href?: string } }).location?.href)
  } catch {
    throw new StratusError('realtime/invalid-url', `Cannot make a WebSocket URL of the API URL ${baseUrl}`, 0)
  }
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return url
}

/**
 * The WebSocket class to use: the one passed in, the runtime's own, or the `ws` package, loaded only
 * in Node and through a specifier bundlers leave alone, so browser builds never include it.
 */
async function webSocketClass(given: WebSocketConstructor | undefined): Promise<WebSocketConstructor> {
  if (given) return given
  const native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (native) return native
  const specifier = 'ws'
  try {
    const module = (await import(/* @vite-ignore */ specifier)) as {
      WebSocket?: WebSocketConstructor
      default?: WebSocketConstructor
    }
    const Socket = module.WebSocket ?? module.default
    if (Socket) return Socket
  } catch {
    // Reported below.
  }
  throw new StratusError(
    'realtime/no-websocket',
    'No WebSocket implementation: install the "ws" package, or pass { WebSocket } to createClient',
    0,
  )
}
