import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import type { Job, JobQueue } from '../../services/bus/jobs.ts'
import { LocalJobQueue } from '../../services/bus/local/local-jobs.ts'
import { RedisJobQueue } from '../../services/bus/redis/redis-jobs.ts'
import { eventually, TEST_REDIS_URL, uniqueName } from '../support/lanes.ts'
import { deleteRedisKeys } from '../support/redis.ts'

const quiet = { warn: () => {}, error: () => {} }

const drivers: [string, () => { queue: JobQueue; cleanup: () => Promise<void> }][] = [
  ['local', () => ({ queue: new LocalJobQueue({ logger: quiet }), cleanup: async () => {} })],
]
const redisUrl = TEST_REDIS_URL
if (redisUrl) {
  drivers.push([
    'redis',
    () => {
      const prefix = uniqueName('jobs')
      return {
        queue: new RedisJobQueue({ url: redisUrl, prefix, logger: quiet, lockDurationMs: 2000 }),
        cleanup: () => deleteRedisKeys(redisUrl, `${prefix}:*`),
      }
    },
  ])
}

describe.each(drivers)('JobQueue contract (%s)', (_name, make) => {
  let current: ReturnType<typeof make> | undefined
  const open = () => {
    current = make()
    return current.queue
  }
  afterEach(async () => {
    await current?.queue.close()
    await current?.cleanup()
    current = undefined
  })

  it('runs each job once, ignoring an id that is pending or done', async () => {
    const jobs = open()
    const seen: Job[] = []
    await jobs.process('q', async (job) => {
      seen.push(job)
    })
    await jobs.add('q', [
      { id: 'a', name: 'n', data: { x: 1 } },
      { id: 'a', data: { x: 2 } },
      { id: 'b', data: { x: 3 } },
    ])
    await eventually(() => seen.length === 2)
    await jobs.add('q', [{ id: 'a', data: { x: 4 } }])
    await jobs.drain()
    expect(seen.map((j) => [j.id, j.data, j.attempt])).toEqual([
      ['a', { x: 1 }, 1],
      ['b', { x: 3 }, 1],
    ])
  })

  it('settles jobs as its delivery capability says: in memory once they finish, durable at once', async () => {
    const jobs = open()
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let finished = false
    await jobs.process('s', async () => {
      await held
      finished = true
    })
    await jobs.add('s', [{ id: 'held', data: null }])
    let settled = false
    const settling = jobs.settled('s', ['held', 'never-added']).then(() => {
      settled = true
    })
    if (jobs.capabilities.delivery === 'durable') {
      await settling
      expect(finished).toBe(false)
      release()
    } else {
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(settled).toBe(false)
      release()
      await settling
      expect(finished).toBe(true)
    }
    await jobs.drain()
  })

  it('retries a failing job with backoff up to its attempts, then counts it failed', async () => {
    const jobs = open()
    const attempts: [number, number][] = []
    const t0 = Date.now()
    await jobs.process('r', async (job) => {
      attempts.push([job.attempt, Date.now() - t0])
      throw new Error('nope')
    })
    await jobs.add('r', [{ id: 'x', data: null, attempts: 3, backoffMs: 100 }])
    await eventually(async () => (await jobs.counts('r')).failed === 1, 10_000)
    expect(attempts.map(([a]) => a)).toEqual([1, 2, 3])
    expect(attempts[2]![1] - attempts[0]![1]).toBeGreaterThanOrEqual(280)
  })

  it('delays a job', async () => {
    const jobs = open()
    let ranAt = 0
    await jobs.process('d', async () => {
      ranAt = Date.now()
    })
    const t0 = Date.now()
    await jobs.add('d', [{ id: 'late', data: null, delayMs: 600 }])
    expect((await jobs.counts('d')).delayed).toBe(1)
    await eventually(() => ranAt > 0)
    expect(ranAt - t0).toBeGreaterThanOrEqual(550)
  })

  it('fires a schedule once per tick, and stops when removed', async () => {
    const jobs = open()
    const ids: string[] = []
    await jobs.process('s', async (job) => {
      ids.push(job.id)
    })
    await jobs.upsertSchedule(
      's',
      'every-second',
      { cron: '* * * * * *', timezone: 'UTC' },
      { name: 'tick', data: { k: 1 } },
    )
    expect(await jobs.schedules('s')).toEqual([{ id: 'every-second', cron: '* * * * * *', timezone: 'UTC' }])
    await eventually(() => ids.length >= 2, 10_000)
    await jobs.removeSchedule('s', 'every-second')
    expect(await jobs.schedules('s')).toEqual([])
    const count = ids.length
    await new Promise((r) => setTimeout(r, 1500))
    expect(ids.length).toBeLessThanOrEqual(count + 1)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('shows the job next in line: the oldest ready, not a delayed one', async () => {
    const jobs = open()
    expect(await jobs.nextWaiting('line')).toBeUndefined()
    await jobs.add('line', [{ id: 'later', data: { n: 0 }, delayMs: 60_000 }])
    expect(await jobs.nextWaiting('line')).toBeUndefined()
    await jobs.add('line', [{ id: 'one', data: { n: 1 } }])
    await jobs.add('line', [{ id: 'two', data: { n: 2 } }])
    expect(await jobs.nextWaiting('line')).toEqual({ n: 1 })
    const seen: unknown[] = []
    await jobs.process('line', async (job) => {
      seen.push(job.data)
    })
    await eventually(() => seen.length === 2)
    expect(await jobs.nextWaiting('line')).toBeUndefined()
  })

  it('refuses ids with a colon', async () => {
    const jobs = open()
    await expect(jobs.add('q', [{ id: 'a:b', data: null }])).rejects.toThrow(/invalid job id/)
  })
})

// Redis can lose some keys of a schedule and keep others (a flush racing the scheduler, a partial
// restore). BullMQ then answers nothing usable for it; the driver reports it by id, as damaged, and an
// upsert writes it whole again.
describe.skipIf(!redisUrl)('RedisJobQueue: a schedule Redis lost in part', () => {
  it('is reported as damaged, and upserting it makes it whole and firing', async () => {
    const prefix = uniqueName('jobs')
    const jobs = new RedisJobQueue({ url: redisUrl!, prefix, logger: quiet, lockDurationMs: 2000 })
    const redis = new Redis(redisUrl!)
    try {
      const ticks: string[] = []
      await jobs.process('s', async (job) => {
        ticks.push(job.id)
      })
      const upsert = () =>
        jobs.upsertSchedule('s', 'tick', { cron: '* * * * * *' }, { name: 'tick', data: {} })
      await upsert()
      // The schedule's details go; its entry in the set of schedules stays.
      expect(await redis.del(`${prefix}:jobs.s:repeat:tick`)).toBe(1)
      expect(await jobs.schedules('s')).toEqual([{ id: 'tick', cron: '', damaged: true }])
      await upsert()
      expect(await jobs.schedules('s')).toEqual([{ id: 'tick', cron: '* * * * * *', timezone: 'UTC' }])
      const before = ticks.length
      await eventually(() => ticks.length >= before + 2, 10_000)
      await jobs.removeSchedule('s', 'tick')
      expect(await jobs.schedules('s')).toEqual([])
    } finally {
      await jobs.close()
      await deleteRedisKeys(redisUrl!, `${prefix}:*`)
      redis.disconnect()
    }
  })
})
