import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Bus, DeliveryInfo, EventHandler } from '../../services/bus/bus.ts'
import { EVENT_SOURCE, type StratusEvent } from '../../services/core/events.ts'
import { newEventId } from '../../services/core/ids.ts'
import { eventually } from '../support/lanes.ts'

/** What a driver's test file hands the conformance suite, once per test. */
export interface BusFixture {
  /** A fresh bus with no subscriber registered. */
  bus: Bus
  /**
   * Another bus instance on the same backing store, as a restarted or second process would open it.
   * Only for drivers whose state outlives the process; the tests that need it are skipped otherwise.
   */
  reopen?: () => Promise<Bus>
  /** Closes `bus` and every bus made by `reopen`, then deletes what the test stored. */
  cleanup: () => Promise<void>
}

let lastSequence = 0

/** `count` events with increasing sequences, as the outbox relay would publish them. */
function makeEvents(count: number): StratusEvent[] {
  return Array.from({ length: count }, () => testEvent(++lastSequence))
}

/**
 * One event as the relay publishes it. Built field by field: `makeEvent`'s `PendingEvent` type loses its
 * named fields to the index signature of `CloudEventV1`, so spreading it does not type-check.
 */
export function testEvent(sequence: number): StratusEvent<{ n: number }> {
  return {
    specversion: '1.0',
    id: newEventId(),
    source: EVENT_SOURCE,
    type: 'test.created',
    subject: `things/${sequence}`,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { n: sequence },
    sequence,
  }
}

function ids(events: readonly StratusEvent[]): string[] {
  return events.map((event) => event.id)
}

async function publishInBatches(bus: Bus, events: readonly StratusEvent[], size: number): Promise<void> {
  for (let i = 0; i < events.length; i += size) await bus.publish(events.slice(i, i + size))
}

/** A promise the test resolves when it chooses, to hold handlers in flight. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void
  const wait = new Promise<void>((resolve) => {
    open = resolve
  })
  return { wait, open }
}

/** A handler that records ids and the most handlers it saw running at once. */
function recorder(): { handler: EventHandler; ids: string[]; maxActive: () => number } {
  const seen: string[] = []
  let active = 0
  let maxActive = 0
  return {
    ids: seen,
    maxActive: () => maxActive,
    handler: async (event) => {
      active++
      maxActive = Math.max(maxActive, active)
      // Yield, so that handlers running at once (which concurrency 1 forbids) would overlap here.
      await new Promise((resolve) => setImmediate(resolve))
      seen.push(event.id)
      active--
    },
  }
}

/**
 * The conformance suite of the `Bus` contract (services/bus/bus.ts), run against every driver.
 * `makeBus` is called before each test and its `cleanup` after it.
 */
export function busContract(label: string, makeBus: () => Promise<BusFixture>): void {
  describe(`Bus contract: ${label}`, () => {
    let fixture: BusFixture
    let bus: Bus

    beforeEach(async () => {
      fixture = await makeBus()
      bus = fixture.bus
    })

    afterEach(async () => {
      await fixture.cleanup()
    })

    it('delivers every event exactly once, in sequence order, to each of two subscribers', async () => {
      const first = recorder()
      const second = recorder()
      await bus.subscribe('first', first.handler)
      await bus.subscribe('second', second.handler)
      const events = makeEvents(200)
      await publishInBatches(bus, events, 25)
      await bus.drain()
      expect(first.ids).toEqual(ids(events))
      expect(second.ids).toEqual(ids(events))
      expect(first.maxActive()).toBe(1)
      expect(second.maxActive()).toBe(1)
    })

    it('retries a failing handler without running the other subscribers again', async () => {
      const events = makeEvents(40)
      const flakyIds = new Set(ids(events.filter((event) => event.sequence % 4 === 0)))
      const calls: Array<{ id: string } & DeliveryInfo> = []
      const steady = recorder()
      await bus.subscribe(
        'flaky',
        async (event, delivery) => {
          calls.push({ id: event.id, ...delivery })
          if (flakyIds.has(event.id) && delivery.attempt === 1) throw new Error(`not yet: ${event.id}`)
        },
        { attempts: 3, backoffMs: 20 },
      )
      await bus.subscribe('steady', steady.handler)
      await bus.publish(events)
      await bus.drain()

      expect(steady.ids).toEqual(ids(events))
      expect(calls.every((call) => call.subscriber === 'flaky')).toBe(true)
      // First attempts start in sequence order; retries come after their backoff.
      expect(calls.filter((call) => call.attempt === 1).map((call) => call.id)).toEqual(ids(events))
      for (const event of events) {
        const attempts = calls.filter((call) => call.id === event.id).map((call) => call.attempt)
        expect(attempts).toEqual(flakyIds.has(event.id) ? [1, 2] : [1])
      }
      expect(await bus.failed('flaky')).toEqual([])
    })

    it('records an event as failed after its last attempt, with backoff doubling between attempts', async () => {
      const backoffMs = 20
      const attemptsAt = new Map<string, Array<{ attempt: number; at: number }>>()
      await bus.subscribe(
        'doomed',
        async (event, delivery) => {
          const attempts = attemptsAt.get(event.id) ?? []
          attempts.push({ attempt: delivery.attempt, at: performance.now() })
          attemptsAt.set(event.id, attempts)
          throw new Error(`cannot handle ${event.id}`)
        },
        { attempts: 3, backoffMs },
      )
      const events = makeEvents(5)
      await bus.publish(events)
      await bus.drain()

      const failed = await bus.failed('doomed')
      expect(failed).toHaveLength(5)
      expect(new Set(failed.map((delivery) => delivery.event.id))).toEqual(new Set(ids(events)))
      for (const delivery of failed) {
        expect(delivery).toMatchObject({
          subscriber: 'doomed',
          attempts: 3,
          error: `cannot handle ${delivery.event.id}`,
        })
        expect(delivery.event).toEqual(events.find((event) => event.id === delivery.event.id))
        expect(Number.isNaN(Date.parse(delivery.failedAt))).toBe(false)
      }
      const failedAt = failed.map((delivery) => Date.parse(delivery.failedAt))
      expect(failedAt).toEqual([...failedAt].sort((a, b) => b - a))
      expect(await bus.failed('doomed', 2)).toEqual(failed.slice(0, 2))

      // Timers may fire a millisecond or two early by performance.now(): allow a little slack.
      const slack = 3
      for (const [id, attempts] of attemptsAt) {
        expect(
          attempts.map((entry) => entry.attempt),
          id,
        ).toEqual([1, 2, 3])
        const times = attempts.map((entry) => entry.at)
        expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(backoffMs - slack)
        expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(2 * backoffMs - slack)
      }
      const stats = await bus.stats()
      expect(stats.find((entry) => entry.name === 'doomed')).toEqual({
        name: 'doomed',
        waiting: 0,
        active: 0,
        delayed: 0,
        failed: 5,
      })
    })

    it('counts events settled as its delivery capability says: held in memory until handled, else once published', async () => {
      const held = gate()
      let started = 0
      await bus.subscribe('held', async () => {
        started++
        await held.wait
      })
      const events = makeEvents(3)
      await bus.publish(events)
      const last = events[events.length - 1]!.sequence
      await eventually(() => started === 1, 5000, 'the first handler running')
      if (bus.capabilities.delivery === 'durable') expect(bus.settledThrough()).toBe(last)
      else expect(bus.settledThrough()).toBe(events[0]!.sequence - 1)
      held.open()
      await bus.drain()
      expect(bus.settledThrough()).toBe(last)
    })

    it('hands an outbox hint to every onOutboxSignal listener until it closes', async () => {
      let first = 0
      let second = 0
      const a = await bus.onOutboxSignal(() => first++)
      await bus.onOutboxSignal(() => second++)
      bus.signalOutbox()
      await eventually(() => first > 0 && second > 0, 5000, 'both listeners hinted')
      await a.close()
      const seen = first
      bus.signalOutbox()
      await eventually(() => second > 1, 5000, 'the open listener hinted again')
      expect(first).toBe(seen)
    })

    it('does not deliver a republished event id again', async () => {
      const first = recorder()
      const second = recorder()
      await bus.subscribe('first', first.handler)
      await bus.subscribe('second', second.handler)
      const batch = makeEvents(20)
      // Republished while still queued, then after being handled, mixed with new events.
      await bus.publish(batch)
      await bus.publish(batch)
      await bus.drain()
      const more = makeEvents(5)
      await bus.publish([...batch.slice(0, 10), ...more])
      await bus.publish(batch)
      await bus.drain()
      expect(first.ids).toEqual([...ids(batch), ...ids(more)])
      expect(second.ids).toEqual([...ids(batch), ...ids(more)])
    })

    it('queues events for a registered subscriber while it is detached, and none from before it registered', async () => {
      const late = recorder()
      await bus.publish(makeEvents(3))
      const subscription = await bus.subscribe('late', late.handler)
      const attached = makeEvents(5)
      await bus.publish(attached)
      await bus.drain()
      expect(late.ids).toEqual(ids(attached))

      await subscription.close()
      const detached = makeEvents(5)
      await bus.publish(detached)
      await bus.drain()
      expect(late.ids).toEqual(ids(attached))
      expect((await bus.stats()).find((entry) => entry.name === 'late')).toMatchObject({
        waiting: 5,
        active: 0,
      })

      await bus.subscribe('late', late.handler)
      await bus.drain()
      expect(late.ids).toEqual([...ids(attached), ...ids(detached)])
    })

    it('shares a subscriber’s events between several subscribe calls with the same name', async () => {
      const one = recorder()
      const two = recorder()
      await bus.subscribe('shared', one.handler, { concurrency: 2 })
      await bus.subscribe('shared', two.handler, { concurrency: 2 })
      const events = makeEvents(100)
      await publishInBatches(bus, events, 20)
      await bus.drain()
      expect([...one.ids, ...two.ids].sort()).toEqual(ids(events).sort())
    })

    it.each([
      ['', false],
      [' (batched)', true],
    ])('runs up to `concurrency` handlers at once%s', async (_label, batched) => {
      const held = gate()
      let active = 0
      let maxActive = 0
      const handled: string[] = []
      await bus.subscribe(
        'parallel',
        async (event) => {
          active++
          maxActive = Math.max(maxActive, active)
          await held.wait
          handled.push(event.id)
          active--
        },
        { concurrency: 4, batched },
      )
      const events = makeEvents(10)
      await bus.publish(events)
      try {
        await eventually(() => active === 4, 10_000, 'four handlers running at once')
      } finally {
        // Even on failure: a held handler would keep cleanup's close waiting.
        held.open()
      }
      await bus.drain()
      expect(maxActive).toBe(4)
      expect([...handled].sort()).toEqual(ids(events).sort())
    })

    it('sends every event to every listener in order, whatever other listeners throw', async () => {
      const heard: string[] = []
      const alsoHeard: string[] = []
      const listening = await bus.listen((event) => {
        heard.push(event.id)
      })
      await bus.listen(() => {
        throw new Error('listener bug')
      })
      await bus.listen(async () => {
        throw new Error('async listener bug')
      })
      await bus.listen(async (event) => {
        await new Promise((resolve) => setImmediate(resolve))
        alsoHeard.push(event.id)
      })
      const events = makeEvents(100)
      await publishInBatches(bus, events, 20)
      await eventually(
        () => heard.length === 100 && alsoHeard.length === 100,
        10_000,
        'listeners to hear 100 events',
      )
      expect(heard).toEqual(ids(events))
      expect(alsoHeard).toEqual(ids(events))

      await listening.close()
      const later = makeEvents(5)
      await bus.publish(later)
      await eventually(() => alsoHeard.length === 105, 10_000, 'the open listener to hear 5 more events')
      expect(heard).toEqual(ids(events))
    })

    it('reports waiting, active, delayed and failed counts per subscriber', async () => {
      const held = gate()
      await bus.subscribe('blocked', () => held.wait)
      await bus.subscribe(
        'retrying',
        async () => {
          throw new Error('not yet')
        },
        { attempts: 2, backoffMs: 60_000 },
      )
      await bus.subscribe(
        'failing',
        async () => {
          throw new Error('never')
        },
        { attempts: 1 },
      )
      await bus.publish(makeEvents(5))
      try {
        await eventually(
          async () => {
            expect(await bus.stats()).toEqual([
              { name: 'blocked', waiting: 4, active: 1, delayed: 0, failed: 0 },
              { name: 'failing', waiting: 0, active: 0, delayed: 0, failed: 5 },
              { name: 'retrying', waiting: 0, active: 0, delayed: 5, failed: 0 },
            ])
            return true
          },
          10_000,
          'stats to show every state',
        )
      } finally {
        held.open()
      }
    })

    it('waits for in-flight handlers on close, then refuses work', async () => {
      const held = gate()
      let started = false
      let finished = false
      await bus.subscribe('slow', async () => {
        started = true
        await held.wait
        finished = true
      })
      await bus.publish(makeEvents(1))
      await eventually(() => started, 10_000, 'the handler to start')
      let closed = false
      const closing = bus.close().then(() => {
        closed = true
      })
      // A short fixed wait is fine here: it asserts that close does NOT resolve while a handler runs.
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(closed).toBe(false)
      held.open()
      await closing
      expect(finished).toBe(true)
      await expect(bus.publish(makeEvents(1))).rejects.toThrow(/closed/)
    })

    // `batched: true` lets a driver deliver a published batch as one unit (Redis: one job); what a
    // handler sees stays per event.
    it('batched: delivers every event once, in sequence order, one handler call each', async () => {
      const one = recorder()
      await bus.subscribe('batched', one.handler, { batched: true })
      const events = makeEvents(200)
      await publishInBatches(bus, events, 25)
      await bus.drain()
      expect(one.ids).toEqual(ids(events))
      expect(one.maxActive()).toBe(1)
    })

    it('batched: retries a failing event alone, with backoff doubling, then records it failed', async () => {
      const backoffMs = 20
      const events = makeEvents(12)
      const flaky = new Set(ids(events.filter((event) => event.sequence % 4 === 0)))
      const doomed = new Set(ids(events.filter((event) => event.sequence % 4 === 1)))
      const calls: Array<{ id: string; attempt: number; at: number }> = []
      await bus.subscribe(
        'batched-retry',
        async (event, delivery) => {
          calls.push({ id: event.id, attempt: delivery.attempt, at: performance.now() })
          if (doomed.has(event.id) || (flaky.has(event.id) && delivery.attempt === 1)) {
            throw new Error(`cannot handle ${event.id}`)
          }
        },
        { attempts: 3, backoffMs, batched: true },
      )
      await bus.publish(events)
      await bus.drain()
      for (const event of events) {
        const mine = calls.filter((call) => call.id === event.id)
        const expected = doomed.has(event.id) ? [1, 2, 3] : flaky.has(event.id) ? [1, 2] : [1]
        expect(
          mine.map((call) => call.attempt),
          event.id,
        ).toEqual(expected)
        if (doomed.has(event.id)) {
          expect(mine[1]!.at - mine[0]!.at).toBeGreaterThanOrEqual(backoffMs - 3)
          expect(mine[2]!.at - mine[1]!.at).toBeGreaterThanOrEqual(2 * backoffMs - 3)
        }
      }
      const failed = await bus.failed('batched-retry')
      expect(new Set(failed.map((delivery) => delivery.event.id))).toEqual(doomed)
      for (const delivery of failed) {
        expect(delivery).toMatchObject({ attempts: 3, error: `cannot handle ${delivery.event.id}` })
        expect(delivery.event).toEqual(events.find((event) => event.id === delivery.event.id))
      }
    })

    it('batched: with a single attempt, a failing event is recorded failed at once', async () => {
      const events = makeEvents(6)
      let calls = 0
      await bus.subscribe(
        'batched-once',
        async (event) => {
          calls++
          if (event.sequence % 2 === 0) throw new Error('no')
        },
        { attempts: 1, batched: true },
      )
      await bus.publish(events)
      await bus.drain()
      expect(calls).toBe(6)
      const failed = await bus.failed('batched-once')
      expect(new Set(failed.map((delivery) => delivery.event.id))).toEqual(
        new Set(ids(events.filter((event) => event.sequence % 2 === 0))),
      )
      expect(failed.every((delivery) => delivery.attempts === 1 && delivery.error === 'no')).toBe(true)
    })

    it('rejects invalid subscriber names and options', async () => {
      const noop: EventHandler = async () => {}
      await expect(bus.subscribe('no spaces', noop)).rejects.toThrow(/subscriber name/)
      await expect(bus.subscribe('a:b', noop)).rejects.toThrow(/subscriber name/)
      await expect(bus.subscribe('ok', noop, { attempts: 0 })).rejects.toThrow(/attempts/)
      await expect(bus.subscribe('ok', noop, { concurrency: 1.5 })).rejects.toThrow(/concurrency/)
      await bus.publish([])
      await bus.ping()
    })

    it('delivers events published while a subscriber had no process, after it restarts', async (context) => {
      if (!fixture.reopen) return context.skip('the driver keeps no state across processes')
      const before = recorder()
      await bus.subscribe('durable', before.handler)
      const published = makeEvents(5)
      await bus.publish(published)
      await bus.drain()
      expect(before.ids).toEqual(ids(published))
      await bus.close()

      const publisher = await fixture.reopen()
      const whileDown = makeEvents(50)
      await publishInBatches(publisher, whileDown, 10)
      await publisher.close()

      const restarted = await fixture.reopen()
      const after = recorder()
      await restarted.subscribe('durable', after.handler)
      await restarted.drain()
      expect(after.ids).toEqual(ids(whileDown))
    })

    it('fans out to listeners and shares subscribers across instances', async (context) => {
      if (!fixture.reopen) return context.skip('the driver keeps no state across processes')
      const other = await fixture.reopen()
      const heard: string[] = []
      await other.listen((event) => {
        heard.push(event.id)
      })
      const here = recorder()
      const there = recorder()
      await bus.subscribe('shared', here.handler)
      await other.subscribe('shared', there.handler)
      const events = makeEvents(60)
      await publishInBatches(bus, events, 10)
      await eventually(() => heard.length === 60, 10_000, 'the other instance to hear 60 events')
      expect(heard).toEqual(ids(events))
      await bus.drain()
      await other.drain()
      expect([...here.ids, ...there.ids].sort()).toEqual(ids(events).sort())
    })
  })
}
