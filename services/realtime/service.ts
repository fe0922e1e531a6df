import { type AuthContext, bypassesRules, type SigningKeys } from '../auth/signing-keys.ts'
import type { Bus } from '../bus/bus.ts'
import { StratusError } from '../core/errors.ts'
import type { StratusEvent } from '../core/events.ts'
import type { Logger } from '../core/logger.ts'
import type { Sql } from '../db/database.ts'
import type { ActiveCollection } from '../documents/collections.ts'
import { lastSequence, readOutbox } from '../outbox/outbox.ts'
import { oldestSequence } from '../outbox/outbox-retention.ts'
import { EventFeed } from './feed.ts'
import { errorFrame, PONG_FRAME, parseClientFrame, type SubscribeFrame, subscribedFrame } from './protocol.ts'
import { DocumentChange, Subscription, type Viewer, viewerOf } from './subscription.ts'
import { CollectionSubscribers } from './subscription-index.ts'

/** What realtime needs of a WebSocket (a `ws` WebSocket fits); the route wires its events to a connection. */
export interface RealtimeSocket {
  send(data: string): void
  close(code?: number, reason?: string): void
  terminate(): void
  ping(): void
  /** Bytes queued for sending and not yet written to the network. */
  readonly bufferedAmount: number
}

/** Close codes sent by the server (4000-4999 are the application's range). */
export const CLOSE_CODES = {
  /** The server is shutting down. */
  goingAway: 1001,
  /** The token was invalid, or expired (an error frame says which first). */
  unauthenticated: 4001,
  /** The client does not read fast enough: its send buffer passed the bound, or it floods frames. */
  slowConsumer: 4008,
} as const

/** Tunables, from configuration (REALTIME_*). */
export interface RealtimeLimits {
  /** The most events a `since` replay may cover; beyond it → `realtime/replay-too-large`. */
  maxReplay: number
  /** Ping interval; a connection silent for two intervals in a row is dropped. */
  heartbeatMs: number
  /** The most bytes queued for one connection before it is closed as a slow consumer. */
  maxBufferedBytes: number
  /** Subscriptions per connection. */
  maxSubscriptions: number
}

export interface RealtimeServiceOptions {
  db: Sql
  bus: Bus
  keys: Pick<SigningKeys, 'verify' | 'revocations'>
  /** The document database's collection configurations (read rules). */
  collections: { get(name: string): Promise<ActiveCollection | null> }
  logger: Logger
  limits: RealtimeLimits
  /** How often a quiet feed checks the outbox for events the bus did not bring. Default 1000 ms. */
  pollMs?: number
  /** Ceiling of that poll's back-off while polls find nothing. Default 4000 ms. */
  pollMaxMs?: number
  /** Told about the number of open connections (the websocket gauge). */
  onConnections?: (count: number) => void
}

/** Events per outbox read during a `since` replay. */
const REPLAY_PAGE = 500
/** Client frames waiting to be handled on one connection before it is closed. */
const MAX_PENDING_FRAMES = 1000
/** setTimeout's ceiling. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** One client connection: its identity, its subscriptions, its send buffer. */
export class RealtimeConnection {
  readonly socket: RealtimeSocket
  viewer: Viewer = viewerOf(null)
  readonly subscriptions = new Map<string, Subscription>()
  /** Cleared at each ping, set by a pong or a frame. */
  alive = true
  /** Consecutive heartbeats that found the connection silent; at 2 it is dropped. */
  missed = 0
  closed = false
  /** Client frames are handled one at a time, in order (an `auth` frame applies to the frames after it). */
  queue: Promise<void> = Promise.resolve()
  pendingFrames = 0
  expiry?: NodeJS.Timeout
  private readonly service: RealtimeService

  constructor(service: RealtimeService, socket: RealtimeSocket) {
    this.service = service
    this.socket = socket
  }

  /** Sends a frame unless the connection is closed; closes it (4008) when its send buffer is over the bound. */
  send(frame: string): void {
    if (this.closed) return
    if (this.socket.bufferedAmount > this.service.limits.maxBufferedBytes) {
      this.close(CLOSE_CODES.slowConsumer, 'slow consumer: send buffer full')
      return
    }
    this.socket.send(frame)
  }

  /** Sends an error frame (about subscription `id`, when given). */
  sendError(error: unknown, id?: string): void {
    const known = error instanceof StratusError ? error : new StratusError('internal', 'Internal error')
    this.send(errorFrame(known, id))
  }

  /** A frame arrived from the client. */
  receive(text: string): void {
    if (this.closed) return
    this.alive = true
    if (++this.pendingFrames > MAX_PENDING_FRAMES) {
      this.close(CLOSE_CODES.slowConsumer, 'too many frames waiting')
      return
    }
    this.queue = this.queue
      .then(() => (this.closed ? undefined : this.service.handle(this, text)))
      .catch((error) => this.service.logger.error({ err: error }, 'realtime: frame handling failed'))
      .finally(() => {
        this.pendingFrames--
      })
  }

  /** A pong (or any sign of life) arrived. */
  pong(): void {
    this.alive = true
  }

  /** Closes with `code`, forgetting every subscription; a client that does not read is cut after 2 s. */
  close(code: number, reason: string): void {
    if (this.closed) return
    this.service.forget(this)
    try {
      this.socket.close(code, reason)
    } catch {}
    setTimeout(() => this.socket.terminate(), 2000).unref()
  }

  /** The socket went away (any reason). */
  disconnected(): void {
    this.service.forget(this)
  }
}

/**
 * Realtime: WebSocket clients subscribe to collections, documents and queries, and receive the changes
 * they may read, in sequence order, from this node's `EventFeed`. A `since` replay reads the outbox
 * and then joins the live stream with no gap and no duplicate (live changes are buffered during the
 * replay; each subscription drops changes at or below its cursor). Knows nothing of HTTP.
 */
export class RealtimeService {
  readonly limits: RealtimeLimits
  readonly logger: Logger
  private readonly db: Sql
  private readonly keys: Pick<SigningKeys, 'verify' | 'revocations'>
  private readonly collections: RealtimeServiceOptions['collections']
  private readonly feed: EventFeed
  private readonly onConnections?: (count: number) => void
  private readonly connections = new Set<RealtimeConnection>()
  /** Every live or replaying subscription, by collection. */
  private readonly index = new Map<string, CollectionSubscribers<RealtimeConnection>>()
  private heartbeat?: NodeJS.Timeout
  private revocationSweep?: NodeJS.Timeout
  private lastBeat = Date.now()

  constructor(options: RealtimeServiceOptions) {
    this.db = options.db
    this.keys = options.keys
    this.collections = options.collections
    this.logger = options.logger
    this.limits = options.limits
    this.onConnections = options.onConnections
    this.feed = new EventFeed({
      db: options.db,
      bus: options.bus,
      logger: options.logger,
      pollMs: options.pollMs ?? 1000,
      pollMaxMs: options.pollMaxMs ?? 4000,
      deliver: (event) => this.deliver(event),
    })
  }

  /** Starts following the bus and the heartbeat. */
  async start(): Promise<void> {
    await this.feed.start()
    this.lastBeat = Date.now()
    this.heartbeat = setInterval(() => this.beat(), this.limits.heartbeatMs)
    this.heartbeat.unref()
    // An open connection's token was verified once: re-check it as often as the revocation list can
    // change, so a logout or a deleted user also ends its subscriptions within the same bound.
    this.revocationSweep = setInterval(
      () => void this.closeRevoked(),
      Math.max(this.keys.revocations.checkMs, 1000),
    )
    this.revocationSweep.unref()
  }

  private async closeRevoked(): Promise<void> {
    try {
      await this.keys.revocations.refresh()
    } catch (error) {
      this.logger.warn({ err: error }, 'realtime: revocation list unreadable; kept the last one')
      return
    }
    for (const connection of this.connections) {
      const auth = connection.viewer.auth
      if (!auth || (auth.role !== 'authenticated' && auth.role !== 'anon')) continue
      if (!this.keys.revocations.revokedAsRead(auth.claims)) continue
      connection.sendError(new StratusError('auth/unauthenticated', 'The session has ended; sign in again'))
      connection.close(CLOSE_CODES.unauthenticated, 'session ended')
    }
  }

  /** Open connections on this node. */
  get connectionCount(): number {
    return this.connections.size
  }

  /** The last sequence this node has handed to its subscribers. */
  get position(): number {
    return this.feed.position
  }

  /**
   * Takes a new connection. `token` (from `?access_token=`) is verified first; `auth` is an identity the
   * gateway already verified (an Authorization header). A bad or expired token gets an error frame and
   * a close (4001).
   */
  open(
    socket: RealtimeSocket,
    credentials: { token?: string; auth?: AuthContext | null } = {},
  ): RealtimeConnection {
    const connection = new RealtimeConnection(this, socket)
    this.connections.add(connection)
    this.onConnections?.(this.connections.size)
    if (credentials.token) {
      connection.queue = this.authenticate(connection, credentials.token)
    } else if (credentials.auth) {
      this.setViewer(connection, credentials.auth)
    }
    return connection
  }

  /** Handles one client frame. */
  async handle(connection: RealtimeConnection, text: string): Promise<void> {
    let frame: ReturnType<typeof parseClientFrame>
    try {
      frame = parseClientFrame(text)
    } catch (error) {
      const id =
        error instanceof StratusError ? (error.details as { id?: string } | undefined)?.id : undefined
      connection.sendError(error, id)
      return
    }
    switch (frame.type) {
      case 'ping':
        connection.send(PONG_FRAME)
        return
      case 'auth':
        await this.authenticate(connection, frame.access_token)
        return
      case 'unsubscribe': {
        const subscription = connection.subscriptions.get(frame.id)
        if (subscription) this.unregister(connection, subscription)
        return
      }
      case 'subscribe':
        try {
          await this.subscribe(connection, frame)
        } catch (error) {
          if (!(error instanceof StratusError))
            this.logger.error({ err: error }, 'realtime: subscribe failed')
          connection.sendError(error, frame.id)
        }
        return
    }
  }

  private async authenticate(connection: RealtimeConnection, token: string): Promise<void> {
    let auth: AuthContext
    try {
      auth = await this.keys.verify(token)
    } catch (error) {
      connection.sendError(
        error instanceof StratusError
          ? error
          : new StratusError('auth/unauthenticated', 'Invalid access token'),
      )
      connection.close(CLOSE_CODES.unauthenticated, 'invalid or expired access token')
      return
    }
    this.setViewer(connection, auth)
  }

  /** Switches the connection's identity and arms the expiry timer of its token. */
  private setViewer(connection: RealtimeConnection, auth: AuthContext): void {
    connection.viewer = viewerOf(auth)
    if (connection.expiry) clearTimeout(connection.expiry)
    connection.expiry = undefined
    const exp = auth.claims.exp
    if (typeof exp !== 'number') return
    const arm = () => {
      const left = exp * 1000 - Date.now()
      if (left > 0) {
        connection.expiry = setTimeout(arm, Math.min(left, MAX_TIMER_MS))
        connection.expiry.unref()
        return
      }
      connection.sendError(
        new StratusError('auth/token-expired', 'The access token expired; reconnect with a new one'),
      )
      connection.close(CLOSE_CODES.unauthenticated, 'access token expired')
    }
    arm()
  }

  private async subscribe(connection: RealtimeConnection, frame: SubscribeFrame): Promise<void> {
    if (connection.subscriptions.has(frame.id)) {
      throw new StratusError(
        'request/invalid',
        `Subscription id ${frame.id} is already in use on this connection`,
      )
    }
    if (connection.subscriptions.size >= this.limits.maxSubscriptions) {
      throw new StratusError(
        'request/invalid',
        `At most ${this.limits.maxSubscriptions} subscriptions per connection`,
      )
    }
    const active = await this.collections.get(frame.collection)
    const viewer = connection.viewer
    if (!bypassesRules(viewer.auth)) {
      // As a list query does: refuse up front when the read rule cannot allow this caller anything.
      const verdict = active?.rules.read.decide(
        { auth: viewer.ruleAuth, request: { data: null, method: frame.docId ? 'get' : 'list' } },
        'doc',
      )
      if (!active || verdict === false) {
        throw new StratusError(
          'auth/forbidden',
          active
            ? `The read rule of collection ${frame.collection} does not allow this`
            : `Collection ${frame.collection} has no rules: only the service key may use it`,
          { details: { collection: frame.collection, action: 'read' } },
        )
      }
    }
    const since = frame.since
    if (since !== undefined) {
      const last = await lastSequence(this.db)
      if (since > last) {
        throw new StratusError('request/invalid', `since (${since}) is after the latest sequence (${last})`)
      }
      const oldest = await oldestSequence(this.db)
      if (oldest > since + 1) {
        throw new StratusError(
          'realtime/replay-too-large',
          `The changes after ${since} are no longer kept (OUTBOX_RETENTION_HOURS): resubscribe without since and reload`,
          { details: { since, oldest, latest: last } },
        )
      }
      if (last - since > this.limits.maxReplay) {
        throw new StratusError(
          'realtime/replay-too-large',
          `Replaying from ${since} would send ${last - since} events; at most ${this.limits.maxReplay} may be replayed: resubscribe without since and reload`,
          { details: { since, latest: last, maxReplay: this.limits.maxReplay } },
        )
      }
    }
    if (connection.closed) return
    const subscription = new Subscription({
      id: frame.id,
      collection: frame.collection,
      where: frame.where,
      docId: frame.docId,
      cursor: since ?? this.feed.position,
    })
    this.register(connection, subscription)
    // At or past this node's position, nothing is left to replay: live changes above `since` follow.
    if (since === undefined || since >= this.feed.position) {
      connection.send(subscribedFrame(subscription.id, subscription.cursor))
      return
    }
    subscription.state = 'replaying'
    // The replay runs beside the connection's frame queue, so ping and unsubscribe still answer.
    void this.replay(connection, subscription).catch((error) => {
      this.logger.warn({ err: error }, 'realtime: replay failed')
      if (subscription.state !== 'closed') {
        this.unregister(connection, subscription)
        connection.sendError(
          new StratusError('service/unavailable', 'The replay failed; resubscribe'),
          subscription.id,
        )
      }
    })
  }

  /**
   * Sends the outbox's changes after the subscription's cursor, page by page, until a short page (the
   * outbox's end, which is at or past the feed's position when the subscription registered), then the
   * live changes buffered meanwhile, above the cursor; then `subscribed`.
   */
  private async replay(connection: RealtimeConnection, subscription: Subscription): Promise<void> {
    for (;;) {
      const events = await readOutbox(this.db, subscription.cursor, REPLAY_PAGE)
      if (subscription.state !== 'replaying') return
      const active = await this.collections.get(subscription.collection)
      if (subscription.state !== 'replaying') return
      for (const event of events) {
        if (event.sequence! <= subscription.cursor) continue
        const change = DocumentChange.from(event)
        const frame = change && subscription.frameFor(change, connection.viewer, active)
        if (frame) connection.send(frame)
        subscription.cursor = event.sequence!
      }
      if (events.length < REPLAY_PAGE) break
    }
    const active = await this.collections.get(subscription.collection)
    if (subscription.state !== 'replaying') return
    for (const change of subscription.buffer) {
      if (change.sequence <= subscription.cursor) continue
      const frame = subscription.frameFor(change, connection.viewer, active)
      if (frame) connection.send(frame)
      subscription.cursor = change.sequence
    }
    subscription.buffer = []
    subscription.state = 'live'
    connection.send(subscribedFrame(subscription.id, subscription.cursor))
  }

  /** The feed's delivery: one event, to every subscription of its collection on this node. */
  private async deliver(event: StratusEvent): Promise<void> {
    const change = DocumentChange.from(event)
    if (!change) return
    if (!this.index.get(change.collection)?.size) return
    let active: ActiveCollection | null
    try {
      active = await this.collections.get(change.collection)
    } catch (error) {
      // Without the rules nobody but the service key may see the change; say so rather than guess.
      this.logger.warn(
        { err: error, collection: change.collection },
        'realtime: collection rules unavailable',
      )
      active = null
    }
    const subscribers = this.index.get(change.collection)
    if (!subscribers) return
    // Only the subscriptions the change can concern: the others' cursors stay where they are, which
    // loses nothing, since the feed hands each event on once and in order (a cursor only guards the
    // overlap of a replay with the live stream).
    for (const [subscription, connection] of subscribers.candidates(change)) {
      if (change.sequence <= subscription.cursor || !subscription.concerns(change)) continue
      if (subscription.state === 'replaying') {
        subscription.buffer.push(change)
        if (subscription.buffer.length > this.limits.maxReplay) {
          this.unregister(connection, subscription)
          connection.sendError(
            new StratusError(
              'realtime/replay-too-large',
              'Too many changes arrived during the replay; resubscribe',
            ),
            subscription.id,
          )
        }
        continue
      }
      const frame = subscription.frameFor(change, connection.viewer, active)
      subscription.cursor = change.sequence
      if (frame) connection.send(frame)
    }
  }

  private register(connection: RealtimeConnection, subscription: Subscription): void {
    connection.subscriptions.set(subscription.id, subscription)
    let subscribers = this.index.get(subscription.collection)
    if (!subscribers) {
      subscribers = new CollectionSubscribers()
      this.index.set(subscription.collection, subscribers)
    }
    subscribers.add(subscription, connection)
  }

  private unregister(connection: RealtimeConnection, subscription: Subscription): void {
    subscription.state = 'closed'
    subscription.buffer = []
    connection.subscriptions.delete(subscription.id)
    const subscribers = this.index.get(subscription.collection)
    subscribers?.delete(subscription)
    if (subscribers?.size === 0) this.index.delete(subscription.collection)
  }

  /** Drops a connection and its subscriptions (idempotent). */
  forget(connection: RealtimeConnection): void {
    if (connection.closed) return
    connection.closed = true
    if (connection.expiry) clearTimeout(connection.expiry)
    for (const subscription of [...connection.subscriptions.values()])
      this.unregister(connection, subscription)
    this.connections.delete(connection)
    this.onConnections?.(this.connections.size)
  }

  /**
   * Pings every connection; one that answered none of the last two pings (no pong, no frame) is
   * terminated, so a dead peer goes within 2-3 heartbeats. After an event-loop
   * stall (this beat came late), timers run before the pongs that arrived meanwhile are read: that beat
   * only pings.
   */
  private beat(): void {
    const now = Date.now()
    const stalled = now - this.lastBeat > this.limits.heartbeatMs * 1.5
    this.lastBeat = now
    for (const connection of this.connections) {
      if (stalled) connection.missed = 0
      else connection.missed = connection.alive ? 0 : connection.missed + 1
      if (connection.missed >= 2) {
        this.forget(connection)
        connection.socket.terminate()
        continue
      }
      connection.alive = false
      try {
        connection.socket.ping()
      } catch {}
    }
  }

  /** Closes every connection (1001) and stops following the bus. */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat)
    if (this.revocationSweep) clearInterval(this.revocationSweep)
    for (const connection of [...this.connections])
      connection.close(CLOSE_CODES.goingAway, 'server shutting down')
    await this.feed.close()
  }
}
