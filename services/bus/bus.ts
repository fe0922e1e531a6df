import type { StratusEvent } from '../core/events.ts'

/**
 * The event bus: the outbox relay publishes committed events; subscribers consume them.
 *
 * Two kinds of consumers:
 * - **Durable, named subscribers** (`subscribe`): each name receives every event published after the
 *   name was first registered, at least once, with retries and exponential backoff. Several processes
 *   registering the same name share its work (competing consumers); different names are independent,
 *   so a failing subscriber is retried without re-running the others. Registration is remembered by the
 *   bus (in Redis for the Redis driver), so events published while a subscriber's processes are down
 *   wait for it.
 * - **Listeners** (`listen`): every listener in every process gets every event, best effort, with no
 *   retry (the realtime gateway uses this fan-out and fills any gap from the outbox by sequence).
 *
 * Ordering per durable subscriber: first attempts start in `sequence` order. With `concurrency: 1` (the
 * default) they also finish in that order, except that an event whose handler failed is retried after
 * its backoff, so later events may be handled before the retry. Listeners receive events in sequence
 * order per publishing process.
 *
 * Idempotency: `publish` is keyed by event id per subscriber. Publishing an event id that a subscriber
 * has already received (e.g. the relay crashed after publishing and before marking the outbox) does not
 * deliver it to that subscriber again, within the driver's dedup window (documented per driver).
 */
export interface Bus {
  /** The driver's name, for logs and metrics: `local` or `redis`. */
  readonly driver: string

  /** What the driver can do: callers switch on these, never on which driver it is. */
  readonly capabilities: BusCapabilities

  /**
   * Hands `events` (sorted by sequence) to every registered durable subscriber and every listener.
   * Resolves once the events are durably queued for every subscriber (for the local driver: queued in
   * memory). Rejects if the bus cannot take them; the caller (the relay) then retries the same events.
   */
  publish(events: readonly StratusEvent[]): Promise<void>

  /**
   * Registers (or re-attaches to) the durable subscriber `name` and starts handling its events in this
   * process. A handler that throws or rejects is retried per `options`; after the last attempt the event
   * is recorded as failed for that subscriber (see `failed`) and the subscriber moves on.
   */
  subscribe(name: string, handler: EventHandler, options?: SubscribeOptions): Promise<Subscription>

  /** Receives every event published from now on, in every process (fan-out). Best effort, no retry. */
  listen(listener: EventListener): Promise<Subscription>

  /** Events that exhausted their attempts for subscriber `name`, newest first (at most `limit`). */
  failed(name: string, limit?: number): Promise<FailedDelivery[]>

  /** Counts per durable subscriber, for /metrics and the admin console. */
  stats(): Promise<SubscriberStats[]>

  /**
   * The highest sequence `n` such that no event up to `n` that this process published can be lost any
   * more if the process dies. With `delivery: 'in-memory'`: every one has been handled, or has failed
   * for good, by every durable subscriber; the relay persists it and, after a crash, republishes the
   * events above it, so a kill -9 loses nothing (delivery stays at least once). With `durable`: every
   * one has been published, since `publish` resolves once they are stored outside the process.
   */
  settledThrough(): number

  /**
   * Tells every process sharing the bus that outbox rows were committed, so that the relay leader,
   * wherever it runs, wakes now instead of at its next poll. A hint, not a delivery: fire and forget,
   * coalesced, and its loss only costs the poll interval. With `reach: 'process'` the only process to
   * tell is this one, whose commits already wake its relay directly (`signalOutboxCommits` then sends
   * no hints).
   */
  signalOutbox(): void

  /** Calls `listener` on each `signalOutbox` hint from any process sharing the bus, until closed. */
  onOutboxSignal(listener: () => void): Promise<Subscription>

  /**
   * The lowest sequence among the events still waiting for, being handled by or due for a retry by
   * durable subscriber `name`, or null when none is; 0 when there are too many to look at. The
   * reconciler delivers again only events below it, so it never races a delivery that is merely late.
   */
  pendingFloor(name: string): Promise<number | null>

  /**
   * Writes this process's durable subscriber registrations to the backing store again: after the store
   * lost its data (a Redis restarted empty, or failed over to an empty replica), events published
   * before this would reach no subscriber (the reconciler delivers those). No-op where registrations
   * live in the process.
   */
  reassertSubscribers(): Promise<void>

  /** Resolves when the bus's backing service answers; rejects otherwise (used by /ready). */
  ping(): Promise<void>

  /**
   * Resolves once every event published so far has been handled (or has failed for good) by the
   * subscribers attached in this process. For tests and graceful shutdown; never needed for correctness.
   */
  drain(): Promise<void>

  /** Stops this process's subscribers after their in-flight handlers finish, and closes connections. */
  close(): Promise<void>
}

/** What a bus driver can do, declared by the driver rather than inferred from the methods it has. */
export interface BusCapabilities {
  /**
   * Where published deliveries wait for their subscribers. `in-memory`: in this process, dying with
   * it, so the relay tracks `settledThrough` and republishes above it after a crash (and outbox
   * retention keeps what is not settled). `durable`: outside the process (Redis), so a published event
   * survives the publisher.
   */
  readonly delivery: 'in-memory' | 'durable'
  /**
   * Who shares the bus. `process`: this process alone (the local driver). `cluster`: every process
   * connected to the same backing store, across nodes; `signalOutbox` hints reach all of them.
   */
  readonly reach: 'process' | 'cluster'
}

/** Handles one event for a durable subscriber; throwing or rejecting asks for a retry. */
export type EventHandler = (event: StratusEvent, delivery: DeliveryInfo) => Promise<void>

/** Receives one event from the fan-out. Errors are logged and swallowed. */
export type EventListener = (event: StratusEvent) => void | Promise<void>

/** What a handler knows about the current delivery. */
export interface DeliveryInfo {
  /** The durable subscriber's name. */
  subscriber: string
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number
}

export interface SubscribeOptions {
  /** Total attempts per event, first included. Default 5. */
  attempts?: number
  /** Delay before the first retry; doubles each retry. Default 1000 ms. */
  backoffMs?: number
  /** Handlers running at once in this process for this subscriber. Default 1. */
  concurrency?: number
  /**
   * Lets the driver deliver each published batch as one unit (Redis: one job per `publish` instead of
   * one per event, far less Redis work per event). Handlers still get one event each, and a failed
   * event is retried alone; but the driver's dedup by event id then holds only for a batch republished
   * whole, and `stats` counts deliveries (batches and retries), not events. For subscribers that are
   * idempotent themselves. Default false.
   */
  batched?: boolean
}

export interface Subscription {
  /** Stops receiving in this process (a durable subscriber stays registered and keeps its queue). */
  close(): Promise<void>
}

export interface FailedDelivery {
  subscriber: string
  event: StratusEvent
  attempts: number
  error: string
  failedAt: string
}

export interface SubscriberStats {
  name: string
  /** Queued, not yet started. */
  waiting: number
  /** Being handled now (in any process, for the Redis driver). */
  active: number
  /** Waiting for a retry. */
  delayed: number
  /** Exhausted their attempts (as kept by the driver's retention). */
  failed: number
}

/** Defaults shared by every driver, so both behave the same under the conformance suite. */
export const SUBSCRIBE_DEFAULTS: Required<SubscribeOptions> = {
  attempts: 5,
  backoffMs: 1000,
  concurrency: 1,
  batched: false,
}

/** Subscriber names become queue names and keys: keep them to a safe alphabet. */
export const SUBSCRIBER_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/

/** The logger methods the drivers use; a pino `Logger` fits. */
export interface BusLogger {
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

/** Validates a subscriber name and options and fills in the defaults: every driver calls this. */
export function resolveSubscribeOptions(name: string, options: SubscribeOptions): Required<SubscribeOptions> {
  if (!SUBSCRIBER_NAME_PATTERN.test(name)) {
    throw new Error(`invalid subscriber name ${JSON.stringify(name)}: expected ${SUBSCRIBER_NAME_PATTERN}`)
  }
  const resolved = { ...SUBSCRIBE_DEFAULTS, ...options }
  for (const key of ['attempts', 'concurrency'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1) {
      throw new Error(`subscriber ${name}: ${key} must be an integer >= 1, got ${resolved[key]}`)
    }
  }
  if (!Number.isFinite(resolved.backoffMs) || resolved.backoffMs < 0) {
    throw new Error(`subscriber ${name}: backoffMs must be a number >= 0, got ${resolved.backoffMs}`)
  }
  return resolved
}
