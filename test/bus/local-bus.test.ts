import { afterEach, describe, expect, it } from 'vitest'
import { LocalBus, type LocalBusLogger } from '../../services/bus/local/local-bus.ts'
import type { StratusEvent } from '../../services/core/events.ts'
import { eventually } from '../support/lanes.ts'
import { busContract, testEvent } from './bus-contract.ts'

/** Keeps what the bus logs (failed events, throwing listeners) out of the test output. */
const quiet: LocalBusLogger = { warn: () => {}, error: () => {} }

busContract('local', async () => {
  const bus = new LocalBus({ logger: quiet })
  return { bus, cleanup: () => bus.close() }
})

describe('LocalBus bounds', () => {
  let bus: LocalBus
  let sequence = 0
  const events = (count: number): StratusEvent[] => Array.from({ length: count }, () => testEvent(++sequence))

  afterEach(async () => {
    await bus.close()
  })

  it('forgets the oldest ids beyond its dedup window', async () => {
    bus = new LocalBus({ logger: quiet, dedupWindow: 3 })
    const handled: string[] = []
    await bus.subscribe('counted', async (event) => {
      handled.push(event.id)
    })
    const [a, b, c, d] = events(4) as [StratusEvent, StratusEvent, StratusEvent, StratusEvent]
    await bus.publish([a, b, c, d])
    await bus.drain()
    // The window holds b, c, d: republishing d is dropped, a is delivered again.
    await bus.publish([d, a])
    await bus.drain()
    expect(handled).toEqual([a.id, b.id, c.id, d.id, a.id])
  })

  it('keeps only the newest failed deliveries', async () => {
    bus = new LocalBus({ logger: quiet, failedRetention: 2 })
    await bus.subscribe(
      'doomed',
      async () => {
        throw new Error('no')
      },
      { attempts: 1 },
    )
    const published = events(3)
    await bus.publish(published)
    await bus.drain()
    const failed = await bus.failed('doomed')
    expect(failed.map((delivery) => delivery.event.id)).toEqual([published[2]!.id, published[1]!.id])
    expect(await bus.failed('doomed', 0)).toEqual([])
  })

  it('is idle once everything attached is handled', async () => {
    bus = new LocalBus({ logger: quiet })
    expect(bus.idle()).toBe(true)
    await bus.subscribe('worker', async () => {})
    await bus.publish(events(3))
    expect(bus.idle()).toBe(false)
    await bus.drain()
    expect(bus.idle()).toBe(true)
  })
})

describe('LocalBus settled watermark', () => {
  let bus: LocalBus
  afterEach(async () => {
    await bus.close()
  })

  it('advances only through events every subscriber has handled or failed for good', async () => {
    bus = new LocalBus({ logger: quiet })
    const gates = new Map<number, () => void>()
    await bus.subscribe('fast', async () => {})
    await bus.subscribe(
      'gated',
      (event) => new Promise<void>((resolve) => gates.set(event.sequence, resolve)),
    )
    await bus.subscribe(
      'doomed',
      async (event) => {
        if (event.sequence === 2) throw new Error('always')
      },
      { attempts: 2, backoffMs: 1 },
    )
    expect(bus.settledThrough()).toBe(0)
    await bus.publish([testEvent(1), testEvent(2), testEvent(3)])
    await eventually(() => gates.has(1), 2000, 'gated handler started')
    expect(bus.settledThrough()).toBe(0)
    gates.get(1)!()
    await eventually(() => gates.has(2), 2000, 'second gated event')
    expect(bus.settledThrough()).toBe(1)
    gates.get(2)!()
    await eventually(() => gates.has(3), 2000, 'third gated event')
    // Event 2 failed for good on `doomed` (after its retry): settled too.
    await eventually(async () => (await bus.failed('doomed')).length === 1, 2000, 'doomed failure')
    expect(bus.settledThrough()).toBe(2)
    gates.get(3)!()
    await bus.drain()
    expect(bus.settledThrough()).toBe(3)
  })

  it('holds the watermark for a subscriber whose consumer is gone', async () => {
    bus = new LocalBus({ logger: quiet })
    const sub = await bus.subscribe('away', async () => {})
    await sub.close()
    await bus.publish([testEvent(1)])
    expect(bus.settledThrough()).toBe(0)
  })
})
