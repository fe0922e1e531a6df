import { describe, expect, it } from 'vitest'
import type { Bus, EventListener } from '../bus/bus.ts'
import type { StratusEvent } from '../core/events.ts'
import type { Logger } from '../core/logger.ts'
import type { Sql } from '../db/database.ts'
import { EventFeed } from './feed.ts'

const event = (sequence: number): StratusEvent => ({
  specversion: '1.0',
  id: `e${sequence}`,
  source: 'test',
  type: 'db.document.created',
  subject: `collections/c/documents/d${sequence}`,
  time: new Date(0).toISOString(),
  datacontenttype: 'application/json',
  data: {},
  sequence,
})

/** An outbox of `count` events, read through the queries readOutbox/lastSequence send. */
function fakeOutbox(count: () => number): Sql {
  return {
    query: async (text: string, params: unknown[] = []) => {
      if (text.includes('max(sequence)')) return [{ s: count() }]
      const [after, limit] = params as [number, number]
      const rows = []
      for (let s = after + 1; s <= Math.min(count(), after + limit); s++) {
        const e = event(s)
        rows.push({
          event_id: e.id,
          sequence: s,
          type: e.type,
          source: e.source,
          subject: e.subject,
          time: new Date(0),
          data: {},
        })
      }
      return rows
    },
  } as unknown as Sql
}

const silent = { warn() {}, error() {}, info() {}, debug() {} } as unknown as Logger

describe('EventFeed', () => {
  it('fills gaps from the outbox, drops duplicates, and polls for what the bus never brought', async () => {
    let listener: EventListener = () => {}
    const bus = {
      listen: async (l: EventListener) => {
        listener = l
        return { close: async () => {} }
      },
    } as unknown as Bus
    let total = 2
    const seen: number[] = []
    const feed = new EventFeed({
      db: fakeOutbox(() => total),
      bus,
      logger: silent,
      pollMs: 20,
      deliver: (e) => void seen.push(e.sequence!),
    })
    await feed.start()
    expect(feed.position).toBe(2)
    total = 7
    listener(event(3))
    listener(event(6)) // 4 and 5 were lost
    listener(event(3)) // duplicate
    listener(event(7))
    await expect.poll(() => seen).toEqual([3, 4, 5, 6, 7])
    total = 9 // published, but the bus lost both: the poll finds them
    await expect.poll(() => seen, { timeout: 2000 }).toEqual([3, 4, 5, 6, 7, 8, 9])
    expect(feed.position).toBe(9)
    await feed.close()
  })

  it('backs its quiet poll off while it finds nothing, and still finds what the bus lost', async () => {
    const bus = {
      listen: async () => ({ close: async () => {} }),
    } as unknown as Bus
    let total = 1
    const outbox = fakeOutbox(() => total)
    let polls = 0
    const db = {
      query: (text: string, params?: unknown[]) => {
        if (!text.includes('max(sequence)')) polls++
        return outbox.query(text, params)
      },
    } as unknown as Sql
    const seen: number[] = []
    const feed = new EventFeed({
      db,
      bus,
      logger: silent,
      pollMs: 20,
      pollMaxMs: 160,
      deliver: (e) => void seen.push(e.sequence!),
    })
    await feed.start()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    // At 20 ms a second of quiet is about 50 polls; backed off (20, 40, 80, then 160 ms), under 10.
    expect(polls).toBeGreaterThan(0)
    expect(polls).toBeLessThan(20)
    total = 3
    await expect.poll(() => seen, { timeout: 2000 }).toEqual([2, 3])
    await feed.close()
  })
})
