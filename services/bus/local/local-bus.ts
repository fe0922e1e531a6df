import type { StratusEvent } from '../../core/events.ts'
import {
  type Bus,
  type BusCapabilities,
  type BusLogger,
  type EventHandler,
  type EventListener,
  type FailedDelivery,
  resolveSubscribeOptions,
  type SubscribeOptions,
  type SubscriberStats,
  type Subscription,
} from '../bus.ts'

/** The logger methods the driver uses; a pino `Logger` fits. */
export type LocalBusLogger = BusLogger

/** Options of the in-process driver. */
export interface LocalBusOptions {
  /** Where listener errors and events that failed for good are reported. Defaults to the console. */
  logger?: LocalBusLogger
  /** Event ids remembered per subscriber for dedup. Default 10,000. */
  dedupWindow?: number
  /** Failed deliveries kept per subscriber (the oldest are dropped first). Default 1,000. */
  failedRetention?: number
}

/** One event on its way to one subscriber. Attempts and backoff are fixed when it is queued, as in Redis. */
interface Delivery {
  event: StratusEvent
  attemptsMade: number
  attempts: number
  backoffMs: number
}

/** One `subscribe` call: a competing consumer of its subscriber's queue. */
interface Consumer {
  handler: EventHandler
  concurrency: number
  active: number
  inFlight: Set<Promise<void>>
}

/** A durable subscriber's state; it outlives its consumers, so events wait for the next `subscribe`. */
interface SubscriberState {
  name: string
  options: { attempts: number; backoffMs: number }
  queue: Fifo<Delivery>
  /** Ids received, oldest first (a Set iterates in insertion order, which makes eviction O(1)). */
  seen: Set<string>
  /** Newest last; bounded by `failedRetention`. */
  failed: FailedDelivery[]
  retryTimers: Set<NodeJS.Timeout>
  consumers: Consumer[]
  /** Handlers running, including those of consumers already detached (their `close` waits for them). */
  active: number
  /** Round-robin cursor over `consumers`, so competing consumers share the work. */
  nextConsumer: number
}

interface ListenerEntry {
  listener: EventListener
  /** Calls for one listener are chained, so an async listener sees events one at a time, in order. */
  tail: Promise<void>
  closed: boolean
}

const consoleLogger: LocalBusLogger = {
  warn: (details, message) => console.warn(message, details),
  error: (details, message) => console.error(message, details),
}

/**
 * The embedded bus: per-subscriber in-memory FIFO queues, retries on timers, nothing survives the process.
 *
 * Dedup window: the last `dedupWindow` (10,000) event ids received per subscriber, counted from when they
 * were queued. Ordering: each subscriber's queue is FIFO; a failed event re-enters at the back of the
 * queue once its backoff elapses (as BullMQ does), so later events may be handled before its retry.
 */
export class LocalBus implements Bus {
  readonly driver = 'local'
  readonly capabilities: BusCapabilities = { delivery: 'in-memory', reach: 'process' }
  private readonly logger: LocalBusLogger
  private readonly dedupWindow: number
  private readonly failedRetention: number
  private readonly subscribers = new Map<string, SubscriberState>()
  private readonly listeners = new Set<ListenerEntry>()
  private readonly signalListeners = new Set<() => void>()
  private idleWaiters: Array<() => void> = []
  private pumpScheduled = false
  private closing: Promise<void> | undefined
  /** Deliveries not yet settled per sequence, across subscribers; keys are added in sequence order. */
  private readonly unsettled = new Map<number, number>()
  /** Whether a sequence below the newest one was added (then the first key is not the smallest). */
  private unsettledUnordered = false
  private lastPublished = 0

  constructor(options: LocalBusOptions = {}) {
    this.logger = options.logger ?? consoleLogger
    this.dedupWindow = positiveInteger(options.dedupWindow ?? 10_000, 'dedupWindow')
    this.failedRetention = positiveInteger(options.failedRetention ?? 1000, 'failedRetention')
  }

  async publish(events: readonly StratusEvent[]): Promise<void> {
    this.assertOpen('publish')
    for (const state of this.subscribers.values()) {
      for (const event of events) {
        if (state.seen.has(event.id)) continue
        state.seen.add(event.id)
        if (state.seen.size > this.dedupWindow) state.seen.delete(state.seen.values().next().value as string)
        state.queue.push({ event, attemptsMade: 0, ...state.options })
        this.holdSequence(event.sequence)
      }
    }
    for (const event of events) this.lastPublished = Math.max(this.lastPublished, event.sequence)
    this.schedulePump()
    for (const entry of this.listeners) {
      for (const event of events) this.deliverToListener(entry, event)
    }
  }

  async subscribe(
    name: string,
    handler: EventHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    this.assertOpen('subscribe')
    const resolved = resolveSubscribeOptions(name, options)
    let state = this.subscribers.get(name)
    if (!state) {
      state = {
        name,
        options: { attempts: resolved.attempts, backoffMs: resolved.backoffMs },
        queue: new Fifo(),
        seen: new Set(),
        failed: [],
        retryTimers: new Set(),
        consumers: [],
        active: 0,
        nextConsumer: 0,
      }
      this.subscribers.set(name, state)
    } else {
      // The latest registration's retry policy applies to events queued from now on (as in Redis).
      state.options = { attempts: resolved.attempts, backoffMs: resolved.backoffMs }
    }
    const consumer: Consumer = { handler, concurrency: resolved.concurrency, active: 0, inFlight: new Set() }
    state.consumers.push(consumer)
    this.schedulePump()
    const subscriber = state
    return { close: () => this.detach(subscriber, consumer) }
  }

  async listen(listener: EventListener): Promise<Subscription> {
    this.assertOpen('listen')
    const entry: ListenerEntry = { listener, tail: Promise.resolve(), closed: false }
    this.listeners.add(entry)
    return {
      close: async () => {
        entry.closed = true
        this.listeners.delete(entry)
      },
    }
  }

  async failed(name: string, limit = 100): Promise<FailedDelivery[]> {
    const state = this.subscribers.get(name)
    if (!state || limit <= 0) return []
    return state.failed.slice(-limit).reverse()
  }

  async stats(): Promise<SubscriberStats[]> {
    return [...this.subscribers.values()]
      .map((state) => ({
        name: state.name,
        waiting: state.queue.length,
        active: state.active,
        delayed: state.retryTimers.size,
        failed: state.failed.length,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  async ping(): Promise<void> {
    this.assertOpen('ping')
  }

  signalOutbox(): void {
    if (this.closing || this.signalListeners.size === 0) return
    // Fire and forget, as over Redis: the committing caller never runs the relay's wake-up itself.
    queueMicrotask(() => {
      for (const listener of this.signalListeners) listener()
    })
  }

  async onOutboxSignal(listener: () => void): Promise<Subscription> {
    this.assertOpen('onOutboxSignal')
    this.signalListeners.add(listener)
    return {
      close: async () => {
        this.signalListeners.delete(listener)
      },
    }
  }

  settledThrough(): number {
    if (this.unsettled.size === 0) return this.lastPublished
    let lowest = this.unsettled.keys().next().value as number
    if (this.unsettledUnordered)
      for (const sequence of this.unsettled.keys()) lowest = Math.min(lowest, sequence)
    return lowest - 1
  }

  async pendingFloor(_name: string): Promise<number | null> {
    // Unsettled sequences are counted across subscribers: a floor no higher than this subscriber's own.
    if (this.unsettled.size === 0) return null
    return this.settledThrough() + 1
  }

  async reassertSubscribers(): Promise<void> {
    // Registrations live in this process's memory: nothing outside it can lose them.
  }

  private holdSequence(sequence: number): void {
    const held = this.unsettled.get(sequence)
    if (held === undefined && sequence < this.lastPublished) this.unsettledUnordered = true
    this.unsettled.set(sequence, (held ?? 0) + 1)
  }

  private settleSequence(sequence: number): void {
    const held = this.unsettled.get(sequence) ?? 0
    if (held > 1) this.unsettled.set(sequence, held - 1)
    else this.unsettled.delete(sequence)
    if (this.unsettled.size === 0) this.unsettledUnordered = false
  }

  /**
   * True when every subscriber attached in this process has an empty queue, no handler running and no
   * retry pending. A subscriber with no consumer attached is idle whatever it holds: nobody here handles it.
   */
  idle(): boolean {
    for (const state of this.subscribers.values()) {
      if (state.active > 0) return false
      if (state.consumers.length > 0 && (state.queue.length > 0 || state.retryTimers.size > 0)) return false
    }
    return true
  }

  drain(): Promise<void> {
    if (this.idle()) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    this.listeners.clear()
    this.signalListeners.clear()
    const detaching: Promise<void>[] = []
    for (const state of this.subscribers.values()) {
      // Pending retries die with the process anyway; clearing them lets it exit now.
      for (const timer of state.retryTimers) clearTimeout(timer)
      state.retryTimers.clear()
      for (const consumer of [...state.consumers]) detaching.push(this.detach(state, consumer))
    }
    await Promise.all(detaching)
    this.notifyIfIdle()
  }

  private async detach(state: SubscriberState, consumer: Consumer): Promise<void> {
    const index = state.consumers.indexOf(consumer)
    if (index >= 0) state.consumers.splice(index, 1)
    await Promise.all(consumer.inFlight)
    this.notifyIfIdle()
  }

  private assertOpen(operation: string): void {
    if (this.closing) throw new Error(`LocalBus: cannot ${operation}, the bus is closed`)
  }

  /** Starts handlers on the next microtask, so `publish` never runs handler code on its caller's stack. */
  private schedulePump(): void {
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    queueMicrotask(() => {
      this.pumpScheduled = false
      for (const state of this.subscribers.values()) this.pump(state)
    })
  }

  private pump(state: SubscriberState): void {
    if (this.closing) return
    while (state.queue.length > 0) {
      const consumer = this.pickConsumer(state)
      if (!consumer) return
      const delivery = state.queue.shift()!
      const run = this.run(state, consumer, delivery)
      consumer.inFlight.add(run)
      void run.finally(() => {
        consumer.inFlight.delete(run)
        this.pump(state)
        this.notifyIfIdle()
      })
    }
  }

  private pickConsumer(state: SubscriberState): Consumer | undefined {
    const count = state.consumers.length
    for (let i = 0; i < count; i++) {
      const consumer = state.consumers[(state.nextConsumer + i) % count]!
      if (consumer.active < consumer.concurrency) {
        state.nextConsumer = (state.nextConsumer + i + 1) % count
        return consumer
      }
    }
    return undefined
  }

  private async run(state: SubscriberState, consumer: Consumer, delivery: Delivery): Promise<void> {
    consumer.active++
    state.active++
    const attempt = delivery.attemptsMade + 1
    try {
      await consumer.handler(delivery.event, { subscriber: state.name, attempt })
      this.settleSequence(delivery.event.sequence)
    } catch (error) {
      this.handleFailure(state, { ...delivery, attemptsMade: attempt }, error)
    } finally {
      consumer.active--
      state.active--
    }
  }

  private handleFailure(state: SubscriberState, delivery: Delivery, error: unknown): void {
    if (this.closing) return
    const message = error instanceof Error ? error.message : String(error)
    if (delivery.attemptsMade < delivery.attempts) {
      const delay = delivery.backoffMs * 2 ** (delivery.attemptsMade - 1)
      const timer = setTimeout(() => {
        state.retryTimers.delete(timer)
        state.queue.push(delivery)
        this.pump(state)
      }, delay)
      state.retryTimers.add(timer)
      return
    }
    state.failed.push({
      subscriber: state.name,
      event: delivery.event,
      attempts: delivery.attemptsMade,
      error: message,
      failedAt: new Date().toISOString(),
    })
    if (state.failed.length > this.failedRetention) state.failed.shift()
    this.settleSequence(delivery.event.sequence)
    this.logger.warn(
      { subscriber: state.name, eventId: delivery.event.id, attempts: delivery.attemptsMade, err: error },
      'bus: event failed for good',
    )
  }

  private deliverToListener(entry: ListenerEntry, event: StratusEvent): void {
    entry.tail = entry.tail
      .then(() => (entry.closed ? undefined : entry.listener(event)))
      .catch((error: unknown) => this.logger.error({ eventId: event.id, err: error }, 'bus: listener failed'))
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length === 0 || !this.idle()) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}

/** An array-backed FIFO with O(1) shift: `Array#shift` copies, which hurts with thousands queued. */
class Fifo<T> {
  private items: (T | undefined)[] = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: T): void {
    this.items.push(item)
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${what} must be an integer >= 1, got ${value}`)
  return value
}
