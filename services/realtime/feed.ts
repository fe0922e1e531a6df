import type { Bus, Subscription as BusSubscription } from '../bus/bus.ts'
import type { StratusEvent } from '../core/events.ts'
import type { Logger } from '../core/logger.ts'
import type { Sql } from '../db/database.ts'
import { lastSequence, readOutbox } from '../outbox/outbox.ts'

/** Events read from the outbox per query while filling a gap. */
const FILL_PAGE = 1000

/**
 * This node's gapless, duplicate-free stream of events in sequence order, built from the bus fan-out
 * (best effort) and the outbox (authoritative): when the bus skips sequences (a lost pub/sub message, a
 * reconnect), the missing ones are read from the outbox before the later ones are handed on; when the
 * bus goes quiet, a poll notices events it never delivered. `position` is the last sequence handed on:
 * every later event will be handed on, in order, exactly once.
 */
export class EventFeed {
  private readonly db: Sql
  private readonly bus: Bus
  private readonly logger: Logger
  private readonly pollMs: number
  /** Poll ticks between quiet polls: 1 after the bus brought something, doubling up to `maxQuietTicks`. */
  private quietTicks = 1
  private readonly maxQuietTicks: number
  private ticksToSkip = 0
  private readonly deliver: (event: StratusEvent) => void | Promise<void>
  private readonly pending: StratusEvent[] = []
  private running?: Promise<void>
  private listener?: BusSubscription
  private timer?: NodeJS.Timeout
  private closed = false
  private lastHeard = Date.now()
  /** The last sequence handed on. */
  position = 0

  /**
   * `deliver` runs once per event, in sequence order, never concurrently with itself; an event is
   * counted as handed on when it returns (or its promise settles).
   */
  constructor(options: {
    db: Sql
    bus: Bus
    logger: Logger
    pollMs: number
    /**
     * While the bus stays quiet and polls find nothing, the poll backs off from `pollMs` up to this
     * (default `pollMs`, no back-off); anything the bus brings sets it back.
     */
    pollMaxMs?: number
    deliver: (event: StratusEvent) => void | Promise<void>
  }) {
    this.db = options.db
    this.bus = options.bus
    this.logger = options.logger
    this.pollMs = options.pollMs
    this.maxQuietTicks = Math.max(1, Math.floor((options.pollMaxMs ?? options.pollMs) / options.pollMs))
    this.deliver = options.deliver
  }

  /** Listens to the bus, then starts at the outbox's current end (events in between are filled in). */
  async start(): Promise<void> {
    this.listener = await this.bus.listen((event) => this.receive(event))
    this.position = Math.max(this.position, await lastSequence(this.db))
    this.timer = setInterval(() => this.poll(), this.pollMs)
    this.timer.unref()
    this.kick()
  }

  private receive(event: StratusEvent): void {
    if (this.closed || typeof event.sequence !== 'number') return
    this.lastHeard = Date.now()
    this.quietTicks = 1
    this.ticksToSkip = 0
    this.pending.push(event)
    this.kick()
  }

  /** The bus was quiet for a poll interval: make sure nothing was published that it failed to bring. */
  private poll(): void {
    if (this.closed || this.running || Date.now() - this.lastHeard < this.pollMs) return
    if (this.ticksToSkip > 0) {
      this.ticksToSkip--
      return
    }
    const before = this.position
    this.running = this.catchUp(Number.POSITIVE_INFINITY)
      .then(() => {
        // Nothing was missing: the next quiet poll may wait longer. Something was: poll at full rate.
        this.quietTicks = this.position === before ? Math.min(this.maxQuietTicks, this.quietTicks * 2) : 1
        this.ticksToSkip = this.quietTicks - 1
      })
      .catch((error) => this.logger.warn({ err: error }, 'realtime: outbox poll failed'))
      .finally(() => {
        this.running = undefined
        this.kick()
      })
  }

  private kick(): void {
    if (this.running || this.closed || this.pending.length === 0) return
    this.running = this.drain()
      .catch((error) => this.logger.error({ err: error }, 'realtime: event feed failed'))
      .finally(() => {
        this.running = undefined
        this.kick()
      })
  }

  private async drain(): Promise<void> {
    while (!this.closed && this.pending.length > 0) {
      const event = this.pending.shift()!
      const sequence = event.sequence!
      if (sequence <= this.position) continue
      if (sequence > this.position + 1) {
        try {
          await this.catchUp(sequence - 1)
        } catch (error) {
          // The outbox is unreachable: retry this event later rather than skip the gap.
          this.pending.unshift(event)
          this.logger.warn(
            { err: error, from: this.position + 1, to: sequence - 1 },
            'realtime: gap fill failed',
          )
          await new Promise((resolve) => setTimeout(resolve, Math.min(this.pollMs, 1000)))
          continue
        }
      }
      // After a fill that came up short (rows gone from the outbox), go on from this event anyway.
      if (sequence > this.position) await this.handOn(event)
    }
  }

  /** Reads and hands on the outbox's events after `position`, up to `until`. */
  private async catchUp(until: number): Promise<void> {
    while (!this.closed && this.position < until) {
      const events = await readOutbox(this.db, this.position, Math.min(FILL_PAGE, until - this.position))
      for (const event of events) {
        if (event.sequence! <= this.position) continue
        if (event.sequence !== this.position + 1) {
          // Only when outbox rows were deleted (retention): nothing more to fill from.
          this.logger.warn(
            { from: this.position + 1, to: event.sequence! - 1 },
            'realtime: events missing from the outbox',
          )
        }
        await this.handOn(event)
      }
      if (events.length === 0 || events.length < FILL_PAGE) return
    }
  }

  /**
   * `position` moves only once `deliver` is done: a subscriber that registers while an event is being
   * delivered starts before it and gets it (its `subscribed` sequence says so).
   */
  private async handOn(event: StratusEvent): Promise<void> {
    try {
      await this.deliver(event)
    } catch (error) {
      this.logger.error({ err: error, sequence: event.sequence }, 'realtime: delivering an event failed')
    }
    this.position = event.sequence!
  }

  /** Stops listening; in-flight delivery finishes. */
  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    await this.listener?.close()
    await this.running
  }
}
