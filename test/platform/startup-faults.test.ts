import { createHook } from 'node:async_hooks'
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../services/core/config.ts'
import { createLogger } from '../../services/core/logger.ts'
import { createPlatform, type Platform, STARTUP_STEPS, type StartupStep } from '../../services/platform.ts'
import { createTestDatabase, type TestDatabase } from '../support/databases.ts'
import { eventually, LANES, TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '../support/lanes.ts'
import { deleteRedisKeys } from '../support/redis.ts'

/** A resource that async_hooks saw created: kept weakly, so what was collected stops counting. */
interface Tracked {
  type: string
  resource: WeakRef<object>
  stack: string
}

/** Whether a resource still holds something; a closed file handle waits for GC to be destroyed. */
function stillOpen(tracked: Tracked): boolean {
  const resource = tracked.resource.deref()
  if (!resource) return false
  if (tracked.type === 'FILEHANDLE') return (resource as { fd: number }).fd >= 0
  return true
}

/**
 * Handles and timers created between `start` and `freeze` that are still open. Timers count even when
 * unref'd (a leaked interval keeps running, whether or not it holds the process open), which
 * `process.getActiveResourcesInfo()` does not show.
 */
function trackResources() {
  const live = new Map<number, Tracked>()
  let frozen = false
  const hook = createHook({
    init(asyncId, type, _trigger, resource) {
      // After `freeze`, only destructions count: the checks' own polling is not the platform's.
      if (frozen) return
      // Promises and one-shot requests (fs, dns, crypto, writes) settle on their own; a leak is a handle.
      if (type === 'PROMISE' || /REQ(UEST|WRAP|CALLBACK|PROMISE)$/.test(type)) return
      if (type === 'TickObject' || type === 'Immediate' || type === 'Microtask') return
      const stack = new Error().stack?.split('\n').slice(2, 12).join('\n') ?? ''
      live.set(asyncId, { type, resource: new WeakRef(resource), stack })
    },
    destroy(asyncId) {
      live.delete(asyncId)
    },
  })
  return {
    start: () => hook.enable(),
    freeze: () => {
      frozen = true
    },
    stop: () => hook.disable(),
    live: () => [...live.values()].filter(stillOpen),
  }
}

/** `process.getActiveResourcesInfo()` as counts per type. */
function activeCounts(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1)
  return counts
}

/** Types of which more are active now than in `baseline`. */
function moreThan(baseline: Map<string, number>): string[] {
  return [...activeCounts()]
    .filter(([type, n]) => n > (baseline.get(type) ?? 0))
    .map(([type, n]) => `${type}: ${n} (was ${baseline.get(type) ?? 0})`)
}

describe.each(LANES)('platform: a start that fails leaves nothing open (%s lane)', (lane) => {
  let database: TestDatabase
  let dataDir: string
  let env: Record<string, string>
  const prefix = uniqueName('faults')
  // The test's own connections exist before the baseline, so they are part of it.
  let redis: Redis | undefined
  let admin: pg.Client | undefined
  let baseline: Map<string, number>

  const start = (afterStep?: (step: StartupStep) => void): Promise<Platform> => {
    const config = loadConfig(env)
    return createPlatform(config, 'all', createLogger(config.log.level), { afterStep })
  }

  /** This platform's Redis connections: the drivers name theirs after the key prefix, as BullMQ does. */
  const redisConnections = async (): Promise<string[]> => {
    const list = String(await redis!.client('LIST'))
    return list
      .split('\n')
      .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '')
      .filter((name) => name.includes(prefix))
  }

  /** This platform's Postgres sessions (the driver sets application_name; the database is its own). */
  const pgSessions = async (): Promise<number> => {
    const name = new URL(database.url!).pathname.slice(1)
    const { rows } = await admin!.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'stratus'",
      [name],
    )
    return rows[0].n as number
  }

  /** Fails, naming what is still open, unless everything the start opened is closed (waited for). */
  const expectNothingOpen = async (tracker: ReturnType<typeof trackResources>, what: string) => {
    tracker.freeze()
    const leaks = async () => [
      ...tracker.live().map((r) => `${r.type} created at\n${r.stack}`),
      ...moreThan(baseline),
      ...(existsSync(path.join(dataDir, 'db', 'stratus.lock')) ? ['the data directory lock'] : []),
      ...(redis ? (await redisConnections()).map((name) => `Redis connection ${name}`) : []),
      ...(admin ? [await pgSessions()].filter((n) => n > 0).map((n) => `${n} Postgres sessions`) : []),
    ]
    // Sockets and backends go away a moment after their close resolves: wait for that, no longer.
    const clean = await eventually(async () => (await leaks()).length === 0, 5000, 'everything closed').then(
      () => true,
      () => false,
    )
    if (!clean) expect.fail(`left open after ${what}:\n${(await leaks()).join('\n')}`)
  }

  beforeAll(async () => {
    database = await createTestDatabase(lane === 'real' ? 'postgres' : 'embedded')
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'stratus-test-data-'))
    env = {
      STRATUS_DATA_DIR: dataDir,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      RELAY_POLL_MS: '50',
      ...(lane === 'real'
        ? { DATABASE_URL: database.url!, REDIS_URL: TEST_REDIS_URL!, REDIS_PREFIX: prefix }
        : {}),
    }
    if (lane === 'embedded') cpSync(database.dataDir!, path.join(dataDir, 'db'), { recursive: true })
    else {
      redis = new Redis(TEST_REDIS_URL!, { connectionName: 'startup-faults-test' })
      admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
      await admin.connect()
    }
    // A first start and close loads what a process creates once (modules, DNS channel, pools of the
    // libraries) and deploys a function whose schedule, queue and warm isolates later starts set up.
    const platform = await start()
    const deploy = await platform.app!.inject({
      method: 'PUT',
      url: '/admin/v1/functions/ticker',
      headers: { authorization: `Bearer ${platform.keys.serviceToken()}` },
      payload: {
        code: 'export default async () => {}',
        triggers: [
          { type: 'schedule', cron: '0 0 1 1 *' },
          { type: 'queue', queue: 'startup-faults' },
        ],
      },
    })
    expect(deploy.statusCode, deploy.body).toBe(201)
    await platform.close()
    baseline = activeCounts()
  })

  afterAll(async () => {
    if (redis) await deleteRedisKeys(TEST_REDIS_URL!, `${prefix}:*`)
    redis?.disconnect()
    await admin?.end()
    rmSync(dataDir, { recursive: true, force: true })
    await database?.cleanup()
  })

  it.each(STARTUP_STEPS)('a fault after step %s', async (step) => {
    const injected = new Error(`injected fault after ${step}`)
    const tracker = trackResources()
    tracker.start()
    try {
      const failed = start((s) => {
        if (s === step) throw injected
      })
      await expect(failed).rejects.toBe(injected)
      await expectNothingOpen(tracker, `a fault after ${step}`)
    } finally {
      tracker.stop()
    }
  })

  it('a start on the same data directory then works, and its close leaves nothing open', async () => {
    const tracker = trackResources()
    tracker.start()
    try {
      const platform = await start()
      const address = await platform.app!.listen({ host: '127.0.0.1', port: 0 })
      const health = await platform.app!.inject({ method: 'GET', url: '/health' })
      expect(health.statusCode).toBe(200)
      // The checks see a running platform, so their silence after a close means something.
      expect(tracker.live().map((r) => r.type)).toEqual(expect.arrayContaining(['Timeout', 'TCPSERVERWRAP']))
      expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      if (lane === 'embedded') expect(existsSync(path.join(dataDir, 'db', 'stratus.lock'))).toBe(true)
      else {
        expect(await redisConnections()).toEqual(
          expect.arrayContaining([
            `stratus-bus:${prefix}`,
            `stratus-jobs:${prefix}`,
            `stratus-rate-limit:${prefix}`,
          ]),
        )
        expect(await pgSessions()).toBeGreaterThan(0)
      }
      // What the close does, in order (a step left out of it shows here even when it holds no handle).
      const order: string[] = []
      const record = <T extends object, K extends keyof T & string>(what: string, target: T, method: K) => {
        const original = target[method] as (...args: unknown[]) => unknown
        target[method] = ((...args: unknown[]) => {
          order.push(what)
          return original.apply(target, args)
        }) as T[K]
      }
      record('function jobs stop', platform.functions, 'stop')
      record('gateway closes', platform.app!, 'close')
      record('relay stops', platform.relay!, 'stop')
      record('bus closes', platform.bus, 'close')
      record('database closes', platform.db, 'close')
      await platform.close()
      // functions.close() stops again (a no-op): only the first call counts.
      expect([...new Set(order)]).toEqual([
        'function jobs stop',
        'gateway closes',
        'relay stops',
        'bus closes',
        'database closes',
      ])
      await expectNothingOpen(tracker, 'close')
    } finally {
      tracker.stop()
    }
  })
})
