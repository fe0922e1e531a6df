import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { Bus } from '../../services/bus/bus.ts'
import { LocalBus } from '../../services/bus/local/local-bus.ts'
import { RedisBus } from '../../services/bus/redis/redis-bus.ts'
import type { StratusEvent } from '../../services/core/events.ts'
import { createLogger } from '../../services/core/logger.ts'
import { createMetrics } from '../../services/core/metrics.ts'
import type { Database } from '../../services/db/database.ts'
import { addToOutbox, outboxLagSeconds, PUBLISHED_THROUGH, readOutbox } from '../../services/outbox/outbox.ts'
import { pruneOutbox } from '../../services/outbox/outbox-retention.ts'
import { OutboxRelay, signalOutboxCommits } from '../../services/outbox/relay.ts'
import { createTestDatabase, type TestDatabase } from '../support/databases.ts'
import { anyEvent } from '../support/events.ts'
import { eventually, LANES, type Lane, TEST_REDIS_URL, uniqueName } from '../support/lanes.ts'
import { deleteRedisKeys } from '../support/redis.ts'

const logger = createLogger('silent')

/** One lane's database and bus factory, cleaned up after each test. */
async function setup(lane: Lane) {
  const test: TestDatabase = await createTestDatabase(lane === 'real' ? 'postgres' : 'embedded')
  const db = await test.open()
  const prefix = uniqueName('relay')
  const buses: Bus[] = []
  const openBus = (): Bus => {
    const bus =
      lane === 'real' ? new RedisBus({ url: TEST_REDIS_URL!, prefix, logger }) : new LocalBus({ logger })
    buses.push(bus)
    return bus
  }
  return {
    test,
    db,
    prefix,
    openBus,
    cleanup: async () => {
      for (const bus of buses) await bus.close().catch(() => {})
      await db.close()
      await test.cleanup()
      if (lane === 'real') await deleteRedisKeys(TEST_REDIS_URL!, `${prefix}:*`)
    },
  }
}

/** Runs a fixture script that ends by killing itself (SIGKILL); returns what it printed. */
async function runUntilKilled(fixture: string, args: string[]): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url)), ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let out = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  const signal = await new Promise<string | null>((resolve) =>
    child.once('exit', (_code, sig) => resolve(sig)),
  )
  expect(signal).toBe('SIGKILL')
  return out
}

async function commitEvents(db: Database, count: number, tag = 'e'): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const event = anyEvent({ type: 'test.created', subject: `things/${tag}${i}`, data: { i } })
    ids.push(event.id)
    await db.tx((tx) => addToOutbox(tx, event))
  }
  return ids
}

describe.each(LANES)('outbox relay (%s lane)', (lane) => {
  let env: Awaited<ReturnType<typeof setup>>
  const relays: OutboxRelay[] = []
  afterEach(async () => {
    for (const relay of relays.splice(0)) await relay.stop()
    await env?.cleanup()
  })
  const relay = (db: Database, bus: Bus, batchSize = 100) => {
    const r = new OutboxRelay(db, bus, {
      batchSize,
      pollMs: 20,
      pollMaxMs: 1000,
      logger,
      metrics: createMetrics(),
    })
    relays.push(r)
    return r
  }

  it('publishes committed events once, in commit order, with gapless sequences', async () => {
    env = await setup(lane)
    const bus = env.openBus()
    const seen: StratusEvent[] = []
    await bus.subscribe('recorder', async (event) => {
      seen.push(event)
    })
    const ids = await commitEvents(env.db, 250)
    expect(await outboxLagSeconds(env.db)).toBeGreaterThan(0)
    await relay(env.db, bus, 100).start()
    await eventually(() => seen.length === 250, 15_000, '250 deliveries')
    expect(seen.map((e) => e.id)).toEqual(ids)
    expect(seen.map((e) => e.sequence)).toEqual(ids.map((_, i) => i + 1))
    expect(seen[0]).toMatchObject({
      specversion: '1.0',
      source: '/stratus',
      type: 'test.created',
      subject: 'things/e0',
      data: { i: 0 },
    })
    await eventually(async () => (await outboxLagSeconds(env.db)) === 0, 5000, 'rows marked published')
    // Replay reads the same, by sequence.
    const replay = await readOutbox(env.db, 200, 100)
    expect(replay.map((e) => e.sequence)).toEqual(Array.from({ length: 50 }, (_, i) => 201 + i))
  })

  /**
   * A fresh lane with a recording subscriber and a relay that polls only once a minute, once it holds
   * the lease: a delivery sooner than that was a wake-up.
   */
  async function idleRelayWithRecorder(lingerMs = 0): Promise<{ seen: string[]; relay: OutboxRelay }> {
    env = await setup(lane)
    const bus = env.openBus()
    const seen: string[] = []
    await bus.subscribe('recorder', async (event) => {
      seen.push(event.id)
    })
    const r = new OutboxRelay(env.db, bus, { batchSize: 100, pollMs: 60_000, lingerMs, logger })
    relays.push(r)
    await r.start()
    await eventually(
      async () => (await env.db.query(`SELECT 1 FROM leases WHERE name = 'outbox-relay'`)).length === 1,
      5000,
      'lease',
    )
    return { seen, relay: r }
  }

  it('wakes on a commit in this process without waiting for the poll interval', async () => {
    const { seen } = await idleRelayWithRecorder()
    const [id] = await commitEvents(env.db, 1)
    await eventually(() => seen.includes(id!), 5000, 'delivery woken by the commit signal')
  })

  it('sends events committed while it lingers after a publish as one batch, and a lone commit at once', async () => {
    const { seen } = await idleRelayWithRecorder(300)
    const [first] = await commitEvents(env.db, 1, 'lone')
    // Quiet before: the first commit goes out at once (alone, see below); then the relay lingers.
    await eventually(() => seen.includes(first!), 5000, 'the lone commit')
    const later = await commitEvents(env.db, 3, 'burst')
    await eventually(() => later.every((id) => seen.includes(id)), 5000, 'the burst')
    // One publication for the lone event, one for the three that came during the linger.
    const records = await env.db.query<{ s: number }>(
      'SELECT through_sequence AS s FROM outbox_publications ORDER BY 1',
    )
    expect(records.map((row) => Number(row.s))).toEqual([1, 4])
  })

  it.skipIf(lane !== 'real')(
    'sends no commit hints while its own relay leads, and sends them otherwise',
    async () => {
      const { relay: r } = await idleRelayWithRecorder()
      const hints = { sent: 0 }
      const bus = env.openBus()
      const counting = Object.assign(Object.create(bus) as Bus, {
        signalOutbox: () => {
          hints.sent++
        },
      })
      const stop = signalOutboxCommits(env.db, counting, () => r.leading)
      try {
        await eventually(() => r.leading, 5000, 'the relay leads')
        await commitEvents(env.db, 3, 'led')
        expect(hints.sent).toBe(0)
        await r.stop()
        expect(r.leading).toBe(false)
        await commitEvents(env.db, 2, 'unled')
        await eventually(() => hints.sent === 2, 5000, 'a hint per commit')
      } finally {
        stop()
      }
    },
  )

  // Embedded mode is one process, so only the shared bus carries hints.
  it.skipIf(lane !== 'real')(
    "wakes on another node's commit, hinted over the bus, without waiting for the poll interval",
    async () => {
      const { seen } = await idleRelayWithRecorder()
      // Another node: its own pool and bus connections; its commits do not reach the relay's process.
      const other = await env.test.open()
      try {
        signalOutboxCommits(other, env.openBus())
        const [id] = await commitEvents(other, 1)
        await eventually(() => seen.includes(id!), 5000, 'delivery woken by the hint')
      } finally {
        await other.close()
      }
    },
  )

  // The fallback poll backs off while idle; a commit then must not wait for it. In the real lane the
  // commit comes from another node, so only the bus's hint can wake the relay.
  it('relays a commit promptly through the wake-up path while its poll is backed off', async () => {
    env = await setup(lane)
    const bus = env.openBus()
    const seen: string[] = []
    await bus.subscribe('recorder', async (event) => {
      seen.push(event.id)
    })
    const ceiling = 4000
    // A long lease, so that its renewal (due after 30% of it) does not cut the backed-off sleep short.
    const r = new OutboxRelay(env.db, bus, {
      batchSize: 100,
      pollMs: 125,
      pollMaxMs: ceiling,
      leaseMs: 60_000,
      logger,
    })
    relays.push(r)
    await r.start()
    // After empty polls of 125, 250, …, 2000 ms, the relay sleeps 4 s: a delivery within 2 s was woken.
    await eventually(() => r.pollIntervalMs === ceiling, 15_000, 'poll backed off to its ceiling')
    const other = lane === 'real' ? await env.test.open() : env.db
    try {
      if (lane === 'real') signalOutboxCommits(other, env.openBus())
      const [id] = await commitEvents(other, 1)
      await eventually(() => seen.includes(id!), 2000, 'delivery woken while backed off')
      // A wake-up brings the poll back to its floor.
      expect(r.pollIntervalMs).toBeLessThan(ceiling)
    } finally {
      if (other !== env.db) await other.close()
    }
  })

  it('lets one relay lead when several run, still delivering each event once with unique sequences', async () => {
    env = await setup(lane)
    const bus = env.openBus()
    const counts = new Map<string, number>()
    const sequences: number[] = []
    await bus.subscribe('recorder', async (event) => {
      counts.set(event.id, (counts.get(event.id) ?? 0) + 1)
      sequences.push(event.sequence)
    })
    const busA = env.openBus()
    const busB = env.openBus()
    // Local buses are per process: the followers publish into the subscriber's bus only in the real lane.
    await Promise.all([
      relay(env.db, lane === 'real' ? busA : bus, 50).start(),
      relay(env.db, lane === 'real' ? busB : bus, 50).start(),
    ])
    const ids = (await Promise.all([commitEvents(env.db, 60, 'a'), commitEvents(env.db, 60, 'b')])).flat()
    await eventually(() => counts.size === ids.length, 15_000, 'all deliveries')
    expect([...counts.values()].every((n) => n === 1)).toBe(true)
    expect([...sequences].sort((x, y) => x - y)).toEqual(ids.map((_, i) => i + 1))
    const leases = await env.db.query<{ holder: string }>(
      `SELECT holder FROM leases WHERE name = 'outbox-relay'`,
    )
    expect(leases).toHaveLength(1)
  })

  it('records one publication per batch, and numbers on above the watermark once retention empties the outbox', async () => {
    env = await setup(lane)
    const bus = env.openBus()
    const seen: number[] = []
    await bus.subscribe('recorder', async (event) => {
      seen.push(event.sequence)
    })
    await commitEvents(env.db, 30, 'a')
    const r = relay(env.db, bus, 10)
    // Three cycles by hand: three batches of ten, each a single publication row, no per-event mark.
    for (let i = 0; i < 3; i++) expect(await r.cycle()).toBe(10)
    const records = await env.db.query<{ s: number }>(
      'SELECT through_sequence AS s FROM outbox_publications ORDER BY 1',
    )
    expect(records.map((row) => Number(row.s))).toEqual([10, 20, 30])
    expect(await outboxLagSeconds(env.db)).toBe(0)

    // Every event past retention: the outbox is empty, only the watermark's record is left.
    await env.db.query(`UPDATE outbox SET created_at = now() - interval '30 days'`)
    expect(await pruneOutbox(env.db, { retentionHours: 1, keepUnsettled: false })).toBe(30)
    expect(await env.db.query('SELECT 1 FROM outbox')).toHaveLength(0)
    expect(await env.db.query('SELECT 1 FROM outbox_publications')).toHaveLength(1)

    // New events continue the sequence: a number at or under 30 would read as published already.
    await commitEvents(env.db, 2, 'b')
    // The embedded database's clock may read the same millisecond as the commit: let one pass.
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(await outboxLagSeconds(env.db)).toBeGreaterThan(0)
    expect(await r.cycle()).toBe(2)
    await bus.drain()
    await eventually(() => seen.length === 32, 5000, '32 deliveries')
    expect(seen.slice(30)).toEqual([31, 32])
    expect(await outboxLagSeconds(env.db)).toBe(0)
  })

  it.runIf(lane === 'real')(
    'publishes a row that took its id early and committed late, below where numbering looks',
    async () => {
      env = await setup(lane)
      const bus = env.openBus()
      const seen: StratusEvent[] = []
      await bus.subscribe('recorder', async (event) => {
        seen.push(event)
      })
      await relay(env.db, bus, 500).start()
      // A transaction takes an outbox id and stays open while 1,500 later ids commit and are numbered.
      let release: () => void = () => {}
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      const late = anyEvent({ type: 'test.created', subject: 'things/late', data: { late: true } })
      let inserted: () => void = () => {}
      const insertedYet = new Promise<void>((resolve) => {
        inserted = resolve
      })
      const lateCommit = env.db.tx(async (tx) => {
        await addToOutbox(tx, late)
        inserted()
        await held
      })
      await insertedYet
      const ids = await commitEvents(env.db, 1500, 'n')
      await eventually(() => seen.length === 1500, 30_000, '1,500 deliveries')
      release()
      await lateCommit
      await eventually(() => seen.length === 1501, 10_000, 'the late row')
      expect(seen.at(-1)).toMatchObject({ id: late.id, sequence: 1501 })
      expect(new Set(seen.map((e) => e.id)).size).toBe(1501)
      expect(seen.slice(0, 1500).map((e) => e.id)).toEqual(ids)
    },
    60_000,
  )

  it('publishes rows sequenced before a failed publish first, with the same sequences', async () => {
    env = await setup(lane)
    const broken = env.openBus()
    await broken.close() // a bus that refuses every publish
    const failing = relay(env.db, broken)
    await commitEvents(env.db, 5, 'x')
    await expect(failing.cycle()).rejects.toThrow()
    await failing.stop()
    const sequenced = await env.db.query<{ sequence: number | null }>(
      'SELECT sequence FROM outbox ORDER BY id',
    )
    expect(sequenced.map((r) => r.sequence)).toEqual([1, 2, 3, 4, 5])

    const bus = env.openBus()
    const seen: number[] = []
    await bus.subscribe('recorder', async (event) => {
      seen.push(event.sequence)
    })
    await commitEvents(env.db, 3, 'y')
    await relay(env.db, bus).start()
    await eventually(() => seen.length === 8, 10_000, '8 deliveries')
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it.runIf(lane === 'real')(
    'delivers once when the relay process is killed between publish and mark',
    async () => {
      env = await setup(lane)
      const bus = env.openBus()
      const counts = new Map<string, number>()
      await bus.subscribe('recorder', async (event) => {
        counts.set(event.id, (counts.get(event.id) ?? 0) + 1)
      })
      const ids = await commitEvents(env.db, 20)
      const out = await runUntilKilled('crash-after-publish.ts', [env.test.url!, TEST_REDIS_URL!, env.prefix])
      expect(out).toContain('published 20')
      // Published, never marked: the crash window.
      const unmarked = await env.db.query(`SELECT 1 FROM outbox WHERE sequence > ${PUBLISHED_THROUGH}`)
      expect(unmarked).toHaveLength(20)
      await eventually(() => counts.size === 20, 10_000, 'first deliveries')

      // A new relay takes over once the dead leader's lease expires, and republishes the batch.
      await env.db.query(`UPDATE leases SET expires_at = now() - interval '1 second'`)
      await relay(env.db, env.openBus()).start()
      await eventually(
        async () => (await outboxLagSeconds(env.db)) === 0,
        10_000,
        'rows marked by the new leader',
      )
      await bus.drain()
      expect(ids.map((id) => counts.get(id))).toEqual(ids.map(() => 1))
    },
  )
})

describe('outbox relay after kill -9 of an embedded process', () => {
  it('delivers each event committed before the crash exactly once after restart', async () => {
    const test = await createTestDatabase('embedded')
    const out = await runUntilKilled('commit-then-die.ts', [test.dataDir!, '25'])
    expect(out).toContain('committed')

    // Restart: the stale lock is taken over, subscribers attach, then the relay starts.
    const db = await test.open()
    const bus = new LocalBus({ logger })
    const counts = new Map<number, number>()
    await bus.subscribe('recorder', async (event) => {
      const i = (event.data as { i: number }).i
      counts.set(i, (counts.get(i) ?? 0) + 1)
    })
    const relay = new OutboxRelay(db, bus, { batchSize: 10, pollMs: 20, logger })
    await relay.start()
    try {
      await eventually(async () => (await outboxLagSeconds(db)) === 0, 15_000, 'all published')
      await bus.drain()
      expect([...counts.entries()].sort((a, b) => a[0] - b[0])).toEqual(
        Array.from({ length: 25 }, (_, i) => [i, 1]),
      )
    } finally {
      await relay.stop()
      await bus.close()
      await db.close()
      await test.cleanup()
    }
  })
})

describe('outbox relay with the in-memory bus after kill -9 mid-delivery', () => {
  it('republishes the published-but-unsettled events, and only those, after restart', async () => {
    const test = await createTestDatabase('embedded')
    const out = await runUntilKilled('die-mid-delivery.ts', [test.dataDir!])
    expect(out).toContain('settled 5')

    const db = await test.open()
    const bus = new LocalBus({ logger })
    const seen: number[] = []
    await bus.subscribe('recorder', async (event) => {
      seen.push((event.data as { i: number }).i)
    })
    const relay = new OutboxRelay(db, bus, { batchSize: 3, pollMs: 20, logger })
    await relay.start()
    try {
      await eventually(() => seen.length >= 5, 15_000, 'replayed deliveries')
      await bus.drain()
      expect(seen).toEqual([5, 6, 7, 8, 9])
      // The watermark moves on once they are handled.
      await relay.stop()
      const [row] = await db.query<{ value: unknown }>(
        `SELECT value FROM project_settings WHERE key = 'relay.settled'`,
      )
      expect(Number(row?.value)).toBe(10)
    } finally {
      await relay.stop()
      await bus.close()
      await db.close()
      await test.cleanup()
    }
  })
})
